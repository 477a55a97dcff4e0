"""The real assets against the local org: crm_accounts from Salesforce, write-back, sync log."""

import tempfile

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.core.crm_sync import DEFAULT_FIELD_MAP
from segmentation_pipeline.defs.assets import ALL_ASSETS
from segmentation_pipeline.defs.checks import all_checks
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.partitions import current_month_key, monthly_partitions
from segmentation_pipeline.defs.resources import (
    SAMPLE_CRM_FOLDER,
    FirmographicsFileResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.defs.salesforce import (
    SalesforceCrmResource,
    SalesforceResource,
    crm_segment_sync,
    salesforce_resource_from_env,
)
from segmentation_pipeline.io.warehouse import Warehouse

MONTH = current_month_key()


def resource(server, **extra) -> SalesforceResource:
    fast = {"backoff_seconds": 0.01, "bulk_poll_seconds": 0.01}
    return SalesforceResource(**(server.password_login() | fast | extra))


def sync_log(url: str) -> pd.DataFrame:
    return Warehouse(url).read_table("crm_sync_log")


# --- the whole chain, Salesforce in and out --------------------------------------------
@pytest.fixture
def sample_org(salesforce_server):
    export = pd.read_csv(f"{SAMPLE_CRM_FOLDER}/accounts.csv", dtype=str, keep_default_na=False)
    salesforce_server.org.load_export("Account", export.to_dict("records"))
    # One owner the org knows by name: the extract reads User.Name for it.
    salesforce_server.named_owner = export["OwnerId"][0]
    salesforce_server.org.insert("User", {"Id": export["OwnerId"][0], "Name": "Dana Scully"})
    return salesforce_server


# One snapshot folder per warehouse: the nights of one test are one deployment.
_SNAPSHOT_DIRS: dict[str, str] = {}


def run_chain(server, url, **sf_extra):
    salesforce = resource(server, **sf_extra)
    warehouse = WarehouseResource(url=url)
    defs = dg.Definitions(
        assets=[*ALL_ASSETS, crm_segment_sync],
        asset_checks=all_checks(),
        resources={
            "framework": FrameworkResource(),
            "firmographics": FirmographicsFileResource(),
            "warehouse": warehouse,
            "snapshots": SnapshotStoreResource(
                base_dir=_SNAPSHOT_DIRS.setdefault(url, tempfile.mkdtemp(prefix="snapshots-"))
            ),
            "salesforce": salesforce,
            "crm": SalesforceCrmResource(salesforce=salesforce, usage_folder=SAMPLE_CRM_FOLDER),
            "io_manager": FrameFilesystemIOManager(),
        },
    )
    job = defs.resolve_implicit_global_asset_job_def()
    # No overlap: the nights of a test are seconds apart, every stamp is within 5 minutes.
    no_overlap = {"ops": {"crm_accounts": {"config": {"overlap_minutes": 0}}}}
    result = job.execute_in_process(
        partition_key=MONTH, instance=dg.DagsterInstance.ephemeral(), run_config=no_overlap
    )
    assert result.success
    return result


def sync_metadata(result) -> dict:
    [materialization] = [m for m in result.asset_materializations_for_node("crm_segment_sync")]
    return {k: v.value for k, v in materialization.metadata.items()}


def test_chain_reads_salesforce_writes_back_then_reads_only_changes(sample_org, sqlite_url):
    first = run_chain(sample_org, sqlite_url, bulk_write_threshold=100)
    accounts = first.asset_value("crm_accounts")
    assignments = first.asset_value("segment_assignments")
    assert len(accounts) == 1500
    meta = sync_metadata(first)
    assert meta["write_path"] == "bulk" and meta["failed"] == 0
    assert meta["sent"] == meta["changed"] == meta["succeeded"] > 0
    # Owner names travel from User.Name through every stage into the assignments.
    named = assignments[assignments["owner_name"].notna()]
    assert set(named["owner_id"]) == {sample_org.named_owner}
    assert set(named["owner_name"]) == {"Dana Scully"}
    written = assignments[assignments["status"] != "overridden"].iloc[0]
    held = sample_org.org.get("Account", written["account_id"])
    assert held["Customer_Tier__c"] == written["segment"]
    assert held["Segment_Framework_Version__c"] == written["framework_version"]
    log = sync_log(sqlite_url)
    assert len(log) == meta["succeeded"] + meta["skipped_override"]

    # The write-back moved SystemModstamp of every written account, so the next run reads
    # those once more, and finds nothing left to write.
    sample_org.api.clear_log()
    second = run_chain(sample_org, sqlite_url, bulk_write_threshold=100)
    assert sample_org.api.records_served("/query", "FROM Account WHERE") >= meta["succeeded"]
    assert sync_metadata(second)["sent"] == 0, sync_metadata(second)["field_changes"]
    assert sample_org.api.count("PATCH") == sample_org.api.count("POST", "/jobs/ingest") == 0

    # One account edited in the CRM, one deleted: the next run reads just those.
    changed, deleted = accounts["Id"][10], accounts["Id"][11]
    sample_org.org.touch("Account", changed, {"Name": "Renamed Holdings"})
    sample_org.org.delete("Account", deleted)
    sample_org.api.clear_log()
    third = run_chain(sample_org, sqlite_url, bulk_write_threshold=100)
    incremental = "FROM Account WHERE SystemModstamp >"
    assert sample_org.api.records_served("/query", incremental) == 2  # changed + deleted
    accounts2 = third.asset_value("crm_accounts").set_index("Id")
    assert len(accounts2) == 1499 and deleted not in accounts2.index
    assert accounts2.loc[changed, "Name"] == "Renamed Holdings"
    assert sync_metadata(third)["changed"] <= 1  # at most the renamed account moved
    assert sample_org.api.count("POST", "/jobs/ingest") == 0


# --- the write-back asset on a hand-built month -----------------------------------------
def as_extracted(server, ids) -> dg.AssetsDefinition:
    """crm_accounts as an extract reading the org now would hold them (the fields the
    write-back writes, by Id)."""
    fields = list(DEFAULT_FIELD_MAP.values())

    @dg.asset(name="crm_accounts", partitions_def=monthly_partitions)
    def extract() -> pd.DataFrame:
        held = [i for i in ids if i in server.org.table("Account").records]
        rows = [{"Id": i, **{f: server.org.get("Account", i).get(f) for f in fields}} for i in held]
        return pd.DataFrame(rows, columns=["Id", *fields])

    return extract


def sync_once(server, url, frame, dry_run=False, partition=MONTH, **sf_extra):
    @dg.asset(name="segment_assignments", partitions_def=monthly_partitions)
    def upstream() -> pd.DataFrame:
        return frame

    return dg.materialize(
        [upstream, as_extracted(server, list(frame["account_id"])), crm_segment_sync],
        partition_key=partition,
        resources={
            "salesforce": resource(server, **sf_extra),
            "warehouse": WarehouseResource(url=url),
        },
        run_config={"ops": {"crm_segment_sync": {"config": {"dry_run": dry_run}}}},
        raise_on_error=False,
    )


def month_frame(ids, segment="Tier 2"):
    return pd.DataFrame(
        {
            "account_id": ids,
            "segment": segment,
            "service_model_label": "Low-Touch",
            "composite_score": 3.1,
            "provisional": False,
            "at_risk": False,
            "explanation": "composite 3.10",
            "framework_version": "2026.1",
            "segment_override": [i == 0 for i in range(len(ids))],
            "status": ["overridden" if i == 0 else "segmented" for i in range(len(ids))],
        }
    )


@pytest.fixture
def small_org(salesforce_server):
    salesforce_server.ids = salesforce_server.org.insert_many(
        "Account", [{"Name": f"Account {i}"} for i in range(6)]
    )
    return salesforce_server


def test_dry_run_records_old_and_new_values_and_writes_nothing(small_org, sqlite_url):
    result = sync_once(small_org, sqlite_url, month_frame(small_org.ids), dry_run=True)
    assert result.success
    meta = sync_metadata(result)
    assert meta["dry_run"] is True and meta["sent"] == 0 and meta["changed"] == 5
    assert "Tier 2" in meta["planned_changes"]
    assert small_org.api.count("PATCH") == small_org.api.count("POST", "/jobs/ingest") == 0
    log = sync_log(sqlite_url)
    assert set(log["outcome"]) == {"planned", "skipped_override"}
    assert log["dry_run"].all()


def test_failed_rows_are_surfaced_then_retried_next_run(small_org, sqlite_url):
    small_org.faults.record_errors[small_org.ids[2]] = ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "no")
    first = sync_metadata(sync_once(small_org, sqlite_url, month_frame(small_org.ids)))
    assert (first["succeeded"], first["failed"]) == (4, 1)
    assert small_org.ids[2] in first["failed_rows"]

    small_org.faults.record_errors.clear()
    small_org.api.clear_log()
    second = sync_metadata(sync_once(small_org, sqlite_url, month_frame(small_org.ids)))
    assert (second["sent"], second["succeeded"], second["retried_from_last_run"]) == (1, 1, 1)
    assert small_org.api.count("PATCH", "/composite/sobjects") == 1

    small_org.api.clear_log()
    third = sync_metadata(sync_once(small_org, sqlite_url, month_frame(small_org.ids)))
    assert third["sent"] == 0 and small_org.api.count("PATCH") == 0
    outcomes = sync_log(sqlite_url).groupby("run_id")["outcome"].apply(set).tolist()
    assert {"failed", "success", "skipped_override"} in outcomes


