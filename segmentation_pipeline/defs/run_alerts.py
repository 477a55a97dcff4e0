"""Alerts for a run executed outside the daemon (`segmentation-pipeline run`): the sensors'
rules, evaluated once over that run and dispatched through the same `alerts` resource, so a
deployment that uses only the command line still gets its alerts table, its Slack message
and its failure alert."""

from __future__ import annotations

import logging

import dagster as dg

from segmentation_pipeline.defs.alert_rules import run_alerts
from segmentation_pipeline.defs.alerts import DispatchReport


def dispatch_run_alerts(
    defs: dg.Definitions, instance: dg.DagsterInstance, run_id: str, logger: logging.Logger
) -> DispatchReport:
    """Evaluate the alert rules over one finished run; record and send what they raise."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ValueError(f"run {run_id} is not in the instance")
    check_keys = list(defs.resolve_asset_graph().asset_check_keys)
    needed = {key: defs.resources[key] for key in ("alerts", "framework", "warehouse")}
    with dg.build_resources(needed) as resources:
        alerts = resources.alerts
        raised = run_alerts(
            instance,
            run,
            check_keys,
            alerts.open_conditions(),
            resources.framework,
            resources.warehouse,
        )
        return alerts.dispatch(raised.alerts, logger, raised.conditions)
