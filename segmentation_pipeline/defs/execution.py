"""Run the nightly job from Python the way a deployment runs it.

`JobDefinition.execute_in_process` keeps every step's output in memory for its caller
(a million accounts' frames, step after step: several GiB). `execute_job` runs the same
steps in this process with the in-process executor and the instance's IO manager, and
keeps nothing: each step loads its inputs from storage and lets them go, as under the
Dagster daemon.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

JOB_NAME = "segmentation_job"


def nightly_job() -> dg.JobDefinition:
    """The nightly job, importable by name so `execute_job` can reconstruct it."""
    from segmentation_pipeline.definitions import defs

    return defs.resolve_job_def(JOB_NAME)


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
        tags={"dagster/partition": partition_key},
    )
