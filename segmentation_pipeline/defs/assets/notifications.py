"""The owners' digest: the night's tier changes, reviews, provisional exits, new at-risk
accounts and upcoming renewals, per owner, through the alert sinks, once per event."""

import hashlib

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.changes import ASSIGNMENT_HASH
from segmentation_pipeline.core.clock import utc_now
from segmentation_pipeline.core.notifications import (
    NOTIFICATION_INPUT_COLUMNS,
    ended_at_risk,
    notification_events,
    owner_digests,
)
from segmentation_pipeline.core.transitions import utc_naive
from segmentation_pipeline.defs.alerts import AlertSinkResource
from segmentation_pipeline.defs.assets._metadata import table_md
from segmentation_pipeline.defs.partitions import current_month_key, monthly_partitions, run_as_of
from segmentation_pipeline.defs.resources import (
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.io.alerts import Alert
from segmentation_pipeline.io.notification_store import NotificationStore
from segmentation_pipeline.io.state_store import state_stamp

# The rows the last run stored the events of (`notification_events`' `seen`) are kept in
# the state store under a stamp the warehouse names (a digest of the rows, and the day): a
# warehouse without that stamp (new, restored, or a night that died before naming it)
# has no such rows, and every row is looked up.
SEEN = "owner_notifications"


@dg.asset(
    group_name="review_and_sync",
    kinds={"sql"},
    partitions_def=monthly_partitions,
    # After the queue is stored: a move is told by its stored transition id, which the
    # next night reuses. Told before, a night that died before storing the queue would
    # open the move again under a new id, and every owner would hear of it twice.
    deps=["segment_transitions"],
    ins={"segment_assignments": dg.AssetIn(metadata={"columns": list(NOTIFICATION_INPUT_COLUMNS)})},
    description="Per-owner digest of the night's tier changes, pending reviews, provisional "
    "exits, new at-risk accounts and renewals within monitoring.notifications."
    "renewal_window_days, sent through the alert sinks; every event once (warehouse table "
    "notification_events). Only the open month notifies: a past month's re-run tells nobody.",
)
def owner_notifications(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
    alerts: AlertSinkResource,
    snapshots: SnapshotStoreResource,
) -> dg.MaterializeResult:
    if context.partition_key != current_month_key():
        return dg.MaterializeResult(metadata={"sent": 0, "skipped": "past month"})
    fw, client, state = framework.load(), warehouse.client(), snapshots.store()
    settings = fw.monitoring.notifications
    store = NotificationStore(client.engine)
    as_of, now = run_as_of(context), utc_now()
    night = segment_assignments
    hashed = ASSIGNMENT_HASH in night  # the hash covers every column read
    last = client.get_state(SEEN) if hashed else None
    stored = state.load(SEEN, state_stamp(fw, **last)) if last else None
    seen = None if stored is None else stored[ASSIGNMENT_HASH].to_numpy()
    told = store.open_at_risk()
    store.end_at_risk(ended_at_risk(night, told), now)
    left_over = store.undigested()  # recorded by a night that failed before its digests
    events = notification_events(night, told, as_of, settings, seen, last and last["day"])
    new = store.record(events, now)
    waiting = pd.concat([left_over, new], ignore_index=True) if len(left_over) else new
    digests = owner_digests(waiting)
    sent = [
        Alert(
            key=d.key,
            kind="owner_digest",
            severity="info",
            title=d.title,
            text=d.text,
            details={"owner_id": d.owner_id, "owner": d.owner, "events": d.event_keys},
        )
        for d in digests
    ]
    report = alerts.dispatch(sent, context.log)
    store.mark_digested(waiting["event_key"].tolist(), now)
    if hashed:
        # Named by its rows, not by the run: a re-run that sees the same rows writes the
        # same stamp, and the warehouse does not change.
        rows = hashlib.blake2b(night[ASSIGNMENT_HASH].to_numpy().tobytes(), digest_size=8)
        stamp = {"rows": rows.hexdigest(), "day": utc_naive(as_of).strftime("%Y-%m-%d")}
        state.save(SEEN, state_stamp(fw, **stamp), night[[ASSIGNMENT_HASH]])
        client.set_state(SEEN, stamp)  # after the file: a crash between leaves no state
    # One line per sink and error, not per digest: a dead webhook would write thousands.
    for (sink, error), keys in report.failed_by_sink().items():
        context.log.warning(
            "%d digest(s) not delivered to %s: %s (retried), e.g. %s",
            len(keys),
            sink,
            error,
            keys[0],
        )
    return dg.MaterializeResult(
        metadata={
            "new_events": len(new),
            "events_by_kind": dg.MetadataValue.json(new["kind"].value_counts().to_dict()),
            "digests": len(digests),
            "delivery_failures": len(report.failed),
            "events": table_md(new[["kind", "account_id", "owner", "detail"]].head(20)),
        }
    )
