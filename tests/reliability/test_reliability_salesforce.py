"""Salesforce nights on the local org: the high-water mark under a slow extraction, the
full reconcile that removes purged accounts, a Bulk poll that fails, and the pipeline's
own write-back coming back the next night.

`salesforce_night(...)` runs the real assets (extract to warehouse, and the write-back
when asked) with Salesforce as the CRM; every call of one test is the next night of one
deployment (one warehouse, one snapshot folder, one IO manager folder)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.core.clock import month_key
from segmentation_pipeline.defs.enrichment import FirmographicsResource
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.jobs import PIPELINE_GROUPS
from segmentation_pipeline.defs.partitions import FRAMEWORK_TIMEZONE
from segmentation_pipeline.defs.resources import (
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.defs.salesforce import SalesforceCrmResource, SalesforceResource
from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.sample_data import write_sample_crm

OPEN_MONTH = month_key(FRAMEWORK_TIMEZONE)


@dataclass
class SalesforceNight:
    result: dg.ExecuteInProcessResult
    warehouse_url: str

    def metadata(self, asset: str) -> dict:
        for event in self.result.get_asset_materialization_events():
            if event.asset_key.to_user_string() == asset:
                return {k: v.value for k, v in event.materialization.metadata.items()}
        raise KeyError(asset)

    def value(self, asset: str):
        return self.result.asset_value(asset)

    def check(self, name: str) -> dict:
        for evaluation in self.result.get_asset_check_evaluations():
            if evaluation.check_name == name:
                return {k: v.value for k, v in evaluation.metadata.items()}
        raise KeyError(name)

    def warehouse(self) -> Warehouse:
        return Warehouse(self.warehouse_url)


ORG_ACCOUNTS = 300  # enough for a Bulk write-back (over 100 rows) and every case here


@pytest.fixture(scope="module")
def crm_folder(tmp_path_factory) -> str:
    """Where the accounts imported into the org, the usage and the firmographics come from:
    a sample CRM like the bundled one, of `ORG_ACCOUNTS` accounts."""
    folder = tmp_path_factory.mktemp("org")
    write_sample_crm(folder, n_accounts=ORG_ACCOUNTS)
    return str(folder)


@pytest.fixture
def sample_org(salesforce_server, crm_folder):
    """The folder's accounts, imported into the local org."""
    export = pd.read_csv(f"{crm_folder}/accounts.csv", dtype=str, keep_default_na=False)
    salesforce_server.org.load_export("Account", export.to_dict("records"))
    return salesforce_server


@pytest.fixture
def salesforce_night(sample_org, crm_folder, tmp_path: Path) -> Callable[..., SalesforceNight]:
    """salesforce_night(month=OPEN_MONTH, write_back=False, extract=None,
    expect_success=True, syncs=(), **salesforce resource settings); `write_back` adds
    crm_segment_sync, `syncs` any other write-backs."""
    state = tmp_path / "state"
    state.mkdir()
    url = f"sqlite:///{state / 'warehouse.sqlite'}"
    instance = dg.DagsterInstance.ephemeral()

    def run(
        month: str = OPEN_MONTH,
        write_back: bool = False,
        extract: dict | None = None,
        expect_success: bool = True,
        syncs: tuple[str, ...] = (),
        **salesforce_settings,
    ) -> SalesforceNight:
        import segmentation_pipeline.definitions as location

        fast = {"backoff_seconds": 0.01, "bulk_poll_seconds": 0.01}
        login = sample_org.password_login() | fast | salesforce_settings
        salesforce = SalesforceResource(**login)
        sync = [*(["crm_segment_sync"] if write_back else []), *syncs]
        selection = dg.AssetSelection.groups(*PIPELINE_GROUPS) | dg.AssetSelection.assets(*sync)
        job = dg.define_asset_job("salesforce_night", selection=selection)
        defs = dg.Definitions(
            assets=location.defs.assets,
            asset_checks=location.defs.asset_checks,
            jobs=[job],
            resources=location.default_resources()
            | {
                "warehouse": WarehouseResource(url=url),
                "salesforce": salesforce,
                "crm": SalesforceCrmResource(salesforce=salesforce, usage_folder=crm_folder),
                "framework": FrameworkResource(),
                "snapshots": SnapshotStoreResource(base_dir=str(state / "snapshots")),
                "io_manager": FrameFilesystemIOManager(base_dir=str(state / "outputs")),
                "firmographics": FirmographicsResource(path=f"{crm_folder}/firmographics.csv"),
            },
        )
        # Nights in a test are seconds apart: without an overlap, a missed record stays
        # missed, as one edited more than the overlap before the mark would in production.
        config = {"overlap_minutes": 0, **(extract or {})}
        result = defs.resolve_job_def("salesforce_night").execute_in_process(
            partition_key=month,
            instance=instance,
            run_config={"ops": {"crm_accounts": {"config": config}}},
            raise_on_error=False,
        )
        assert result.success == expect_success, [
            e.step_failure_data.error.message for e in result.all_events if e.is_step_failure
        ]
        return SalesforceNight(result, url)

    return run


