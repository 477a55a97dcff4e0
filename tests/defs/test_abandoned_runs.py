"""A command-line run killed before it could say it ended is marked failed by the next
one; runs still going, and runs of other machines or the daemon, are left alone."""

import os
import socket
import subprocess
import sys

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun

from segmentation_pipeline.defs.execution import HOST_TAG, JOB_NAME, PID_TAG, fail_abandoned_runs


def gone_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def started(instance, run_id, **tags) -> DagsterRun:
    run = DagsterRun(job_name=JOB_NAME, run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                     tags={"dagster/partition": "2026-11-01", **tags})  # fmt: skip
    return instance.add_run(run)


def test_only_runs_of_this_machine_whose_process_is_gone_are_marked_failed():
    here = socket.gethostname()
    with dg.DagsterInstance.ephemeral() as instance:
        started(instance, "killed", **{PID_TAG: str(gone_pid()), HOST_TAG: here})
        started(instance, "running", **{PID_TAG: str(os.getpid()), HOST_TAG: here})
        started(instance, "elsewhere", **{PID_TAG: str(gone_pid()), HOST_TAG: "other-host"})
        started(instance, "daemon")  # launched by the daemon: its run monitoring decides
        lines = fail_abandoned_runs(instance)
        status = {r.run_id: r.status for r in instance.get_runs()}
    assert status == {
        "killed": dg.DagsterRunStatus.FAILURE,
        "running": dg.DagsterRunStatus.STARTED,
        "elsewhere": dg.DagsterRunStatus.STARTED,
        "daemon": dg.DagsterRunStatus.STARTED,
    }
    assert len(lines) == 1 and lines[0].startswith("run killed (month 2026-11) was left")
