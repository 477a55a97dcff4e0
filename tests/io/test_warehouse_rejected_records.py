"""The rejected_records table: text columns whatever the night's frame held."""

import pandas as pd

from segmentation_pipeline.core.rejections import empty_rejections
from segmentation_pipeline.io.warehouse import (
    REJECTED_RECORDS_COLUMNS,
    REJECTED_RECORDS_TABLE,
    Warehouse,
    rejected_records_rows,
)


def test_a_night_without_rejections_then_one_with_a_missing_id(tmp_path):
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with warehouse.transaction() as tx:
        written = tx.replace_partition(
            REJECTED_RECORDS_TABLE,
            rejected_records_rows(empty_rejections()),
            "snapshot_month",
            "2026-11-01",
        )
    assert written == 0
    night = pd.DataFrame(
        {"account_id": [None, "001A"], "source_file": "accounts.csv",
         "reason": ["missing_id", "duplicate_id"], "detail": ["row 1", "row 3"],
         "run_id": "run-2"}
    )  # fmt: skip
    rows = rejected_records_rows(night)
    assert list(rows.columns) == list(REJECTED_RECORDS_COLUMNS)
    with warehouse.transaction() as tx:
        tx.replace_partition(REJECTED_RECORDS_TABLE, rows, "snapshot_month", "2026-11-01")
    stored = warehouse.read_table(REJECTED_RECORDS_TABLE)
    assert stored["account_id"].isna().tolist() == [True, False]
    assert stored.drop(columns=["account_id"]).values.tolist() == [
        ["accounts.csv", "missing_id", "row 1", "run-2", "2026-11-01"],
        ["accounts.csv", "duplicate_id", "row 3", "run-2", "2026-11-01"],
    ]