# --- the high-water mark ----------------------------------------------------------------
def test_an_account_edited_during_a_slow_extraction_is_read_the_next_night(
    salesforce_night, sample_org, monkeypatch
):
    salesforce_night()
    org = sample_org.org
    edited, other = sorted(org.tables["Account"].records)[20:22]
    run_query = org.run_query

    def slow(soql: str, include_deleted: bool):
        # While the related records are read, long after the Account query: a user saves
        # an Account, then an Opportunity changes later still.
        if "FROM Opportunity" in soql and "SystemModstamp >" in soql:
            monkeypatch.setattr(org, "run_query", run_query)
            org.touch("Account", edited, {"Name": "Edited During Extraction"})
            org.insert("Opportunity", {"AccountId": other, "Amount": 100.0, "IsClosed": True})
        return run_query(soql, include_deleted)

    monkeypatch.setattr(org, "run_query", slow)
    second = salesforce_night()
    assert second.value("crm_accounts").set_index("Id").loc[edited, "Name"] != (
        "Edited During Extraction"
    )

    third = salesforce_night()
    assert third.value("crm_accounts").set_index("Id").loc[edited, "Name"] == (
        "Edited During Extraction"
    )
    assert third.metadata("crm_accounts")["updated_accounts"] >= 1


# --- the full reconcile -----------------------------------------------------------------
def test_a_purged_account_leaves_with_the_monthly_full_reconcile(salesforce_night, sample_org):
    previous_month = (pd.Timestamp(OPEN_MONTH) - pd.DateOffset(months=1)).strftime("%Y-%m-01")
    first = salesforce_night(month=previous_month)
    purged = first.value("crm_accounts")["Id"].iloc[7]
    sample_org.org.purge("Account", purged)

    reconciled = salesforce_night(month=OPEN_MONTH)
    meta = reconciled.metadata("crm_accounts")
    assert meta["full_refresh_reason"] == "new month: full reconcile"
    assert purged not in set(reconciled.value("crm_accounts")["Id"])
    assert meta["deleted_accounts"] == 1


def test_full_refresh_reads_every_account_and_drops_the_purged(salesforce_night, sample_org):
    first = salesforce_night()
    purged = first.value("crm_accounts")["Id"].iloc[3]
    sample_org.org.purge("Account", purged)

    incremental = salesforce_night()
    assert purged in set(incremental.value("crm_accounts")["Id"])  # nothing says it left

    sample_org.api.clear_log()
    full = salesforce_night(extract={"full_refresh": True})
    assert full.metadata("crm_accounts")["full_refresh_reason"] == "requested"
    assert purged not in set(full.value("crm_accounts")["Id"])
    # Every Id came back from a query without a SystemModstamp condition.
    assert sample_org.api.records_served("/query", "FROM Account") >= ORG_ACCOUNTS - 1
    assert sample_org.api.records_served("/query", "FROM Account WHERE SystemModstamp") == 0


# --- a merge in Salesforce --------------------------------------------------------------
def test_an_account_merged_away_in_salesforce_leaves_and_its_opportunities_follow_the_master(
    salesforce_night, sample_org
):
    """RevOps merges two accounts: the loser is deleted (MasterRecordId = the master) and
    its opportunities move to the master. The loser leaves with its history closed, the
    master's expansion pipeline gains the moved opportunity, and a re-run writes nothing."""
    ids = sorted(sample_org.org.tables["Account"].records)
    loser, master = ids[60], ids[61]
    sample_org.org.insert(
        "Opportunity",
        {"AccountId": loser, "Amount": 40000.0, "IsClosed": False, "Type": "Expansion"},
    )
    first = salesforce_night(write_back=True)
    held = first.value("crm_accounts").set_index("Id")["Expansion_Pipeline__c"].astype(float)
    assert held[loser] == 40000.0
    history = first.warehouse().read_table("segment_history")
    assert history[history["account_id"] == loser]["valid_to"].isna().any()

    sample_org.org.merge("Account", master, [loser])
    merged = salesforce_night(write_back=True)
    accounts = merged.value("crm_accounts").set_index("Id")
    assert loser not in accounts.index
    assert merged.metadata("crm_accounts")["deleted_accounts"] == 1
    assert float(accounts.loc[master, "Expansion_Pipeline__c"]) == held[master] + 40000.0
    assert loser not in set(merged.value("segment_assignments")["account_id"])
    history = merged.warehouse().read_table("segment_history")
    assert history[history["account_id"] == loser]["valid_to"].notna().all()

    rerun = salesforce_night(write_back=True)
    assert rerun.metadata("crm_segment_sync")["changed"] == 0


