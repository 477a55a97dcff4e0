"""Review decisions as the CRM holds them: Segment_Review__c over SOQL on the local org,
or the file CRM's segment_reviews.csv; stored once each in segment_transition_decisions."""

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.review_decisions import normalize_decisions
from segmentation_pipeline.io.salesforce import SalesforceClient
from segmentation_pipeline.io.salesforce.reviews import read_salesforce_reviews
from segmentation_pipeline.io.segment_reviews import read_review_file
from segmentation_pipeline.io.segment_store import SegmentStore


def test_decided_segment_reviews_are_read_over_soql(salesforce_server, salesforce_settings):
    org = salesforce_server.org
    account = org.insert("Account", {"Name": "Acme"})
    org.insert(
        "Segment_Review__c",
        {
            "Account__c": account,
            "Decision__c": "Approve",
            "To_Segment__c": "Tier 1",
            "Decided_By__c": "ana@example.com",
            "Decided_At__c": "2026-11-03T09:30:00.000+0000",
            "Note__c": "expansion signed",
        },
    )
    org.insert("Segment_Review__c", {"Account__c": account})  # not decided yet
    entries = read_salesforce_reviews(SalesforceClient(salesforce_settings))
    decisions = normalize_decisions(entries).decisions
    assert decisions[
        ["account_id", "decision", "to_segment", "decided_by", "note"]
    ].values.tolist() == [[account, "approved", "Tier 1", "ana@example.com", "expansion signed"]]
    assert decisions["decided_at"].tolist() == [pd.Timestamp("2026-11-03 09:30")]
    assert salesforce_server.api.records_served("/query", "FROM Segment_Review__c") == 1


def test_the_review_file_is_optional_and_read_in_salesforce_field_names(tmp_path):
    assert read_review_file(tmp_path).empty
    (tmp_path / "segment_reviews.csv").write_text(
        "Account__c,Decision__c,Decided_By__c,Decided_At__c\n"
        "001A,Reject,bo@example.com,2026-11-04T10:00:00Z\n"
    )
    entries = read_review_file(tmp_path)
    assert entries[["account_id", "decision", "decided_by"]].values.tolist() == [
        ["001A", "Reject", "bo@example.com"]
    ]
    assert entries["to_segment"].isna().all()


def test_a_decision_read_again_is_stored_once(sqlite_url):
    store = SegmentStore(sa.create_engine(sqlite_url))
    row = {"account_id": "001A", "decision": "approve", "decided_by": "ana"}
    entries = pd.DataFrame([row | {"decided_at": "2026-11-03T09:30:00.123Z"}])
    decisions = normalize_decisions(entries).decisions
    assert len(store.record_decisions(decisions)) == 1
    assert store.record_decisions(decisions).empty
    stored = store.decisions()
    assert stored[["account_id", "decision", "decided_by"]].values.tolist() == [
        ["001A", "approved", "ana"]
    ]
    assert stored["decided_at"].tolist() == [datetime(2026, 11, 3, 9, 30, 0, 123000)]
