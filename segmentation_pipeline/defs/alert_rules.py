"""What each alert watches, read from the Dagster instance and the warehouse.

The daemon's sensors evaluate these on every tick over what is new since their cursor;
`segmentation-pipeline run` evaluates the same functions once, over its own run. Alert
keys come from the instance's storage ids and run ids, so both raise the same key for the
same event and the `alerts` table keeps one row, whichever saw it first. Nothing here
writes: recording and delivery are `AlertSinkResource.dispatch`, called on real ticks only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import dagster as dg
import sqlalchemy as sa

from segmentation_pipeline.core.alert_conditions import Observation, condition_of, opened_conditions
from segmentation_pipeline.core.drift import measure_drift
from segmentation_pipeline.core.failures import error_line
from segmentation_pipeline.core.framework_versions import version_order
from segmentation_pipeline.defs.backfill import backfill_command, stale_partitions
from segmentation_pipeline.defs.partitions import FRAMEWORK_PATH
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.framework.models import Drift
from segmentation_pipeline.io.alerts import Alert
from segmentation_pipeline.io.snapshot_months import MONTH, latest_month_before, read_months

WAREHOUSE_SEGMENTS = dg.AssetKey("warehouse_segments")
COVERAGE_CHECKS = ("segment_coverage_check", "key_field_completeness_")
HISTORY_LIMIT = 200
_SEVERITY = {"WARN": "warning", "ERROR": "critical"}


@dataclass(frozen=True)
class Raised:
    """Alerts to record and send, and the watched conditions they open, change or clear."""

    alerts: list[Alert] = field(default_factory=list)
    conditions: dict[str, str | None] = field(default_factory=dict)

    def __add__(self, other: Raised) -> Raised:
        return Raised([*self.alerts, *other.alerts], {**self.conditions, **other.conditions})


@dataclass(frozen=True)
class CheckSeen:
    """One completed asset-check evaluation, with the storage id that orders it."""

    storage_id: int
    key: dg.AssetCheckKey
    evaluation: dg.AssetCheckEvaluation

    @property
    def metadata(self) -> dict:
        return {k: _plain(v) for k, v in self.evaluation.metadata.items()}

    @property
    def month(self) -> str:
        return str(self.metadata.get("partition") or self.evaluation.partition or "-")

    @property
    def subject(self) -> str:
        return f"{self.key.asset_key.to_user_string()}:{self.key.name}"


def _plain(value: object) -> object:
    return getattr(value, "value", getattr(value, "text", value))


def check_evaluations(
    instance: dg.DagsterInstance,
    check_keys: Sequence[dg.AssetCheckKey],
    after: int = 0,
    run_id: str | None = None,
) -> list[CheckSeen]:
    """Completed evaluations after storage id `after` (of one run, when given), oldest first."""
    found = []
    for key in check_keys:
        history = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=HISTORY_LIMIT
        )
        for record in history:
            entry = record.event
            if record.id <= after or entry is None or entry.dagster_event is None:
                continue
            if run_id is not None and record.run_id != run_id:
                continue
            evaluation = entry.dagster_event.event_specific_data
            if isinstance(evaluation, dg.AssetCheckEvaluation):
                found.append(CheckSeen(record.id, key, evaluation))
    return sorted(found, key=lambda seen: seen.storage_id)


def _check_condition(seen: CheckSeen) -> str | None:
    if seen.evaluation.passed:
        return None
    meta = seen.metadata
    level = str(meta.get("grade") or seen.evaluation.severity.value.lower())
    return condition_of(level, str(meta.get("rule") or "failed"))


def data_quality_alerts(seen: Sequence[CheckSeen], open_conditions: dict[str, str]) -> Raised:
    """One alert when a check starts failing, changes grade or rule, or fails again after
    passing; the same failure night after night and month after month stays one alert."""
    by_id = {s.storage_id: s for s in seen}
    observations = [Observation(s.subject, _check_condition(s), s.storage_id) for s in seen]
    opened, changed = opened_conditions(open_conditions, observations)
    return Raised([_data_quality_alert(by_id[o.marker]) for o in opened], changed)


def _data_quality_alert(seen: CheckSeen) -> Alert:
    key, evaluation, meta = seen.key, seen.evaluation, seen.metadata
    return Alert(
        key=f"data_quality:{seen.subject}:{seen.storage_id}",
        kind="data_quality",
        severity=_SEVERITY.get(evaluation.severity.value, "warning"),
        title=f"Check {key.name} on {key.asset_key.to_user_string()} failed "
        f"({evaluation.severity.value}) for {seen.month}",
        text=f"{_what_was_measured(meta)}. Raised once while this stays so; a change of "
        "grade or rule, or a return after passing, alerts again. Worst offenders: "
        f"{json.dumps(meta.get('worst_offenders', []), default=str)[:1500]}",
        details=meta,
    )


def _what_was_measured(meta: dict) -> str:
    """The check's own sentence (measured, threshold, methodology, first thing to check);
    checks without one say what they measured against what."""
    if meta.get("summary"):
        return str(meta["summary"])
    return (
        f"{meta.get('rule', 'failed')}: measured {meta.get('value')} against "
        f"threshold {meta.get('threshold')}"
    )


def _previous(instance: dg.DagsterInstance, seen: CheckSeen) -> CheckSeen | None:
    """The evaluation of the same check just before this one."""
    earlier = [s for s in check_evaluations(instance, [seen.key]) if s.storage_id < seen.storage_id]
    return earlier[-1] if earlier else None


def coverage_drop_alerts(
    instance: dg.DagsterInstance, seen: Sequence[CheckSeen], points: float
) -> Raised:
    """Segment coverage or a key field's completeness fell by more than `points` since the
    check's previous evaluation."""
    raised = []
    for current in seen:
        if not current.key.name.startswith(COVERAGE_CHECKS):
            continue
        before = _previous(instance, current)
        if before is None:
            continue
        value = float(current.metadata.get("value", 0.0))
        previous = float(before.metadata.get("value", 0.0))
        drop = (previous - value) * 100
        if drop <= points:
            continue
        evaluation = current.evaluation
        raised.append(
            Alert(
                key=f"coverage_drop:{current.key.name}:{current.storage_id}",
                kind="coverage_drop",
                severity="critical"
                if evaluation.severity.value == "ERROR" and not evaluation.passed
                else "warning",
                title=f"{current.key.name} fell {drop:.1f} points since the previous run "
                f"(month {before.month[:7]} -> {current.month[:7]})",
                text=f"{current.key.name} went from {previous:.1%} to {value:.1%}, a fall of "
                f"{drop:.1f} points > the configured {points:g} (monitoring."
                "coverage_drop_points): look at this run's extract first (rejected_records, "
                "a CRM field emptied or renamed), then the check's worst offenders.",
                details={
                    "previous": {"value": previous, "month": before.month},
                    "current": value,
                    "drop_points": round(drop, 2),
                },
            )
        )
    return Raised(raised)