def test_usage_of_an_account_merged_away_in_salesforce_counts_for_the_master(
    salesforce_night, sample_org
):
    """The usage export still names the loser of a Salesforce merge: its rows count for
    the master, as a folded duplicate's count for its survivor, and are no unmatched
    usage. The merge is remembered: the month's full reconcile, which lists no deleted
    account, still gives the loser's usage to the master.

    The sample's usage (product_usage.csv): the master has Core Platform (471 logins,
    ProductARR 10009.09) and Analytics (103, 6672.73); the loser Core Platform only (56,
    3183.04). Merged: Core Platform 527 logins, 13192.13; the account 630 logins over
    both products, 19864.86 of product ARR."""
    previous_month = (pd.Timestamp(OPEN_MONTH) - pd.DateOffset(months=1)).strftime("%Y-%m-01")
    ids = sorted(sample_org.org.tables["Account"].records)
    loser, master = ids[60], ids[61]
    first = salesforce_night(month=previous_month)
    scores = first.value("account_scores").set_index("account_id")
    assert (scores.loc[master, "logins_30d"], scores.loc[loser, "logins_30d"]) == (574, 56)
    assert first.metadata("account_scores")["usage_rows_without_account"] == 0

    sample_org.org.merge("Account", master, [loser])
    for month, mode in ((previous_month, "incremental"), (OPEN_MONTH, "full")):
        night = salesforce_night(month=month)
        assert night.metadata("crm_accounts")["extract_mode"] == mode
        assert night.metadata("account_scores")["usage_rows_without_account"] == 0
        scores = night.value("account_scores").set_index("account_id")
        assert loser not in scores.index
        assert scores.loc[master, "logins_30d"] == 630
        assert scores.loc[master, "product_arr_total"] == pytest.approx(19864.86)


def test_a_merge_made_just_before_the_months_full_reconcile_is_seen(salesforce_night, sample_org):
    """The full reconcile reads no deleted account, and the next incremental night reads
    from its mark on: the merge is read from the recycle bin on the full read itself."""
    previous_month = (pd.Timestamp(OPEN_MONTH) - pd.DateOffset(months=1)).strftime("%Y-%m-01")
    ids = sorted(sample_org.org.tables["Account"].records)
    loser, master = ids[60], ids[61]
    salesforce_night(month=previous_month)
    sample_org.org.merge("Account", master, [loser])
    for mode in ("full", "incremental"):
        night = salesforce_night(month=OPEN_MONTH)
        assert night.metadata("crm_accounts")["extract_mode"] == mode
        assert night.metadata("account_scores")["usage_rows_without_account"] == 0
        assert (
            night.value("account_scores").set_index("account_id").loc[master, "logins_30d"] == 630
        )


# --- a Bulk poll refused ---------------------------------------------------------------
def test_a_refused_bulk_poll_never_claims_rows_were_not_sent(salesforce_night, sample_org):
    sample_org.faults.forbid_next_ingest_polls = 1000
    first = salesforce_night(write_back=True, bulk_write_threshold=100, expect_success=False)
    log = first.warehouse().read_table("crm_sync_log")
    written = log[log["outcome"] != "skipped_override"]
    assert len(written) > 0
    assert set(written["outcome"]) == {"unknown"}
    assert written["bulk_job_id"].notna().all()
    # Salesforce did apply the job: the next night's diff finds nothing left to send.
    sample_org.faults.forbid_next_ingest_polls = 0
    second = salesforce_night(write_back=True, bulk_write_threshold=100)
    sync = second.metadata("crm_segment_sync")
    assert (sync["changed"], sync["not_sent"], sync["unknown"]) == (0, 0, 0)
    assert sync["retried_from_last_run"] == 0


