"""Sensors that raise alerts through the `alerts` resource.

Open-source Dagster does not fail a run when a non-blocking check fails, so a run-failure
sensor never hears of it; these sensors read the check evaluations, the warehouse
snapshots and the scored versions themselves. Each alert has a stable key and is
recorded in the warehouse before delivery, so a condition seen on many ticks alerts
once, and a delivery that failed is retried on the next tick of any of them.
"""

import hashlib
import json

import dagster as dg

from segmentation_pipeline.core.drift import measure_drift
from segmentation_pipeline.defs.alerts import AlertSinkResource
from segmentation_pipeline.defs.backfill import backfill_command, rescore_job, stale_partitions
from segmentation_pipeline.defs.jobs import segmentation_job
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.defs.schedules import data_quality_audit_job, segment_review_job
from segmentation_pipeline.io.alerts import Alert
from segmentation_pipeline.io.snapshot_months import MONTH, latest_month_before, read_months

WAREHOUSE_SEGMENTS = dg.AssetKey("warehouse_segments")
COVERAGE_CHECKS = ("segment_coverage_check", "key_field_completeness_")
HISTORY_LIMIT = 200
_SEVERITY = {"WARN": "warning", "ERROR": "critical"}


def _plain(value: object) -> object:
    return getattr(value, "value", getattr(value, "text", value))


def _check_evaluations(
    context: dg.SensorEvaluationContext, after: int
) -> list[tuple[int, dg.AssetCheckKey, object]]:
    """(storage id, check key, evaluation) of completed evaluations after `after`, oldest first."""
    found = []
    storage = context.instance.event_log_storage
    for key in context.repository_def.asset_graph.asset_check_keys:
        for record in storage.get_asset_check_execution_history(key, limit=HISTORY_LIMIT):
            entry = record.event
            if record.id <= after or entry is None or entry.dagster_event is None:
                continue
            evaluation = entry.dagster_event.event_specific_data
            if isinstance(evaluation, dg.AssetCheckEvaluation):
                found.append((record.id, key, evaluation))
    return sorted(found, key=lambda item: item[0])


def _metadata(evaluation: dg.AssetCheckEvaluation) -> dict:
    return {k: _plain(v) for k, v in evaluation.metadata.items()}


def _month(evaluation: dg.AssetCheckEvaluation) -> str:
    return str(_metadata(evaluation).get("partition") or evaluation.partition or "-")


def _dispatch(
    context: dg.SensorEvaluationContext | dg.RunFailureSensorContext,
    alerts: AlertSinkResource,
    raised: list[Alert],
) -> str:
    report = alerts.dispatch(raised, context.log)
    for key, sink, error in report.failed:
        context.log.warning(
            "alert %s not delivered to %s: %s (retried next tick)", key, sink, error
        )
    return (
        f"{len(report.new)} new alert(s), {len(report.delivered)} delivered, "
        f"{len(report.failed)} failed"
    )


