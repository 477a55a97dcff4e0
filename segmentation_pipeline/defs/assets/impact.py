"""Framework-change impact: which accounts a new framework version moves, month by month."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.impact import impact_report
from segmentation_pipeline.core.transitions import PENDING
from segmentation_pipeline.defs.assets._metadata import frame_metadata, table_md
from segmentation_pipeline.defs.assets.warehouse import SNAPSHOT_COLUMN
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.io.score_versions import COLUMNS, ScoreVersionStore

IMPACT_TABLE = "framework_change_impact"
MOVES_TABLE = "framework_change_moves"


@dg.asset(
    group_name="segmentation",
    kinds={"sql"},
    partitions_def=monthly_partitions,
    # All it reads of the assignments: not their ~50 columns.
    ins={
        "segment_assignments": dg.AssetIn(
            metadata={"columns": ["framework_version", "transition_status", *COLUMNS]}
        )
    },
    description="Keeps each month's tiers per framework version (table segment_versions) and, "
    "when the month was scored before with another version, reports the accounts that move "
    "tier: per segment old vs new (framework_change_impact) and each move "
    "(framework_change_moves).",
)
def framework_change_impact(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    month = context.partition_key
    versions = segment_assignments["framework_version"].dropna().unique()
    version = str(versions[0]) if len(versions) else framework.load().version
    client = warehouse.client()
    store = ScoreVersionStore(client.engine)
    previous = store.previous_version(month, version)
    store.record(month, version, segment_assignments)
    if previous is None:
        return dg.MaterializeResult(
            metadata={"framework_version": version, "compared_with": "(no earlier version)"}
        )
    old_version, old = previous
    report = impact_report(old, segment_assignments)
    stamp = {"old_version": old_version, "new_version": version}
    client.replace_partition(
        IMPACT_TABLE, report.per_segment.assign(**stamp), SNAPSHOT_COLUMN, month
    )
    client.replace_partition(MOVES_TABLE, report.moves.assign(**stamp), SNAPSHOT_COLUMN, month)
    context.log.info(
        "%s: %d of %d accounts move tier from %s to %s",
        month,
        report.moved,
        report.accounts,
        old_version,
        version,
    )
    metadata = frame_metadata(
        report.moved_accounts, ["account_id", "name", "segment_before", "segment_after"]
    )
    metadata.update(
        {
            "framework_version": version,
            "compared_with": old_version,
            "accounts_moved": dg.MetadataValue.int(report.moved),
            # Crossings held at the current tier: they move once reviewed, not now.
            "pending_review": dg.MetadataValue.int(
                int(segment_assignments["transition_status"].eq(PENDING).sum())
            ),
            "moved_share": dg.MetadataValue.float(round(report.moved_share, 4)),
            "per_segment": table_md(report.per_segment),
            "moves": table_md(report.moves),
        }
    )
    return dg.MaterializeResult(metadata=metadata)