# --- a write-back whose answer was lost -------------------------------------------------
def test_a_write_the_org_applied_without_answering_is_unknown_and_never_sent_again(
    salesforce_night, sample_org
):
    """The connection drops after the org committed the first Collections call: its
    records are `unknown` in crm_sync_log (the org holds them), the rest `not_sent`. The
    next night sends only the rest, and a re-run of it sends nothing."""
    salesforce_night()
    sample_org.faults.lose_next_write_answers, sample_org.faults.stall_seconds = 2, 2.5
    lost = salesforce_night(write_back=True, timeout_seconds=1.0, max_retries=1,
                            expect_success=False)  # fmt: skip
    log = lost.warehouse().read_table("crm_sync_log")
    by_outcome = log.groupby("outcome")["account_id"].apply(set).to_dict()
    assert len(by_outcome["unknown"]) == 200 and len(by_outcome["not_sent"]) > 0
    assert "success" not in by_outcome
    segments = lost.value("segment_assignments").set_index("account_id")["segment"]
    for account in by_outcome["unknown"]:
        assert sample_org.org.get("Account", account)["Customer_Tier__c"] == segments[account]

    second = salesforce_night(write_back=True)
    sync = second.metadata("crm_segment_sync")
    assert (sync["changed"], sync["succeeded"]) == (len(by_outcome["not_sent"]),) * 2
    assert sync["retried_from_last_run"] == len(by_outcome["not_sent"])
    assert second.metadata("crm_accounts")["updated_accounts"] == 0
    rerun = salesforce_night(write_back=True)
    assert rerun.metadata("crm_segment_sync")["changed"] == 0


# --- the pipeline's own write-back ------------------------------------------------------
def test_our_own_write_back_is_no_change_the_next_night(salesforce_night, sample_org):
    first = salesforce_night(write_back=True, bulk_write_threshold=100)
    written = first.metadata("crm_segment_sync")
    assert written["succeeded"] > 0 and written["unknown"] == 0

    second = salesforce_night(write_back=True, bulk_write_threshold=100)
    extract = second.metadata("crm_accounts")
    # Every written account came back (its SystemModstamp moved), as our own echo.
    assert extract["own_write_back_accounts"] > 0
    assert extract["updated_accounts"] == 0
    scores = first.value("account_scores").set_index("account_id")
    again = second.value("account_scores").set_index("account_id").reindex(scores.index)
    pd.testing.assert_series_equal(scores["composite_score"], again["composite_score"])
    segments = first.value("segment_assignments").set_index("account_id")["segment"]
    assert (
        second.value("segment_assignments")
        .set_index("account_id")["segment"]
        .reindex(segments.index)
        .equals(segments)
    )
    assert second.metadata("crm_segment_sync")["changed"] == 0


def test_a_tier_typed_under_a_manual_override_is_an_edit(salesforce_night, sample_org):
    first = salesforce_night(write_back=True, bulk_write_threshold=100)
    account = first.value("crm_accounts")["Id"].iloc[5]
    sample_org.org.touch(
        "Account", account, {"Segment_Override__c": True, "Customer_Tier__c": "Tier 1"}
    )
    salesforce_night(write_back=True, bulk_write_threshold=100)
    sample_org.org.touch("Account", account, {"Customer_Tier__c": "Tier 3"})
    third = salesforce_night(write_back=True, bulk_write_threshold=100)
    assert third.metadata("crm_accounts")["updated_accounts"] == 1
    assigned = third.value("segment_assignments").set_index("account_id").loc[account]
    assert (assigned["status"], assigned["segment"]) == ("overridden", "Tier 3")


def _another_tier(night) -> tuple[str, str]:
    """A segmented account of `night` and a tier other than the one it holds."""
    segmented = night.value("segment_assignments").query("status == 'segmented'")
    account, held = segmented[["account_id", "segment"]].iloc[0]
    return account, next(t for t in ("Tier 1", "Tier 2", "Tier 3") if t != held)


def _edit_before_the_write_back(monkeypatch, sample_org, account: str, values: dict) -> None:
    """A person edits `account` in the org once the next night's extract has read it, just
    before the write-back reads the org."""
    from segmentation_pipeline.io.salesforce.sync import SegmentSync

    read_current = SegmentSync.read_current

    def edited_first(self):
        sample_org.org.touch("Account", account, values)
        monkeypatch.setattr(SegmentSync, "read_current", read_current)
        return read_current(self)

    monkeypatch.setattr(SegmentSync, "read_current", edited_first)