def drift_alerts(engine: sa.Engine, months: Sequence[str], config: Drift) -> Raised:
    """Each month's tier and composite-score distributions against the month before (PSI)."""
    raised = []
    for month in dict.fromkeys(months):
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
                f"{report.accounts_compared} accounts changed tier: look at "
                "segment_transitions for the month's moves, and whether the framework or "
                "the CRM extract changed.",
                details=report.as_dict(),
            )
        )
    return Raised(raised)


def stale_framework_alerts(instance: dg.DagsterInstance, version: str) -> Raised:
    """Months scored with another framework version than the code location's, once per
    version and set of months. Months scored with an older version need a re-score; a
    newer one means this code location runs an old file (a change not adopted here)."""
    stale = stale_partitions(instance, version)
    if not stale:
        return Raised()
    digest = hashlib.sha1(",".join(sorted(stale)).encode()).hexdigest()[:12]
    orders = {month: version_order(scored, version) for month, scored in stale.items()}
    newer = sorted(m for m, order in orders.items() if order == "newer")
    if newer:
        versions = sorted({stale[m] for m in newer})
        title = (
            f"{len(newer)} month(s) scored with framework {', '.join(versions)}, newer than "
            f"this code location's {version}"
        )
        text = (
            f"The code location loaded framework {version} ({FRAMEWORK_PATH}), but "
            f"{', '.join(m[:7] for m in newer)} were scored with {', '.join(versions)}: the "
            "newer file was never adopted here, so tonight's run would score with the old "
            "one. Adopt it: `segmentation-pipeline framework adopt <file> --months ...` "
            "(docs/governance.md), then reload the code location."
        )
    else:
        title = f"{len(stale)} month(s) scored with another framework than {version}"
        if all(order == "older" for order in orders.values()):
            title = f"{len(stale)} month(s) scored with an older framework than {version}"
        text = (
            f"Scored with {', '.join(sorted(set(stale.values())))}; the code location runs "
            f"{version}. Re-score them from the stored snapshots (no CRM call) with: "
            f"`{backfill_command(stale)}`, or `segmentation-pipeline backfill`."
        )
    return Raised(
        [
            Alert(
                key=f"stale_framework:{version}:{digest}",
                kind="stale_framework",
                severity="warning",
                title=title,
                text=text,
                details={"current_version": version, "stale": stale, "order": orders},
            )
        ]
    )


