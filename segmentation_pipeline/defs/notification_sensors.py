"""The at-risk sensor: RevOps hears of each newly at-risk account whose ARR reaches the
framework's floor, once, through the alert sinks."""

import dagster as dg

from segmentation_pipeline.core.clock import utc_now
from segmentation_pipeline.core.notifications import revops_at_risk
from segmentation_pipeline.defs.alerts import AlertSinkResource
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.defs.sensors import is_preview
from segmentation_pipeline.io.alerts import Alert
from segmentation_pipeline.io.notification_store import NotificationStore


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts RevOps of each new at-risk account (recorded by owner_notifications) "
    "with ARR at or above monitoring.notifications.at_risk_arr_floor, once per at-risk episode.",
)
def at_risk_account_sensor(
    context: dg.SensorEvaluationContext,
    alerts: AlertSinkResource,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
) -> dg.SensorResult:
    settings = framework.load().monitoring.notifications
    store = NotificationStore(warehouse.client().engine)
    events = revops_at_risk(store.unalerted_at_risk(settings.at_risk_arr_floor), settings)
    raised = [
        Alert(
            key=f"revops_{r.event_key}",
            kind="at_risk_account",
            severity="warning",
            title=f"New at-risk account: {r.account_name} (ARR {r.arr:,.0f})",
            text=f"{r.account_name} ({r.account_id}), owner {r.owner}: {r.detail}",
            details={"account_id": r.account_id, "owner": r.owner, "arr": r.arr},
        )
        for r in events.itertuples()
    ]
    if is_preview(context):
        return dg.SensorResult(skip_reason=f"preview: a tick would raise {len(raised)} alert(s)")
    report = alerts.dispatch(raised, context.log)
    store.mark_alerted(events["event_key"].tolist(), utc_now())
    return dg.SensorResult(
        skip_reason=f"{len(report.new)} new at-risk alert(s), {len(report.failed)} failed"
    )
