"""Persist each month's results in the warehouse."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.changes import split_assignment_hashes
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.pause_points import pause_point
from segmentation_pipeline.defs.resources import WarehouseResource
from segmentation_pipeline.io.alert_store import create_alert_tables

SNAPSHOT_COLUMN = "snapshot_month"


@dg.asset(
    group_name="segmentation",
    kinds={"sql"},
    partitions_def=monthly_partitions,
    description="Warehouse tables segment_snapshots and account_merge_audit for the month, "
    "written together in one transaction; segment_snapshots rewrites only the rows that "
    "changed (their content hash is kept in its _row_hash column).",
)
def warehouse_segments(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    account_merge_audit: pd.DataFrame,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    client = warehouse.client()
    month = context.partition_key
    rows, hashes = split_assignment_hashes(segment_assignments)
    with client.transaction() as tx:
        sync = tx.sync_partition(
            "segment_snapshots", rows, SNAPSHOT_COLUMN, month, ["account_id"], hashes=hashes
        )
        merged = tx.replace_partition(
            "account_merge_audit", account_merge_audit, SNAPSHOT_COLUMN, month
        )
        pause_point("warehouse_segments")  # inside the transaction, for fault tests
    # The alert tables live with the snapshots, so a warehouse never lacks them (an empty
    # `alerts` table is a clean night, not a missing feature).
    create_alert_tables(client.engine)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(segment_assignments),
            "rows_written": sync.written,
            "rows_deleted": sync.deleted,
            "rows_unchanged": sync.unchanged,
            "merge_audit_rows": merged,
            "warehouse": client.engine.url.render_as_string(hide_password=True),
        }
    )
