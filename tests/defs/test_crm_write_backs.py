"""The write-backs beyond the segment, end to end over HTTP against the local org:
folded duplicates linked to their survivor, enriched fields filling blanks, the
merge_candidates report, and the Opportunity types that count as expansion pipeline."""

import math

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.core.scoring import score_value
from segmentation_pipeline.core.standardize.accounts import standardize_accounts
from segmentation_pipeline.defs.partitions import current_month_key, monthly_partitions
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.defs.salesforce import (
    SalesforceCrmResource,
    SalesforceResource,
    crm_duplicate_sync,
    crm_enrichment_sync,
    merge_candidates,
)
from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH, load_framework
from segmentation_pipeline.io.warehouse import Warehouse

MONTH = current_month_key()


def resource(server) -> SalesforceResource:
    fast = {"backoff_seconds": 0.01, "bulk_poll_seconds": 0.01}
    return SalesforceResource(**(server.password_login() | fast))


def upstream(name: str, frame: pd.DataFrame) -> dg.AssetsDefinition:
    @dg.asset(name=name, partitions_def=monthly_partitions)
    def _given() -> pd.DataFrame:
        return frame

    return _given


def materialize(server, url, asset, framework="", **inputs) -> dict:
    result = dg.materialize(
        [*(upstream(name, frame) for name, frame in inputs.items()), asset],
        partition_key=MONTH,
        resources={
            "framework": FrameworkResource(path=framework),
            "salesforce": resource(server),
            "warehouse": WarehouseResource(url=url),
        },
    )
    assert result.success
    [event] = result.asset_materializations_for_node(asset.op.name)
    return {k: v.value for k, v in event.metadata.items()}


def assignment(account_id: str, segment: str) -> dict:
    return {
        "account_id": account_id,
        "name": f"Account {account_id}",
        "segment": segment,
        "service_model_label": "High-Touch",
        "composite_score": 4.1,
        "provisional": False,
        "at_risk": False,
        "explanation": f"composite 4.10: {segment}",
        "framework_version": "2026.1",
        "segment_override": False,
        "status": "segmented",
    }


@pytest.fixture
def folded_org(salesforce_server):
    org = salesforce_server.org
    salesforce_server.survivor = org.insert("Account", {"Name": "Acme Corp"})
    salesforce_server.folded = org.insert("Account", {"Name": "ACME Corporation"})
    return salesforce_server


AUDIT_COLUMNS = ["account_id", "survivor_id", "match_probability", "evidence"]


def test_a_folded_record_receives_duplicate_of_and_the_survivors_tier(folded_org, sqlite_url):
    survivor, folded = folded_org.survivor, folded_org.folded
    assignments = pd.DataFrame([assignment(survivor, "Tier 1")])
    audit = pd.DataFrame([[folded, survivor, 0.97, "domain"]], columns=AUDIT_COLUMNS)
    inputs = {"segment_assignments": assignments, "account_merge_audit": audit}
    meta = materialize(folded_org, sqlite_url, crm_duplicate_sync, **inputs)
    held = folded_org.org.get("Account", folded)
    assert held["Duplicate_Of__c"] == survivor
    assert (held["Customer_Tier__c"], held["Service_Model__c"]) == ("Tier 1", "High-Touch")
    assert meta["succeeded"] == 1 and meta["write_path"] == "collections"
    log = Warehouse(sqlite_url).read_table("crm_sync_log")
    assert log[["account_id", "outcome"]].values.tolist() == [[folded, "success"]]
    assert "Duplicate_Of__c" in log["changes"].iloc[0]

    # The next night finds nothing left to write: the same diffing as the segment fields.
    folded_org.api.clear_log()
    again = materialize(folded_org, sqlite_url, crm_duplicate_sync, **inputs)
    assert (again["sent"], again["unchanged"]) == (0, 1)
    assert folded_org.api.count("PATCH") == 0


def test_under_policy_none_a_folded_record_gets_only_the_link(folded_org, sqlite_url, tmp_path):
    bundled = DEFAULT_FRAMEWORK_PATH.read_text()
    assert "  duplicates: survivor_segment\n" in bundled
    framework = tmp_path / "framework.yaml"
    framework.write_text(
        bundled.replace("  duplicates: survivor_segment\n", "  duplicates: none\n")
    )
    survivor, folded = folded_org.survivor, folded_org.folded
    inputs = {
        "segment_assignments": pd.DataFrame([assignment(survivor, "Tier 1")]),
        "account_merge_audit": pd.DataFrame(
            [[folded, survivor, 0.97, "domain"]], columns=AUDIT_COLUMNS
        ),
    }
    materialize(folded_org, sqlite_url, crm_duplicate_sync, str(framework), **inputs)
    held = folded_org.org.get("Account", folded)
    assert (held["Duplicate_Of__c"], held["Customer_Tier__c"]) == (survivor, None)
    assert held["Segment_Updated_At__c"] is None  # no segment field was written


