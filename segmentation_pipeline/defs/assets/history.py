"""Segment operations in the warehouse: the transition review queue and the type-2
segment history, written together in one transaction."""

import sys

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.history import history_changes, history_reads
from segmentation_pipeline.defs.assets._metadata import frame_metadata
from segmentation_pipeline.defs.partitions import monthly_partitions, run_as_of
from segmentation_pipeline.defs.pause_points import pause_point
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.io.segment_store import SegmentStore

SEGMENT_OPERATIONS_LOCK = "segment_operations"


@dg.multi_asset(
    group_name="segmentation",
    partitions_def=monthly_partitions,
    outs={
        "segment_transitions": dg.AssetOut(
            kinds={"sql"},
            description="Review queue of boundary crossings (warehouse table "
            "segment_transitions): pending until approved in segment_transition_decisions, "
            "after the grace period, or at once under an immediate policy.",
        ),
        "segment_history": dg.AssetOut(
            kinds={"sql"},
            description="Type-2 history of every account's segment (warehouse table "
            "segment_history): valid_from / valid_to, framework version, run id, explanation.",
        ),
    },
)
def segment_operations(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
):
    # One run at a time reads, works out and writes the queue and the history: a second
    # run at once waits (one line, also on stderr: a console run whose event lines are
    # off must still say why it stands still), then works from what the first one wrote.
    def say_waiting(line: str) -> None:
        context.log.warning(line)
        print(line, file=sys.stderr, flush=True)

    with warehouse.client().exclusive(SEGMENT_OPERATIONS_LOCK, on_wait=say_waiting):
        yield from _segment_operations(context, segment_assignments, framework, warehouse)


def _segment_operations(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
):
    as_of = run_as_of(context)
    # Read as the tables stood before as-of; a re-run at the same moment replaces what
    # the earlier run of it wrote.
    store = SegmentStore(warehouse.client().engine, as_of)
    latest = store.latest_activity()
    if latest is not None and pd.Timestamp(as_of) < pd.Timestamp(latest):
        # A backfill of an older month: the queue and the history only move forward.
        context.log.info(
            "as-of %s is before the latest activity %s: nothing written", as_of, latest
        )
        skipped = {"skipped": "backfill of an older month", "as_of": as_of.isoformat()}
        yield dg.MaterializeResult(asset_key="segment_transitions", metadata=skipped)
        yield dg.MaterializeResult(asset_key="segment_history", metadata=skipped)
        return
    # Only what closes, what opens and the counts: not the whole queue (see queue_update).
    queue = store.queue_update(segment_assignments, as_of, context.run.run_id)
    changed = queue.changed
    fw = framework.load()
    open_rows = store.open_history(history_reads(fw))
    history = history_changes(open_rows, segment_assignments, fw, as_of, context.run.run_id)
    pause_point("segment_operations")  # between the read and the write, for fault tests
    store.write(history, changed)
    context.log.info(
        "transitions: %d rows changed; history: %d closed, %d opened, %d stale",
        len(changed),
        len(history.closed),
        len(history.opened),
        history.stale_accounts,
    )
    queue_meta = frame_metadata(
        queue.pending_preview,
        ["account_id", "from_segment", "to_segment", "direction", "opened_at"],
    )
    queue_meta["dagster/row_count"] = dg.MetadataValue.int(queue.row_count)
    queue_meta["status_counts"] = dg.MetadataValue.json(queue.status_counts)
    queue_meta["rows_changed"] = dg.MetadataValue.int(len(changed))
    yield dg.MaterializeResult(asset_key="segment_transitions", metadata=queue_meta)
    yield dg.MaterializeResult(
        asset_key="segment_history",
        metadata={
            "rows_opened": dg.MetadataValue.int(len(history.opened)),
            "rows_closed": dg.MetadataValue.int(len(history.closed)),
            "stale_accounts_skipped": dg.MetadataValue.int(history.stale_accounts),
            "as_of": as_of.isoformat(),
        },
    )