def records_written(result) -> dg.AssetCheckEvaluation:
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "records_written"
    return evaluation


def test_a_record_the_org_keeps_refusing_fails_the_written_check_every_run_until_it_lands(
    small_org, sqlite_url
):
    """The run succeeds (the other records are written), but not in silence: the check
    warns, and the second time says the record failed the run before too."""
    small_org.faults.record_errors[small_org.ids[2]] = ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "no")
    first = records_written(sync_once(small_org, sqlite_url, month_frame(small_org.ids)))
    assert not first.passed and first.severity == dg.AssetCheckSeverity.WARN
    assert first.metadata["unwritten"].value == 1
    assert first.metadata["failed_the_run_before_too"].value == 0
    assert first.metadata["worst_offenders"].value == {"FIELD_CUSTOM_VALIDATION_EXCEPTION": 1}

    again = records_written(sync_once(small_org, sqlite_url, month_frame(small_org.ids)))
    assert not again.passed and again.metadata["failed_the_run_before_too"].value == 1
    assert again.metadata["summary"].value.startswith(
        "1 record(s) not written to the CRM (FIELD_CUSTOM_VALIDATION_EXCEPTION 1); 1 of them "
        "failed the previous run too: something in the org"
    )

    small_org.faults.record_errors.clear()
    assert records_written(sync_once(small_org, sqlite_url, month_frame(small_org.ids))).passed


