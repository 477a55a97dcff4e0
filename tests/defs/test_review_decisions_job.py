"""Review without SQL, end to end: a decision entered in Salesforce (Segment_Review__c) or
listed in the launchpad job is stored once and applied by the next night's write-back."""

import tempfile
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.defs.assets import ALL_ASSETS
from segmentation_pipeline.defs.partitions import current_month_key
from segmentation_pipeline.defs.resources import (
    SAMPLE_CRM_FOLDER,
    FirmographicsFileResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.defs.review_jobs import review_decisions_job
from segmentation_pipeline.defs.salesforce import (
    SalesforceCrmResource,
    SalesforceResource,
    crm_segment_sync,
)
from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.local_servers.salesforce_org import format_datetime

ACCOUNTS = 200  # of the sample export: enough for every tier


@pytest.fixture
def org(salesforce_server):
    export = pd.read_csv(f"{SAMPLE_CRM_FOLDER}/accounts.csv", dtype=str, keep_default_na=False)
    salesforce_server.org.load_export("Account", export.head(ACCOUNTS).to_dict("records"))
    return salesforce_server


def usage_of_the_org() -> str:
    """A folder with the sample's usage export cut to the org's accounts: a feed whose
    rows mostly name no account fails the night (inputs.usage_min_matched_share)."""
    export = pd.read_csv(f"{SAMPLE_CRM_FOLDER}/accounts.csv", dtype=str, keep_default_na=False)
    usage = pd.read_csv(f"{SAMPLE_CRM_FOLDER}/product_usage.csv", dtype=str)
    folder = tempfile.mkdtemp(prefix="usage-")
    held = usage["AccountId"].isin(export["Id"].head(ACCOUNTS))
    usage[held].to_csv(f"{folder}/product_usage.csv", index=False)
    return folder


class Nights:
    """Nightly runs of the whole chain, Salesforce in and out, on one warehouse."""

    def __init__(self, server, url: str):
        fast = {"backoff_seconds": 0.01, "bulk_poll_seconds": 0.01}
        salesforce = SalesforceResource(**(server.password_login() | fast))
        self.defs = dg.Definitions(
            assets=[*ALL_ASSETS, crm_segment_sync],
            resources={
                "framework": FrameworkResource(),
                "firmographics": FirmographicsFileResource(),
                "warehouse": WarehouseResource(url=url),
                "snapshots": SnapshotStoreResource(base_dir=tempfile.mkdtemp(prefix="snap-")),
                "salesforce": salesforce,
                "crm": SalesforceCrmResource(
                    salesforce=salesforce, usage_folder=usage_of_the_org()
                ),
            },
        )
        self.instance = dg.DagsterInstance.ephemeral()

    def run(self) -> dg.ExecuteInProcessResult:
        job = self.defs.resolve_implicit_global_asset_job_def()
        config = {"ops": {"crm_accounts": {"config": {"overlap_minutes": 0}}}}
        result = job.execute_in_process(
            partition_key=current_month_key(), instance=self.instance, run_config=config
        )
        assert result.success
        return result


def test_a_decision_entered_in_salesforce_is_applied_by_the_next_nights_write_back(org, sqlite_url):
    nights = Nights(org, sqlite_url)
    first = nights.run().asset_value("segment_assignments")
    # Top accounts lose their revenue: their computed tier falls, and the move waits.
    top = first[(first["status"] == "segmented") & (first["segment"] == "Tier 1")]
    for account in top["account_id"].head(4):
        org.org.touch("Account", account, {"ARR__c": 1000, "Expansion_Pipeline__c": 0})
    second = nights.run().asset_value("segment_assignments")
    pending = second[second["transition_status"] == "pending"]
    assert len(pending) >= 2
    approved, waiting = pending.iloc[0], pending.iloc[1]
    assert (
        org.org.get("Account", approved["account_id"])["Customer_Tier__c"]
        == (approved["transition_from"])
    )

    org.org.insert(
        "Segment_Review__c",
        {
            "Account__c": approved["account_id"],
            "Decision__c": "Approve",
            "Decided_By__c": "ana@example.com",
            "Decided_At__c": format_datetime(datetime.now(UTC)),
        },
    )
    third = nights.run()
    held = org.org.get("Account", approved["account_id"])
    assert held["Customer_Tier__c"] == approved["transition_to"]
    assert (
        org.org.get("Account", waiting["account_id"])["Customer_Tier__c"]
        == (waiting["transition_from"])
    )
    row = (
        third.asset_value("segment_assignments").set_index("account_id").loc[approved["account_id"]]
    )
    assert (row["transition_status"], row["transition_rule"], row["decided_by"]) == (
        "applied",
        "approval",
        "ana@example.com",
    )
    decisions = Warehouse(sqlite_url).read_table("segment_transition_decisions")
    assert decisions[["account_id", "decision", "decided_by"]].values.tolist() == [
        [approved["account_id"], "approved", "ana@example.com"]
    ]

    nights.run()  # read again the next night, the record is not a second decision
    assert len(Warehouse(sqlite_url).read_table("segment_transition_decisions")) == 1


def test_the_launchpad_job_stores_the_listed_decisions(sqlite_url):
    defs = dg.Definitions(
        jobs=[review_decisions_job], resources={"warehouse": WarehouseResource(url=sqlite_url)}
    )
    decisions = [
        {"account_id": "001A", "decision": "approve", "decided_by": "ana", "note": "ok"},
        {"account_id": "001B", "decision": "Reject", "decided_by": "bo"},
    ]
    config = {"ops": {"record_review_decisions": {"config": {"decisions": decisions}}}}
    result = defs.get_job_def("review_decisions_job").execute_in_process(run_config=config)
    assert result.success
    stored = Warehouse(sqlite_url).read_table("segment_transition_decisions")
    assert stored[["account_id", "decision", "decided_by", "note"]].fillna("").values.tolist() == [
        ["001A", "approved", "ana", "ok"],
        ["001B", "rejected", "bo", ""],
    ]


def test_the_launchpad_job_refuses_a_list_with_an_unknown_decision(sqlite_url):
    defs = dg.Definitions(
        jobs=[review_decisions_job], resources={"warehouse": WarehouseResource(url=sqlite_url)}
    )
    decisions = [
        {"account_id": "001A", "decision": "approve", "decided_by": "ana"},
        {"account_id": "001B", "decision": "later", "decided_by": "bo"},
    ]
    config = {"ops": {"record_review_decisions": {"config": {"decisions": decisions}}}}
    result = defs.get_job_def("review_decisions_job").execute_in_process(
        run_config=config, raise_on_error=False
    )
    assert not result.success
    assert Warehouse(sqlite_url).read_table("segment_transition_decisions").empty