def _error_chain(error) -> list[str]:
    chain = []
    while error is not None:
        chain.append(error.message)
        error = error.cause
    return chain


def _blocking_checks(instance: dg.DagsterInstance, run_id: str) -> str:
    """The run's checks that failed with ERROR, with what they measured against what."""
    found = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        meta = {k: _plain(v) for k, v in evaluation.metadata.items()}
        found.append(
            f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
            f"{meta.get('rule', 'failed')} (measured {meta.get('value')} against "
            f"{meta.get('threshold')})"
        )
    return "; ".join(found)


def step_failures(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, str]]:
    """(step, its error in one line) for each step of the run that failed, in order; a
    blocking check names the check and what it measured rather than Dagster's error."""
    failed = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        data = event.step_failure_data
        user = data.user_failure_data if data else None
        if user is not None and user.description:
            line = " ".join(user.description.split())
        else:
            line = error_line(_error_chain(data.error if data else None))
        if line.startswith("DagsterAssetCheckFailedError"):
            blocking = _blocking_checks(instance, run_id)
            line = f"blocking check failed: {blocking}" if blocking else line
        failed.append((event.step_key or "-", line))
    return failed


def run_failure_line(instance: dg.DagsterInstance, run_id: str) -> str:
    """`FAILURE in <step>: <error>` for the first failed step, else the run's own error."""
    failed = step_failures(instance, run_id)
    if failed:
        step, line = failed[0]
        more = f" (and {len(failed) - 1} more step(s))" if len(failed) > 1 else ""
        return f"FAILURE in {step}: {line}{more}"
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE):
        data = entry.dagster_event.event_specific_data
        error = getattr(data, "error", None)
        return f"FAILURE: {error_line(_error_chain(error)) if error else entry.message}"
    return "FAILURE"


def run_failure_alert(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Raised:
    """A failed run, with the failing step and its error in the alert's first line."""
    month = run.tags.get("dagster/partition", "-")
    failed = step_failures(instance, run.run_id)
    return Raised(
        [
            Alert(
                key=f"run_failure:{run.run_id}",
                kind="run_failure",
                severity="critical",
                title=f"{run.job_name} failed ({month})",
                text=f"Run {run.run_id}: {run_failure_line(instance, run.run_id)}",
                details={
                    "run_id": run.run_id,
                    "job": run.job_name,
                    "partition": month,
                    "failed_steps": [step for step, _ in failed],
                    "errors": {step: line for step, line in failed},
                },
            )
        ]
    )


def _months_written(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The warehouse months this run materialized."""
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    return [
        e.dagster_event.partition
        for e in events
        if e.dagster_event.asset_key == WAREHOUSE_SEGMENTS and e.dagster_event.partition
    ]


def run_alerts(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    check_keys: list[dg.AssetCheckKey],
    open_conditions: dict[str, str],
    framework: FrameworkResource,
    warehouse: WarehouseResource,
) -> Raised:
    """What the sensors would raise for this run alone (`segmentation-pipeline run`)."""
    config = framework.load()
    seen = check_evaluations(instance, check_keys, run_id=run.run_id)
    raised = data_quality_alerts(seen, open_conditions)
    raised += coverage_drop_alerts(instance, seen, config.monitoring.coverage_drop_points)
    months = _months_written(instance, run.run_id)
    raised += drift_alerts(warehouse.client().engine, months, config.monitoring.drift)
    raised += stale_framework_alerts(instance, config.version)
    if run.status == dg.DagsterRunStatus.FAILURE:
        raised += run_failure_alert(instance, run)
    return raised