def _finish(context, alerts, raised, cursor: dict) -> dg.SensorResult:
    summary = _dispatch(context, alerts, raised)
    return dg.SensorResult(cursor=json.dumps(cursor), skip_reason=dg.SkipReason(summary))


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts on each new asset-check failure (once per failing check and month, "
    "again only if it escalates or comes back after passing), with the check's metadata.",
)
def data_quality_breach_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource
) -> dg.SensorResult:
    state = json.loads(context.cursor) if context.cursor else {"after": 0, "open": {}}
    raised = []
    for storage_id, key, evaluation in _check_evaluations(context, state["after"]):
        state["after"] = storage_id
        episode = f"{key.asset_key.to_user_string()}:{key.name}@{_month(evaluation)}"
        if evaluation.passed:
            state["open"].pop(episode, None)
            continue
        severity = _SEVERITY.get(evaluation.severity.value, "warning")
        if state["open"].get(episode) == severity:
            continue
        state["open"][episode] = severity
        meta = _metadata(evaluation)
        raised.append(
            Alert(
                key=f"data_quality:{episode}:{storage_id}",
                kind="data_quality",
                severity=severity,
                title=f"Check {key.name} on {key.asset_key.to_user_string()} failed "
                f"({evaluation.severity.value}) for {_month(evaluation)}",
                text=f"{meta.get('rule', '')}: measured {meta.get('value')} against "
                f"threshold {meta.get('threshold')}. Worst offenders: "
                f"{json.dumps(meta.get('worst_offenders', []), default=str)[:1500]}",
                details=meta,
            )
        )
    return _finish(context, alerts, raised, state)


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts when segment coverage or a key field's completeness falls by more "
    "than monitoring.coverage_drop_points between two consecutive evaluations.",
)
def coverage_drop_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource, framework: FrameworkResource
) -> dg.SensorResult:
    state = json.loads(context.cursor) if context.cursor else {"after": 0, "last": {}}
    points = framework.load().monitoring.coverage_drop_points
    raised = []
    for storage_id, key, evaluation in _check_evaluations(context, state["after"]):
        state["after"] = storage_id
        if not key.name.startswith(COVERAGE_CHECKS):
            continue
        value = float(_metadata(evaluation).get("value", 0.0))
        previous = state["last"].get(key.name)
        state["last"][key.name] = {"value": value, "month": _month(evaluation)}
        if previous is None or (previous["value"] - value) * 100 <= points:
            continue
        drop = (previous["value"] - value) * 100
        raised.append(
            Alert(
                key=f"coverage_drop:{key.name}:{storage_id}",
                kind="coverage_drop",
                severity="critical"
                if evaluation.severity.value == "ERROR" and not evaluation.passed
                else "warning",
                title=f"{key.name} fell {drop:.1f} points "
                f"({previous['month']} -> {_month(evaluation)})",
                text=f"{key.name} went from {previous['value']:.1%} to {value:.1%}, more than "
                f"the configured {points:g} points.",
                details={"previous": previous, "current": value, "drop_points": round(drop, 2)},
            )
        )
    return _finish(context, alerts, raised, state)


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
    state = json.loads(context.cursor) if context.cursor else {"after": 0}
    config = framework.load().monitoring.drift
    engine = warehouse.client().engine
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=WAREHOUSE_SEGMENTS, after_storage_id=state["after"]),
        limit=HISTORY_LIMIT,
        ascending=True,
    ).records
    raised = []
    for month in dict.fromkeys(r.asset_materialization.partition for r in records):
        previous_month = latest_month_before(engine, month) if month else None
        if previous_month is None:
            continue
        both = read_months(engine, [previous_month, month])
        report = measure_drift(
            both[both[MONTH] == previous_month], both[both[MONTH] == month], config
        )
        if report.level == "stable":
            continue
        raised.append(
            Alert(
                key=f"drift:{month}:{report.level}",
                kind="drift",
                severity="critical" if report.level == "alert" else "warning",
                title=f"Segment distribution drift ({report.level}) "
                f"{previous_month[:7]} -> {month[:7]}",
                text=f"Tier PSI {report.tier_psi:.3f}, composite-score PSI "
                f"{report.composite_psi:.3f} (warn > {config.psi_warn:g}, alert > "
                f"{config.psi_alert:g}); {report.tier_change_share:.1%} of "
                f"{report.accounts_compared} accounts changed tier.",
                details=report.as_dict(),
            )
        )
    if records:
        state["after"] = records[-1].storage_id
    return _finish(context, alerts, raised, state)


@dg.sensor(
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Finds months whose assignments were scored with an older framework version "
    "and alerts once per version with the backfill command.",
)
def stale_framework_sensor(
    context: dg.SensorEvaluationContext, alerts: AlertSinkResource, framework: FrameworkResource
) -> dg.SensorResult:
    version = framework.load().version
    stale = stale_partitions(context.instance, version)
    raised = []
    if stale:
        digest = hashlib.sha1(",".join(sorted(stale)).encode()).hexdigest()[:12]
        raised.append(
            Alert(
                key=f"stale_framework:{version}:{digest}",
                kind="stale_framework",
                severity="warning",
                title=f"{len(stale)} month(s) scored with an older framework than {version}",
                text=f"Re-score them from the stored snapshots (no CRM call) with: "
                f"`{backfill_command(stale)}`, or `segmentation-pipeline backfill`.",
                details={"current_version": version, "stale": stale},
            )
        )
    return _finish(context, alerts, raised, {"stale": sorted(stale)})


@dg.run_failure_sensor(
    monitored_jobs=[segmentation_job, rescore_job, data_quality_audit_job, segment_review_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts when a pipeline job fails, blocking-check failures included.",
)
def pipeline_run_failure_sensor(
    context: dg.RunFailureSensorContext, alerts: AlertSinkResource
) -> None:
    run = context.dagster_run
    month = run.tags.get("dagster/partition", "-")
    failed_steps = [e.step_key for e in context.get_step_failure_events()]
    alert = Alert(
        key=f"run_failure:{run.run_id}",
        kind="run_failure",
        severity="critical",
        title=f"{run.job_name} failed ({month})",
        text=f"Run {run.run_id} failed: {context.failure_event.message}",
        details={
            "run_id": run.run_id,
            "job": run.job_name,
            "partition": month,
            "failed_steps": failed_steps,
        },
    )
    _dispatch(context, alerts, [alert])


ALL_SENSORS = [
    data_quality_breach_sensor,
    coverage_drop_sensor,
    segment_drift_sensor,
    stale_framework_sensor,
    pipeline_run_failure_sensor,
]
