"""The whole asset chain on the bundled sample: every account is accounted for."""

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.core.schema import UNSEGMENTED
from segmentation_pipeline.definitions import defs
from segmentation_pipeline.defs.resources import FileCrmResource, WarehouseResource
from segmentation_pipeline.io.warehouse import Warehouse

MONTH = "2026-11-01"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('wh') / 'warehouse.sqlite'}"
    job = defs.resolve_job_def("segmentation_job")
    resources = {"warehouse": WarehouseResource(url=url), "crm": FileCrmResource()}
    result = job.execute_in_process(
        partition_key=MONTH, instance=dg.DagsterInstance.ephemeral(), resources=resources
    )
    assert result.success
    return result, url


def test_every_account_ends_segmented_merged_or_unsegmented_with_reason(run):
    result, _ = run
    raw = result.asset_value("crm_accounts")
    survivors = result.asset_value("accounts_deduplicated")
    audit = result.asset_value("account_merge_audit")
    assignments = result.asset_value("segment_assignments")

    assert len(raw) == 1500
    assert len(survivors) + len(audit) == len(raw)
    assert set(survivors["account_id"]) | set(audit["account_id"]) == set(raw["Id"])
    assert set(survivors["account_id"]).isdisjoint(audit["account_id"])
    assert set(audit["survivor_id"]) <= set(survivors["account_id"])

    assert sorted(assignments["account_id"]) == sorted(survivors["account_id"])
    assert set(assignments["status"]) <= {"segmented", "provisional", "overridden", "unsegmented"}
    unsegmented = assignments[assignments["segment"] == UNSEGMENTED]
    assert (unsegmented["status"] == "unsegmented").all()
    assert unsegmented["unsegmented_reason"].notna().all()
    segmented = assignments[assignments["segment"] != UNSEGMENTED]
    assert segmented["unsegmented_reason"].isna().all()
    assert segmented["service_model"].notna().all()


def test_checks_ran_and_passed_on_the_sample(run):
    result, _ = run
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert {"segment_coverage_check", "key_field_completeness_industry"} <= set(evaluations)
    coverage = evaluations["segment_coverage_check"]
    assert coverage.passed
    assert coverage.metadata["threshold"].value == 0.95


def test_warehouse_holds_the_month(run):
    result, url = run
    snapshots = Warehouse(url).read_table("segment_snapshots")
    assert len(snapshots) == len(result.asset_value("segment_assignments"))
    assert set(snapshots["snapshot_month"]) == {MONTH}
    summary = Warehouse(url).read_table("report_segment_summary")
    assert summary["accounts"].sum() == len(snapshots)


def test_assets_carry_metadata(run):
    result, _ = run
    materializations = {
        m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()
    }
    for key in ("crm_accounts", "accounts_standardized", "segment_assignments"):
        metadata = materializations[key].materialization.metadata
        assert metadata["dagster/row_count"].value > 0
        assert "preview" in metadata
    assert "tier_distribution" in materializations["segment_assignments"].materialization.metadata


def test_a_red_coverage_check_blocks_downstream_steps(tmp_path):
    """Drop ARR from 30% of accounts: they are Unsegmented, coverage falls below the 80% red
    flag (ARR completeness, ~70%, is only a warning), the blocking check fails and nothing
    downstream of segment_assignments runs."""
    folder = tmp_path / "crm"
    folder.mkdir()
    raw = pd.read_csv(FileCrmResource().folder + "/accounts.csv", dtype=str)
    raw.loc[raw.index[: int(len(raw) * 0.3)], "ARR__c"] = None
    raw.to_csv(folder / "accounts.csv", index=False)
    shutil.copy(Path(FileCrmResource().folder) / "product_usage.csv", folder)
    job = defs.resolve_job_def("segmentation_job")
    result = job.execute_in_process(
        partition_key=MONTH,
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "crm": FileCrmResource(folder=str(folder)),
            "warehouse": WarehouseResource(url=f"sqlite:///{tmp_path / 'w.sqlite'}"),
        },
        raise_on_error=False,
    )
    assert not result.success
    check = next(
        e for e in result.get_asset_check_evaluations() if e.check_name == "segment_coverage_check"
    )
    assert not check.passed
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "segment_assignments" in materialized
    assert "warehouse_segments" not in materialized