def test_quota_stop_ends_the_run_cleanly(small_org, sqlite_url):
    small_org.api.daily_api_limit = 10
    small_org.api.api_used = 5  # describe, count and the read of current values bring it to 8
    result = sync_once(small_org, sqlite_url, month_frame(small_org.ids), quota_stop_share=0.8)
    assert result.success
    meta = sync_metadata(result)
    assert "stop share of 80%" in meta["stopped"]
    assert meta["not_sent"] == 5 and meta["quota_used"] == "8/10"
    assert set(sync_log(sqlite_url)["outcome"]) == {"not_sent", "skipped_override"}
    assert records_written(result).metadata["worst_offenders"].value == {"NOT_SENT": 5}


def test_a_limit_reached_before_the_org_was_read_fails_the_written_check(small_org, sqlite_url):
    """REQUEST_LIMIT_EXCEEDED on the read of the current values: the run ends cleanly, with
    nothing compared and nothing written, and the check says so instead of passing."""
    small_org.faults.refuse_after_calls = 1  # the describe, then every call is refused
    result = sync_once(small_org, sqlite_url, month_frame(small_org.ids))
    assert result.success
    assert "daily API limit exceeded" in sync_metadata(result)["stopped"]
    check = records_written(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    summary = check.metadata["summary"].value
    assert summary.startswith("the write-back stopped before it compared any record")
    assert "daily API limit exceeded" in summary

    small_org.faults.refuse_after_calls = None
    again = sync_once(small_org, sqlite_url, month_frame(small_org.ids))
    assert records_written(again).passed and sync_metadata(again)["succeeded"] == 5


def test_salesforce_down_beyond_the_retries_fails_the_run_clearly(small_org, sqlite_url):
    small_org.faults.unavailable_next = 3
    result = sync_once(small_org, sqlite_url, month_frame(small_org.ids), max_retries=2)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "gave up after 3 attempts (HTTP 503)" in str(failure.event_specific_data.error)
    assert small_org.api.count("PATCH") == 0


def test_a_past_month_is_never_written_back(small_org, sqlite_url):
    result = sync_once(small_org, sqlite_url, month_frame(small_org.ids), partition="2025-01-01")
    assert not result.success
    assert small_org.api.count() == 0


def test_secrets_come_from_env_vars_and_never_reach_errors_or_events(
    small_org, sqlite_url, monkeypatch
):
    secret = "Sup3r-Secret-Pw"
    monkeypatch.setenv("SALESFORCE_USERNAME", small_org.credentials.username)
    monkeypatch.setenv("SALESFORCE_PASSWORD", secret)
    monkeypatch.setenv("SALESFORCE_SECURITY_TOKEN", small_org.credentials.security_token)
    monkeypatch.setenv("SALESFORCE_PROXY_URL", small_org.proxy_url)
    monkeypatch.setenv("SALESFORCE_CA_BUNDLE", small_org.ca_file)
    salesforce = salesforce_resource_from_env()
    assert isinstance(salesforce.password, dg.EnvVar)

    @dg.asset(name="segment_assignments", partitions_def=monthly_partitions)
    def upstream() -> pd.DataFrame:
        return month_frame(small_org.ids)

    result = dg.materialize(
        [upstream, as_extracted(small_org, small_org.ids), crm_segment_sync],
        partition_key=MONTH,
        resources={"salesforce": salesforce, "warehouse": WarehouseResource(url=sqlite_url)},
        raise_on_error=False,
    )
    assert not result.success
    events = "\n".join(str(e) for e in result.all_events)
    assert "INVALID_LOGIN" in events
    assert secret not in events


def test_env_vars_configure_the_resource_with_types_and_secret_references():
    resource = salesforce_resource_from_env(
        {
            "SALESFORCE_AUTH_MODE": "jwt",
            "SALESFORCE_USERNAME": "integration@acme.com",
            "SALESFORCE_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----",
            "SALESFORCE_QUOTA_STOP_SHARE": "0.5",
            "SALESFORCE_BULK_WRITE_THRESHOLD": "500",
        }
    )
    assert (resource.auth_mode, resource.quota_stop_share) == ("jwt", 0.5)
    assert resource.bulk_write_threshold == 500
    assert isinstance(resource.private_key, dg.EnvVar)