def test_an_override_set_while_the_night_runs_is_never_written_over(
    salesforce_night, sample_org, monkeypatch
):
    """A CSM ticks Segment_Override__c and sets the tier after tonight's extract read the
    account, before the write-back: the write-back reads the org at write time, so it
    leaves that record alone, and the next night keeps the CSM's tier as the override."""
    account, manual = _another_tier(salesforce_night())
    _edit_before_the_write_back(
        monkeypatch, sample_org, account, {"Segment_Override__c": True, "Customer_Tier__c": manual}
    )
    second = salesforce_night(write_back=True)
    log = second.warehouse().read_table("crm_sync_log").set_index("account_id")
    assert log.loc[account, "outcome"] == "skipped_override"
    assert sample_org.org.get("Account", account)["Customer_Tier__c"] == manual

    third = salesforce_night(write_back=True)
    assigned = third.value("segment_assignments").set_index("account_id").loc[account]
    assert (assigned["status"], assigned["segment"]) == ("overridden", manual)
    assert sample_org.org.get("Account", account)["Customer_Tier__c"] == manual


def test_a_tier_a_csm_sets_while_the_night_runs_is_never_written_over(
    salesforce_night, sample_org, monkeypatch
):
    """A CSM sets Customer_Tier__c (no override) after tonight's extract read the account,
    before the write-back: the write-back leaves that record alone (skipped_changed) instead
    of putting the pipeline's tier over the edit unseen, and the next night reads the CSM's
    tier as the account's current one, as it reads an edit made before the extract."""
    account, manual = _another_tier(salesforce_night())
    _edit_before_the_write_back(monkeypatch, sample_org, account, {"Customer_Tier__c": manual})
    second = salesforce_night(write_back=True)
    log = second.warehouse().read_table("crm_sync_log").set_index("account_id")
    assert log.loc[account, "outcome"] == "skipped_changed"
    assert "Customer_Tier__c" in log.loc[account, "error_message"]
    assert sample_org.org.get("Account", account)["Customer_Tier__c"] == manual

    third = salesforce_night(write_back=True)
    assigned = third.value("segment_assignments").set_index("account_id").loc[account]
    assert (assigned["crm_tier"], assigned["current_tier"]) == (manual, manual)


def test_gaps_our_enrichment_write_back_filled_still_count_as_the_vendors_matches(
    salesforce_night, sample_org
):
    """Once crm_enrichment_sync has filled a blank field in the org, the next night's
    extract holds the vendor's value as the CRM's own: the account still reached the
    pipeline with a gap the vendor filled, so the match rate does not fall (it fell from
    88% to 59% and raised a critical alert, the vendor unchanged)."""
    first = salesforce_night(syncs=("crm_enrichment_sync",), bulk_write_threshold=100)
    assert first.metadata("crm_enrichment_sync")["succeeded"] > 0
    second = salesforce_night(syncs=("crm_enrichment_sync",), bulk_write_threshold=100)
    before, after = first.check("enrichment_coverage"), second.check("enrichment_coverage")
    assert after["details"] == before["details"]
    assert (after["value"], after["grade"]) == (before["value"], before["grade"])


def test_gaps_filled_by_a_write_back_whose_outcome_was_lost_still_count_as_the_vendors_matches(
    salesforce_night, sample_org
):
    """The enrichment write-back's Bulk job was applied but its outcome could not be read
    (its rows `unknown`): the org holds the vendor's values all the same, so the next
    night's match rate must not fall as if the CRM had them of its own."""
    sample_org.faults.forbid_next_ingest_polls = 1000
    first = salesforce_night(
        syncs=("crm_enrichment_sync",), bulk_write_threshold=1, expect_success=False
    )
    log = first.warehouse().read_table("crm_sync_log")
    assert len(log) > 0 and set(log["outcome"]) == {"unknown"}
    sample_org.faults.forbid_next_ingest_polls = 0
    second = salesforce_night(syncs=("crm_enrichment_sync",), bulk_write_threshold=1)
    assert second.metadata("crm_enrichment_sync")["changed"] == 0  # they had landed
    before, after = first.check("enrichment_coverage"), second.check("enrichment_coverage")
    assert after["details"] == before["details"]
    assert (after["value"], after["grade"]) == (before["value"], before["grade"])
