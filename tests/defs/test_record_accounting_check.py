"""The record_accounting check on hand-built months: a balanced ledger passes, a lost
record fails loudly with every count and blocks what sits downstream of the assignments."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.defs.checks import record_accounting_check
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.partitions import monthly_partitions

MONTH = "2026-11-01"


def month_of(snapshot_ids: list[str], statuses: list[str], merged: int, rejected: int):
    """Stub assets under the real names, holding one hand-built month."""

    def stub(name: str, frame: pd.DataFrame, deps=()):
        @dg.asset(name=name, partitions_def=monthly_partitions, deps=list(deps))
        def _stub() -> pd.DataFrame:
            return frame

        return _stub

    assignments = pd.DataFrame(
        {
            "status": statuses,
            "unsegmented_reason": ["missing_arr" if s == "unsegmented" else None for s in statuses],
        }
    )

    @dg.asset(partitions_def=monthly_partitions, deps=["segment_assignments"])
    def downstream_write_back() -> None:
        return None

    return [
        stub("crm_accounts", pd.DataFrame({"Id": snapshot_ids})),
        stub("crm_rejected_records", pd.DataFrame({"account_id": ["r"] * rejected})),
        stub("account_merge_audit", pd.DataFrame({"account_id": ["m"] * merged})),
        stub("segment_assignments", assignments, deps=["crm_accounts"]),
        downstream_write_back,
        record_accounting_check,
    ]


def run(definitions, tmp_path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        definitions,
        partition_key=MONTH,
        resources={"io_manager": FrameFilesystemIOManager(base_dir=str(tmp_path))},
        raise_on_error=False,
    )


def evaluation(result):
    (found,) = result.get_asset_check_evaluations()
    return found


def test_a_balanced_month_passes_with_its_counts(tmp_path):
    # 4 snapshot accounts: 2 segmented, 1 unsegmented with a reason, 1 merged; 1 rejected.
    result = run(
        month_of(["a", "b", "c", "d"], ["segmented"] * 2 + ["unsegmented"], 1, 1), tmp_path
    )
    check = evaluation(result)
    assert check.passed
    assert check.metadata["rows_in"].value == 5 and check.metadata["rows_out"].value == 5
    assert result.success


def test_a_lost_record_fails_naming_every_count_and_blocks_downstream(tmp_path):
    result = run(month_of(["a", "b", "c"], ["segmented"], merged=1, rejected=0), tmp_path)
    check = evaluation(result)
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert check.description == (
        "records do not balance: rows in 3 != 2 out: segmented 1 + provisional 0 + overridden "
        "0 + unsegmented with reason 0 + merged 1 + rejected 0; rows without an exit 0"
    )
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "segment_assignments" in materialized
    assert "downstream_write_back" not in materialized
    assert not result.success
