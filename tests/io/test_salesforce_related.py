"""Related records over HTTP against the local org: a second night asks only for what
changed, folds it into the held records, and ends where a full read ends."""

import pandas as pd
import pytest

from segmentation_pipeline.io.salesforce import (
    ExtractSettings,
    SalesforceAccountSource,
    SalesforceClient,
)
from segmentation_pipeline.io.salesforce.related import (
    STATE_NAME,
    load_related,
    read_related,
    save_related,
)
from segmentation_pipeline.io.state_store import StateStore

STAMP = {"code": "c1", "framework": "f1"}
RELATED = ("Opportunity", "Contract", "Case")


@pytest.fixture
def org(salesforce_server):
    server = salesforce_server
    org = server.org
    server.ids = org.insert_many("Account", [{"Name": f"Account {i}"} for i in range(6)])
    a = server.ids
    server.opps = [
        org.insert("Opportunity", {"AccountId": a[0], "Amount": 1000.0, "Type": "Upsell"}),
        org.insert("Opportunity", {"AccountId": a[1], "Amount": 2000.0, "Type": "Upsell"}),
        org.insert("Opportunity", {"AccountId": a[2], "Amount": 50.0, "IsClosed": True}),
    ]
    server.contracts = [
        org.insert("Contract", {"AccountId": a[0], "EndDate": "2027-03-31", "Status": "Activated"}),
        org.insert("Contract", {"AccountId": a[3], "EndDate": "2027-06-30", "Status": "Activated"}),
    ]
    server.cases = [
        org.insert("Case", {"AccountId": a[4]}),
        org.insert("Case", {"AccountId": a[4]}),
    ]
    # Saved long ago, not in the second of the first night's mark (which `>=` re-reads).
    for table in org.tables.values():
        for record in table.records.values():
            record["SystemModstamp"] = "2026-01-05T10:00:00.000+0000"
    return server


def source(settings) -> SalesforceAccountSource:
    return SalesforceAccountSource(
        SalesforceClient(settings), ExtractSettings(expansion_opportunity_types=("Upsell",))
    )


def related_queries(server) -> list[str]:
    """The SOQL of every related-object query the server answered (counts included)."""
    return [
        r.query
        for r in server.api.log
        if "/query" in r.path and any(f"FROM {name}" in r.query for name in RELATED)
    ]


def test_a_second_night_asks_only_for_changed_related_records(org, salesforce_settings, tmp_path):
    store = StateStore(str(tmp_path / "state"))
    reader = source(salesforce_settings)
    first = reader.read_accounts()
    assert first.related.full
    kept = save_related(store, first.related, None, STAMP)
    full_queries = related_queries(org)
    assert full_queries and not any("WHERE SystemModstamp" in q for q in full_queries)

    a = org.ids
    org.org.touch("Opportunity", org.opps[0], {"Amount": 1500.0})  # modified
    org.org.insert("Case", {"AccountId": a[5]})  # new
    org.org.delete("Contract", org.contracts[1])  # deleted
    org.org.touch("Case", org.cases[0], {"IsClosed": True})  # closed
    org.org.touch("Opportunity", org.opps[1], {"AccountId": a[2]})  # moved to another account
    org.api.clear_log()

    held = load_related(store, kept, STAMP)
    second = reader.read_accounts(first.high_water_mark, held)

    queries = related_queries(org)
    assert len(queries) == 6  # a count and a query per object, nothing else
    assert all("WHERE SystemModstamp >= " in q for q in queries)
    assert all(r.path.endswith("/queryAll/") for r in org.api.log if r.query in queries)
    assert org.api.records_served("/query", "FROM Opportunity") == 2
    assert org.api.records_served("/query", "FROM Contract") == 1
    assert org.api.records_served("/query", "FROM Case") == 2
    assert not second.related.full and second.related.rows_read == 5

    # The accounts whose signals moved were read again, with their new signals.
    accounts = second.accounts.set_index("Id")
    assert set(accounts.index) == set(a)  # each of the six had a related record change
    assert accounts.loc[a[0], "Expansion_Pipeline__c"] == "1500.0"
    assert accounts.loc[a[1], "Expansion_Pipeline__c"] == "0.0"
    assert accounts.loc[a[2], "Expansion_Pipeline__c"] == "2000.0"
    assert pd.isna(accounts.loc[a[3], "Contract_End_Date__c"])
    assert set(accounts["Segment_Override__c"]) == {"false"}  # read by Id, as text

    # The held records now are what a full read gives.
    full = read_related(reader.reader, None, None).records
    for name in RELATED:
        pd.testing.assert_frame_equal(second.related.records.of(name), full.of(name), obj=name)
    usage = reader.read_usage(second.related.records).set_index("AccountId")["OpenTickets"]
    assert usage[usage > 0].to_dict() == {a[4]: 1, a[5]: 1}


def test_a_night_with_nothing_changed_reads_no_record_and_keeps_the_files(
    org, salesforce_settings, tmp_path
):
    store = StateStore(str(tmp_path / "state"))
    reader = source(salesforce_settings)
    first = reader.read_accounts()
    kept = save_related(store, first.related, None, STAMP)
    org.api.clear_log()
    second = reader.read_accounts(first.high_water_mark, load_related(store, kept, STAMP))
    assert second.accounts.empty
    assert org.api.records_served("/query", "FROM Opportunity") == 0
    assert second.related.same_as_held
    assert save_related(store, second.related, kept, STAMP) == kept
    assert len(list((tmp_path / "state" / STATE_NAME).iterdir())) == 3


def test_held_records_under_another_stamp_or_gone_are_no_records(
    org, salesforce_settings, tmp_path
):
    store = StateStore(str(tmp_path / "state"))
    reader = source(salesforce_settings)
    kept = save_related(store, reader.read_accounts().related, None, STAMP)
    assert load_related(store, kept, STAMP) is not None
    assert load_related(store, kept, {**STAMP, "framework": "f2"}) is None
    assert load_related(store, None, STAMP) is None
    (tmp_path / "state" / STATE_NAME / kept["files"]["Case"]).unlink()
    assert load_related(store, kept, STAMP) is None


def test_without_held_records_an_incremental_night_reads_everything(org, salesforce_settings):
    """Signals of accounts not read tonight could only be trusted against held records."""
    reader = source(salesforce_settings)
    first = reader.read_accounts()
    org.api.clear_log()
    second = reader.read_accounts(first.high_water_mark, None)
    assert len(second.accounts) == 6 and second.related.full
    assert second.full_read_reason.startswith("no related records held")
    assert org.api.records_served("/query", "FROM Account WHERE SystemModstamp") == 0
