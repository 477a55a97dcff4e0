"""Sensors that raise alerts through the `alerts` resource.

Open-source Dagster does not fail a run when a non-blocking check fails, so a run-failure
sensor never hears of it; these sensors read the check evaluations, the warehouse
snapshots and the scored versions themselves, with the rules in `defs.alert_rules` that
`segmentation-pipeline run` also applies after its job. Each alert has a stable key and is
recorded in the warehouse before delivery, so a condition seen on many ticks alerts once,
and a delivery that failed is retried on the next tick of any of them.

A preview (`dagster sensor preview`, the UI's "Preview tick result") records and sends
nothing: it reports what a tick would raise and keeps the cursor as it was.
"""

import json

import dagster as dg

from segmentation_pipeline.defs.alert_rules import (
    HISTORY_LIMIT,
    WAREHOUSE_SEGMENTS,
    Raised,
    check_evaluations,
    coverage_drop_alerts,
    data_quality_alerts,
    drift_alerts,
    run_failure_alert,
    stale_framework_alerts,
)
from segmentation_pipeline.defs.alerts import AlertSinkResource
from segmentation_pipeline.defs.backfill import rescore_job
from segmentation_pipeline.defs.jobs import segmentation_job
from segmentation_pipeline.defs.partitions import FRAMEWORK_VERSION
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.defs.schedules import data_quality_audit_job, segment_review_job

MONITORED_JOBS = [segmentation_job, rescore_job, data_quality_audit_job, segment_review_job]


def is_preview(context: dg.SensorEvaluationContext) -> bool:
    """A test evaluation rather than a daemon tick. Dagster 1.13 has no flag for it: the
    daemon passes its tick's log key, whose last part is the tick id, while `dagster sensor
    preview` and the UI's preview pass none, and the context makes one up from the time
    (`20261204_163000`). A context built by hand without a log key counts as a tick."""
    key = context.log_key
    return bool(key) and not str(key[-1]).isdigit()


def _cursor(context: dg.SensorEvaluationContext) -> dict:
    return json.loads(context.cursor) if context.cursor else {}


def _finish(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource, raised: Raised, cursor: dict
) -> dg.SensorResult:
    if is_preview(context):
        titles = "; ".join(a.title for a in raised.alerts)[:1000]
        return dg.SensorResult(
            cursor=context.cursor,
            skip_reason=dg.SkipReason(
                f"preview: nothing recorded or sent; a tick would raise "
                f"{len(raised.alerts)} alert(s){': ' + titles if titles else ''}"
            ),
        )
    report = alerts.dispatch(raised.alerts, context.log, raised.conditions)
    for key, sink, error in report.failed:
        context.log.warning(
            "alert %s not delivered to %s: %s (retried next tick)", key, sink, error
        )
    summary = (
        f"{len(report.new)} new alert(s), {len(report.delivered)} delivered, "
        f"{len(report.failed)} failed"
    )
    return dg.SensorResult(cursor=json.dumps(cursor), skip_reason=dg.SkipReason(summary))


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts when an asset check starts failing, with the check's metadata: once "
    "per condition (check, grade and rule) while it lasts, whatever the month; again when the "
    "grade or rule changes, or when it fails again after passing.",
)
def data_quality_breach_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource
) -> dg.SensorResult:
    after = _cursor(context).get("after", 0)
    seen = check_evaluations(
        context.instance, context.repository_def.asset_graph.asset_check_keys, after
    )
    raised = data_quality_alerts(seen, alerts.open_conditions())
    return _finish(context, alerts, raised, {"after": seen[-1].storage_id if seen else after})


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts when segment coverage or a key field's completeness falls by more "
    "than monitoring.coverage_drop_points between two consecutive evaluations.",
)
def coverage_drop_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource, framework: FrameworkResource
) -> dg.SensorResult:
    after = _cursor(context).get("after", 0)
    seen = check_evaluations(
        context.instance, context.repository_def.asset_graph.asset_check_keys, after
    )
    points = framework.load().monitoring.coverage_drop_points
    raised = coverage_drop_alerts(context.instance, seen, points)
    return _finish(context, alerts, raised, {"after": seen[-1].storage_id if seen else after})


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each new warehouse snapshot, compares its tier and composite-score "
    "distributions with the previous month (PSI) and alerts above the warn threshold.",
)
def segment_drift_sensor(
    context: dg.SensorEvaluationContext,
    alerts: AlertSinkResource,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
) -> dg.SensorResult:
    after = _cursor(context).get("after", 0)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=WAREHOUSE_SEGMENTS, after_storage_id=after),
        limit=HISTORY_LIMIT,
        ascending=True,
    ).records
    months = [r.asset_materialization.partition for r in records]
    config = framework.load().monitoring.drift
    raised = drift_alerts(warehouse.client().engine, [m for m in months if m], config)
    return _finish(context, alerts, raised, {"after": records[-1].storage_id if records else after})


@dg.sensor(
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Finds months whose assignments were scored with another framework version "
    "than the code location's: older ones with the backfill command, newer ones (a change "
    "not adopted here) with the adopt command. Once per version and set of months.",
)
def stale_framework_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource
) -> dg.SensorResult:
    raised = stale_framework_alerts(context.instance, FRAMEWORK_VERSION)
    stale = raised.alerts[0].details["stale"] if raised.alerts else {}
    return _finish(context, alerts, raised, {"stale": sorted(stale)})


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts when a pipeline job fails, blocking-check failures included, with the "
    "failing step and its error in one line.",
)
def pipeline_run_failure_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource
) -> dg.SensorResult:
    """A plain sensor over the instance's run-failure events (rather than
    `@run_failure_sensor`, whose context hides whether this is a tick or a preview)."""
    failures = dg.RunStatusChangeRecordsFilter(event_type=dg.DagsterEventType.RUN_FAILURE)
    state = _cursor(context)
    if "after" not in state:  # the first tick starts from now, as run status sensors do
        latest = context.instance.fetch_run_status_changes(failures, limit=1).records
        return _finish(context, alerts, Raised(), {"after": latest[0].storage_id if latest else 0})
    records = context.instance.fetch_run_status_changes(
        failures._replace(after_storage_id=state["after"]), limit=HISTORY_LIMIT, ascending=True
    ).records
    monitored = {job.name for job in MONITORED_JOBS}
    raised = Raised()
    for record in records:
        run = context.instance.get_run_by_id(record.event_log_entry.run_id)
        if run is not None and run.job_name in monitored:
            raised += run_failure_alert(context.instance, run)
    after = records[-1].storage_id if records else state["after"]
    return _finish(context, alerts, raised, {"after": after})


ALL_SENSORS = [
    data_quality_breach_sensor,
    coverage_drop_sensor,
    segment_drift_sensor,
    stale_framework_sensor,
    pipeline_run_failure_sensor,
]
