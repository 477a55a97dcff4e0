"""Persist the month's rejected CRM records in the warehouse, every night."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.defs.assets.warehouse import SNAPSHOT_COLUMN
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import WarehouseResource
from segmentation_pipeline.io.warehouse import REJECTED_RECORDS_TABLE, rejected_records_rows


@dg.asset(
    group_name="segmentation",
    kinds={"sql"},
    partitions_def=monthly_partitions,
    description="Warehouse table rejected_records for the month: account_id, source_file, "
    "reason, detail, snapshot_month and the run_id of the run that first rejected the record "
    "this month; the month's rows are replaced each night (a re-run on the same input "
    "writes the same rows).",
)
def warehouse_rejected_records(
    context: dg.AssetExecutionContext,
    crm_rejected_records: pd.DataFrame,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    client = warehouse.client()
    rows = rejected_records_rows(crm_rejected_records)
    with client.transaction() as tx:
        written = tx.replace_partition(
            REJECTED_RECORDS_TABLE, rows, SNAPSHOT_COLUMN, context.partition_key
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "rejected_records": written,
            "reasons": dg.MetadataValue.json(rows["reason"].value_counts().to_dict()),
            "warehouse": client.engine.url.render_as_string(hide_password=True),
        }
    )
