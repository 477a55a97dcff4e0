"""The quarterly segment review pack, built from the stored monthly snapshots."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.review import review_pack
from segmentation_pipeline.defs.assets._metadata import table_md
from segmentation_pipeline.defs.assets.warehouse import warehouse_segments
from segmentation_pipeline.defs.partitions import FIRST_MONTH, FRAMEWORK_TIMEZONE
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.io.snapshot_months import latest_month_before, read_months

QUARTER_COLUMN = "review_quarter"

quarterly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *",
    start=FIRST_MONTH,
    fmt="%Y-%m-%d",
    timezone=FRAMEWORK_TIMEZONE,
)


def quarter_months(partition_key: str) -> list[str]:
    start = pd.Timestamp(partition_key)
    return [(start + pd.DateOffset(months=i)).strftime("%Y-%m-01") for i in range(3)]


def quarter_label(partition_key: str) -> str:
    start = pd.Timestamp(partition_key)
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


@dg.asset(
    group_name="review_and_sync",
    kinds={"sql"},
    partitions_def=quarterly_partitions,
    deps=[dg.AssetDep(warehouse_segments, partition_mapping=dg.TimeWindowPartitionMapping())],
    description="Quarterly review pack: tier distribution per month, the migration matrix "
    "from the previous quarter's last snapshot, drift (PSI) and threshold fit with suggested "
    "cut-offs (warehouse tables review_distribution, review_migrations, review_threshold_fit).",
)
def segment_review(
    context: dg.AssetExecutionContext, framework: FrameworkResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    client = warehouse.client()
    months = quarter_months(context.partition_key)
    baseline = latest_month_before(client.engine, months[0])
    snapshots = read_months(client.engine, [*months, *([baseline] if baseline else [])])
    if snapshots.empty:
        raise dg.Failure(f"no stored monthly snapshot for {quarter_label(context.partition_key)}")
    pack = review_pack(snapshots, months, framework.load())
    quarter = quarter_label(context.partition_key)
    for table, frame in (
        ("review_distribution", pack.distribution),
        ("review_migrations", pack.migrations),
        ("review_threshold_fit", pack.threshold_fit),
    ):
        client.replace_partition(table, frame, QUARTER_COLUMN, quarter)
    drift = pack.drift.as_dict() if pack.drift else {"level": "no earlier snapshot"}
    return dg.MaterializeResult(
        metadata={
            "quarter": quarter,
            "months": ", ".join(pack.months),
            "compared": f"{pack.compared[0] or '(none)'} -> {pack.compared[1]}",
            "distribution": table_md(pack.distribution),
            "migrations": table_md(pack.migrations),
            "threshold_fit": table_md(pack.threshold_fit),
            "drift": dg.MetadataValue.json(drift),
        }
    )