def test_the_merge_candidates_report_lists_each_cluster(folded_org, sqlite_url):
    survivor, folded = folded_org.survivor, folded_org.folded
    audit = pd.DataFrame([[folded, survivor, 0.97, "domain"]], columns=AUDIT_COLUMNS)
    meta = materialize(
        folded_org,
        sqlite_url,
        merge_candidates,
        account_merge_audit=audit,
        segment_assignments=pd.DataFrame([assignment(survivor, "Tier 1")]),
    )
    table = Warehouse(sqlite_url).read_table("merge_candidates")
    assert table[["survivor_id", "members", "member_count"]].values.tolist() == [
        [survivor, folded, 1]
    ]
    assert table["snapshot_month"].tolist() == [MONTH]
    assert meta["dagster/row_count"] == 1 and f"Account {survivor}" in meta["preview"]


def test_merge_candidates_rewrite_only_the_clusters_that_changed(folded_org, sqlite_url):
    survivor, folded = folded_org.survivor, folded_org.folded
    audit = pd.DataFrame([[folded, survivor, 0.97, "domain"]], columns=AUDIT_COLUMNS)
    inputs = {
        "account_merge_audit": audit,
        "segment_assignments": pd.DataFrame([assignment(survivor, "Tier 1")]),
    }
    assert materialize(folded_org, sqlite_url, merge_candidates, **inputs)["rows_written"] == 1
    again = materialize(folded_org, sqlite_url, merge_candidates, **inputs)
    assert (again["rows_written"], again["dagster/row_count"]) == (0, 1)
    inputs["account_merge_audit"] = audit.assign(match_probability=0.91)
    moved = materialize(folded_org, sqlite_url, merge_candidates, **inputs)
    assert moved["rows_written"] == 1
    table = Warehouse(sqlite_url).read_table("merge_candidates")
    assert table["min_match_probability"].tolist() == [0.91]


@pytest.mark.parametrize("blank", [250])
def test_an_enriched_industry_is_written_only_where_the_crm_field_was_blank(
    salesforce_server, sqlite_url, blank
):
    org = salesforce_server.org
    empty = org.insert_many("Account", [{"Name": f"Gap {i}"} for i in range(blank)])
    filled = org.insert_many(
        "Account", [{"Name": f"Set {i}", "Industry": "Banking"} for i in range(5)]
    )
    ids = empty + filled
    enriched = pd.DataFrame(
        {
            "account_id": ids,
            "industry": "Retail",
            "industry_source": "pdl",
            "industry_confidence": 0.9,
            "employees": 40.0,
            "employees_source": "crm",  # the CRM's own value: never written back
            "employees_confidence": None,
        }
    )
    meta = materialize(
        salesforce_server, sqlite_url, crm_enrichment_sync, accounts_enriched=enriched
    )
    assert salesforce_server.api.count("PATCH", "/composite/sobjects") == math.ceil(blank / 200)
    assert (meta["succeeded"], meta["unchanged"]) == (blank, 5)
    assert {org.get("Account", i)["Industry"] for i in empty} == {"Retail"}
    assert {org.get("Account", i)["Industry"] for i in filled} == {"Banking"}
    assert {org.get("Account", i)["NumberOfEmployees"] for i in ids} == {None}
    assert org.get("Account", empty[0])["Segment_Updated_At__c"] is None


def test_an_opportunity_of_an_excluded_type_does_not_move_the_expansion_score(salesforce_server):
    org = salesforce_server.org
    account = org.insert(
        "Account",
        {
            "Name": "Initech",
            "ARR__c": 100000.0,
            "Contract_Term__c": "Annual",
            "Industry": "Software",
        },
    )
    org.insert("Opportunity", {"AccountId": account, "Amount": 50000.0, "Type": "Upsell"})
    crm = SalesforceCrmResource(salesforce=resource(salesforce_server))
    framework = load_framework()

    def expansion() -> tuple[str, float]:
        raw = crm.read_accounts().accounts
        points = score_value(standardize_accounts(raw, framework), framework)
        return raw["Expansion_Pipeline__c"].iloc[0], points["val_expansion_points"].iloc[0]

    before = expansion()
    assert "Renewal" not in framework.assignment.value_inputs.expansion_opportunity_types
    org.insert("Opportunity", {"AccountId": account, "Amount": 900000.0, "Type": "Renewal"})
    assert expansion() == before == ("50000.0", before[1])
    org.insert("Opportunity", {"AccountId": account, "Amount": 900000.0, "Type": "Expansion"})
    assert expansion()[1] > before[1]  # a counted type does move it
