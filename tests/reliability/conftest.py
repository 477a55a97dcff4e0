"""The reliability suite drives the real nightly job, as an operator's night would, and
asserts the outcome of each fault: the named error, the rejected row, identical tables
after a re-run, the next night succeeding.

`night(...)` runs `segmentation_job` for one month in process against a CRM folder, with
every store (warehouse, snapshots, IO manager files, reports) under one folder of the test,
so two nights of one test share state exactly as two nights of a deployment do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from nights import Night

from segmentation_pipeline.definitions import defs
from segmentation_pipeline.defs.enrichment import FirmographicsResource
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.resources import (
    SAMPLE_CRM_FOLDER,
    FileCrmResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)


@pytest.fixture
def sample_crm(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample CRM folder."""
    folder = tmp_path / "crm"
    shutil.copytree(SAMPLE_CRM_FOLDER, folder)
    return folder


@pytest.fixture
def night(tmp_path: Path) -> Callable[..., Night]:
    """night(crm_folder, month="2026-11-01", warehouse_url=None, framework="") -> Night.

    Every call of one test shares the warehouse, snapshots and IO manager folder, so a
    second call is the next night of the same deployment."""
    return deployment(tmp_path / "state")


@pytest.fixture
def another_deployment(tmp_path: Path) -> Callable[..., Night]:
    """Nights like `night`'s, of a second deployment with stores of its own: what a
    deployment that never saw the first one's fault decides."""
    return deployment(tmp_path / "another")


def deployment(state: Path) -> Callable[..., Night]:
    """The nights of one deployment whose every store is under `state`."""
    state.mkdir(exist_ok=True)
    instance = dg.DagsterInstance.ephemeral()

    def run(
        crm_folder: Path | str,
        month: str = "2026-11-01",
        warehouse_url: str | None = None,
        framework: str = "",
        run_config: dict | None = None,
    ) -> Night:
        url = warehouse_url or f"sqlite:///{state / 'warehouse.sqlite'}"
        resources = {
            "warehouse": WarehouseResource(url=url),
            "crm": FileCrmResource(folder=str(crm_folder)),
            "framework": FrameworkResource(path=framework),
            "snapshots": SnapshotStoreResource(base_dir=str(state / "snapshots")),
            "io_manager": FrameFilesystemIOManager(base_dir=str(state / "outputs")),
            "firmographics": FirmographicsResource(
                path=str(Path(crm_folder) / "firmographics.csv")
            ),
        }
        job = defs.resolve_job_def("segmentation_job")
        result = job.execute_in_process(
            partition_key=month,
            instance=instance,
            resources=resources,
            run_config=run_config,
            raise_on_error=False,
        )
        return Night(result=result, warehouse_url=url, instance=instance)

    return run
