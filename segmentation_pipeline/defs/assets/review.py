"""Reviews: the decisions entered in the CRM, and the quarterly segment review pack
built from the stored monthly snapshots."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.review import review_pack
from segmentation_pipeline.core.review_decisions import normalize_decisions
from segmentation_pipeline.defs.assets._metadata import table_md
from segmentation_pipeline.defs.assets.warehouse import warehouse_segments
from segmentation_pipeline.defs.partitions import (
    FIRST_MONTH,
    FRAMEWORK_TIMEZONE,
    monthly_partitions,
)
from segmentation_pipeline.defs.resources import CrmResource, FrameworkResource, WarehouseResource
from segmentation_pipeline.io.segment_store import SegmentStore
from segmentation_pipeline.io.snapshot_months import latest_month_before, read_months


@dg.asset(
    group_name="segmentation",
    kinds={"sql"},
    partitions_def=monthly_partitions,
    description="Review decisions entered in the CRM (Segment_Review__c records, or the file "
    "CRM's segment_reviews.csv) stored in warehouse table segment_transition_decisions, each "
    "once; segment_assignments applies them the same night.",
)
def crm_review_decisions(
    context: dg.AssetExecutionContext, crm: CrmResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    read = normalize_decisions(crm.read_review_entries())
    stored = SegmentStore(warehouse.client().engine).record_decisions(read.decisions)
    if len(read.invalid):
        context.log.warning("%d review entries could not be read as a decision", len(read.invalid))
    return dg.MaterializeResult(
        metadata={
            "read": len(read.decisions) + len(read.invalid),
            "recorded": len(stored),
            "invalid": len(read.invalid),
            "invalid_entries": table_md(read.invalid.head(20)),
            "recorded_decisions": table_md(stored.head(20)),
        }
    )


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
