"""`segmentation-pipeline run`: the README's main command, on the embedded defaults."""

import os
import shutil
import subprocess

import dagster as dg
import pytest


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SEGMENTATION_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for name in ("SEGMENTATION_WAREHOUSE_URL", "SEGMENTATION_REPORTS_DIR", "SEGMENTATION_CRM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def test_run_segments_the_sample_and_leaves_the_run_in_the_instance(home, monkeypatch):
    """Run as the README runs it: the installed command, in a fresh process (the
    code location reads its settings from the environment when it is imported)."""
    command = shutil.which("segmentation-pipeline")
    assert command, "the package is installed with its console script (bash install.sh)"
    done = subprocess.run(
        [command, "run", "--month", "2026-10"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    printed = done.stdout
    assert "SUCCESS (snapshot month 2026-10)" in printed
    assert "check segment_assignments:segment_coverage_check: passed" in printed
    for segment in ("Tier 1", "Tier 2", "Tier 3", "Unsegmented"):
        assert segment in printed
    assert (home / "warehouse.sqlite").exists()
    assert (home / "reports" / "csm" / "2026-10" / "index.html").exists()

    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "segmentation_job"
        assert run.tags["dagster/partition"] == "2026-10-01"
        materialized = instance.get_latest_materialization_event(dg.AssetKey("segment_assignments"))
        assert materialized.dagster_event.partition == "2026-10-01"
