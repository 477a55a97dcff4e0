"""Run the nightly job from Python the way a deployment runs it.

`JobDefinition.execute_in_process` keeps every step's output in memory for its caller
(a million accounts' frames, step after step: several GiB). `execute_job` runs the same
steps in this process with the in-process executor and the instance's IO manager, and
keeps nothing: each step loads its inputs from storage and lets them go, as under the
Dagster daemon.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

import dagster as dg

JOB_NAME = "segmentation_job"
# Which process runs a run started here: the next start tells a run still going from a
# run whose process was killed (kill -9, a reboot) and never got to say it ended.
PID_TAG = "segmentation/pid"
HOST_TAG = "segmentation/host"


def nightly_job() -> dg.JobDefinition:
    """The nightly job, importable by name so `execute_job` can reconstruct it."""
    from segmentation_pipeline.definitions import defs

    return defs.resolve_job_def(JOB_NAME)


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark as failed every run of the nightly job started from this machine that the
    instance still shows in progress though its process is gone; one line each, returned.
    Runs the daemon launched are left to its run monitoring (dagster.yaml)."""
    in_progress = dg.RunsFilter(
        job_name=JOB_NAME,
        statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
        tags={HOST_TAG: socket.gethostname()},
    )
    lines = []
    for run in instance.get_runs(filters=in_progress):
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or not _process_is_gone(int(pid)):
            continue
        line = (
            f"run {run.run_id} (month {run.tags.get('dagster/partition', '?')[:7]}) was left "
            f"{run.status.value} by process {pid}, which is gone: marked as failed"
        )
        instance.report_run_failed(run, message=line)
        lines.append(line)
    return lines


def run_nightly_job(
    instance: dg.DagsterInstance, partition_key: str, run_config: Mapping[str, Any] | None = None
) -> dg.JobExecutionResult:
    """One run of the nightly job for a month, in this process; use the result as a
    context manager to read outputs back through the IO manager."""
    config = {"execution": {"config": {"in_process": {}}}, **(run_config or {})}
    return dg.execute_job(
        dg.reconstructable(nightly_job),
        instance,
        run_config=config,
        tags={
            "dagster/partition": partition_key,
            PID_TAG: str(os.getpid()),
            HOST_TAG: socket.gethostname(),
        },
    )
