"""Faults heal: a vendor outage, an open circuit, a dropped connection, two runs of one
month at once and a killed run each end as work left for retry, a clear wait or a
one-line error, and the next night succeeds."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pycountry
import pytest
import yaml

from segmentation_pipeline.definitions import defs
from segmentation_pipeline.defs.enrichment import FirmographicsResource
from segmentation_pipeline.defs.jobs import WRITES_WAREHOUSE_TAG
from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH
from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.local_servers.vendors import Company, PdlServer
from segmentation_pipeline.sample_data import write_sample_crm

REPO_ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-11"
PDL_KEY = "pdl-key-for-reliability"
EVERY_REQUEST = 10**9  # a fault counter no night uses up


def _companies(firmographics: Path) -> list[Company]:
    """What the local PDL knows: every company of the sample's firmographics file."""
    rows = pd.read_csv(firmographics)
    return [
        Company(
            row.domain,
            row.domain,
            row.industry,
            int(row.employees),
            float(row.annual_revenue),
            pycountry.countries.get(alpha_2=row.country_code).name,
        )
        for row in rows.itertuples(index=False)
    ]


@pytest.fixture
def pdl(sample_crm: Path):
    with PdlServer(_companies(sample_crm / "firmographics.csv"), PDL_KEY) as server:
        yield server


def vendor_framework(folder: Path, pdl_url: str, reset_after_seconds: float = 0.0) -> str:
    """The default framework with PDL the only firmographics source (the offline file
    off), fast retries, and the circuit breaker's wait as given."""
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())
    enrichment = data["enrichment"]
    enrichment["providers"]["file"]["enabled"] = False
    enrichment["providers"]["pdl"].update(
        enabled=True, base_url=pdl_url, rate_limit={"per_minute": None}
    )
    enrichment["retry"] = {"max_attempts": 2, "base_delay_seconds": 0.01, "max_delay_seconds": 0.02}
    enrichment["circuit_breaker"]["reset_after_seconds"] = reset_after_seconds
    path = folder / "framework.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture
def with_pdl_key(night, monkeypatch):
    """The night fixture builds its firmographics resource itself; give it PDL's key."""
    keyed = functools.partial(FirmographicsResource, pdl_api_key=PDL_KEY)
    monkeypatch.setitem(night.__globals__, "FirmographicsResource", keyed)


# -- A vendor outage on the first night -------------------------------------------------
# What a night decides of each account, to compare two deployments' nights.
DECIDED = [
    "account_id", "status", "segment", "computed_segment", "current_tier",
    "unsegmented_reason", "tier_rule", "transition_status", "transition_to",
]  # fmt: skip


def test_a_first_night_with_every_lookup_failing_does_not_wedge_the_next(
    night, another_deployment, sample_crm, pdl, with_pdl_key, tmp_path
):
    """Nothing is published from the outage's gaps: an account waiting for its lookup
    keeps its CRM tier with no move opened, or is Unsegmented with the reason, and with a
    quarter of the sample waiting the coverage gate stops the night before the warehouse
    and the CRM. The night the vendor answers decides every account as a deployment that
    never saw the outage."""
    framework = vendor_framework(tmp_path, pdl.url)
    pdl.faults.errors = EVERY_REQUEST
    first = night(sample_crm, framework=framework)
    assert not first.success
    assert "segment_coverage_check" in first.failure_messages()[0]
    assert first.metadata("accounts_enriched")["fields_filled"] == 0
    assert first.warehouse().read_table("enrichment_cache").empty  # failures are not answers
    reasons = first.metadata("segment_assignments")["unsegmented_reasons"]
    assert reasons["enrichment_pending:failed"] == 375
    assert first.warehouse().read_table("segment_snapshots").empty
    rows = first.value("segment_assignments")
    held = rows[rows["tier_rule"].eq("enrichment_pending")]
    waiting = rows[rows["unsegmented_reason"].eq("enrichment_pending:failed")]
    assert len(held) > 0 and len(waiting) > 0
    assert held["segment"].eq(held["crm_tier"]).all()
    assert held["transition_status"].isna().all()
    assert waiting["crm_tier"].isna().all() and waiting["current_tier"].isna().all()

    pdl.reset()
    second = night(sample_crm, framework=framework)
    assert second.success, second.failure_messages()
    assert second.metadata("accounts_enriched")["fields_filled"] > 0
    provenance = second.warehouse().read_table("enrichment_provenance")
    assert set(provenance["provider"]) == {"pdl"}
    assert provenance["value"].map(type).eq(str).all()

    never_down = another_deployment(sample_crm, framework=framework)
    assert never_down.success, never_down.failure_messages()
    pd.testing.assert_frame_equal(
        second.value("segment_assignments")[DECIDED],
        never_down.value("segment_assignments")[DECIDED],
    )


# -- Runs from the command line, as a deployment's operator starts them ------------------
CLI_ACCOUNTS = 300  # the CLI runs' CRM: a sample like the bundled one, smaller


@pytest.fixture(scope="module")
def cli_crm(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli-crm")
    write_sample_crm(folder, n_accounts=CLI_ACCOUNTS)
    return folder


def start_cli_run(
    home: Path, warehouse_url: str, crm: Path, month: str | None = MONTH, **env: str
) -> subprocess.Popen:
    """`segmentation-pipeline run --month 2026-11` (`month` None: the open month, the only
    one that notifies owners) in a process of its own, on this worktree's code, with its
    state under `home`, reading the CRM folder `crm`."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "SEGMENTATION_"))},
        "PYTHONPATH": str(REPO_ROOT),
        "SEGMENTATION_HOME": str(home),
        "SEGMENTATION_WAREHOUSE_URL": warehouse_url,
        "SEGMENTATION_CRM_FOLDER": str(crm),
        **env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "segmentation_pipeline.cli",
            "run",
            *(["--month", month] if month else []),
        ],
        cwd=home.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=900)
    return process.returncode, output


# What a run writes that is its own, not the month's: run ids and moments of writing.
_RUN_OWN = ("run_id", "opened_run_id", "closed_run_id", "fetched_at", "spent_at",
            "recorded_at", "updated_at")  # fmt: skip
RESULT_TABLES = (
    "segment_snapshots", "segment_history", "segment_transitions", "account_merge_audit",
    "enrichment_provenance", "enrichment_non_matches", "report_segment_summary",
)  # fmt: skip


def _cell(value: object) -> object:
    """One stored value, the same whichever database it came from."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 6)
    if hasattr(value, "isoformat"):
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).isoformat()
    return str(value)


def month_result(warehouse_url: str) -> dict[str, list[tuple]]:
    """Every result table of the warehouse as sorted rows of comparable values."""
    warehouse = Warehouse(warehouse_url)
    try:
        tables = {}
        for name in RESULT_TABLES:
            frame = warehouse.read_table(name)
            columns = sorted(c for c in frame.columns if c not in _RUN_OWN)
            rows = [tuple(_cell(v) for v in row) for row in frame[columns].itertuples(index=False)]
            tables[name] = sorted(rows, key=repr)
        return tables
    finally:
        warehouse.dispose()


@pytest.fixture(scope="module")
def uninterrupted_run_result(tmp_path_factory, cli_crm) -> dict[str, list[tuple]]:
    """What one run of the month alone, in a fresh deployment, leaves in its warehouse
    (one run for every test here that compares with it)."""
    home = tmp_path_factory.mktemp("alone") / "home"
    reference = f"sqlite:///{home / 'warehouse.sqlite'}"
    code, output = finished(start_cli_run(home, reference, cli_crm))
    assert code == 0, output[-3000:]
    return month_result(reference)


def paused_at(point: str, folder: Path) -> dict[str, str]:
    """The environment that stops a run at a pause point (`defs.pause_points`)."""
    return {"SEGMENTATION_PAUSE_AT": point, "SEGMENTATION_PAUSE_DIR": str(folder)}


def wait_for(path: Path, process: subprocess.Popen) -> None:
    """Until `path` exists; fails with the run's output if the run ended first."""
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the run ended before {path.name}: {process.stdout.read()[-3000:]}")
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(0.05)


def test_two_runs_of_one_month_at_once_take_turns_and_leave_one_runs_result(
    warehouse_url, tmp_path, uninterrupted_run_result, cli_crm
):
    """The first run stops between reading the queue and history and writing them; the
    second reaches the same step meanwhile. Without a lock both write what they worked
    out from the same state (the IntegrityError on segment_history.history_id)."""
    home, pauses = tmp_path / "home", tmp_path / "pauses"
    pauses.mkdir()
    first = start_cli_run(home, warehouse_url, cli_crm, **paused_at("segment_operations", pauses))
    wait_for(pauses / "segment_operations.reached", first)
    second = start_cli_run(home, warehouse_url, cli_crm)
    second_log = []
    for line in second.stdout:  # the second run waits for the first, in one line
        second_log.append(line)
        if "waiting for another run that holds the warehouse lock" in line:
            break
    (pauses / "segment_operations.release").touch()
    outcomes = [finished(first), finished(second)]
    second_log.append(outcomes[1][1])
    assert "waiting for another run that holds the warehouse lock 'segment_operations'" in (
        "".join(second_log)
    )
    for code, output in outcomes:
        assert "IntegrityError" not in output
        assert code == 0, output[-3000:]

    assert month_result(warehouse_url) == uninterrupted_run_result


# -- A run killed in the middle of its warehouse write ---------------------------------
def test_a_run_killed_mid_write_is_marked_failed_by_the_next_which_converges(
    warehouse_url, tmp_path, uninterrupted_run_result, cli_crm
):
    home, pauses = tmp_path / "home", tmp_path / "pauses"
    pauses.mkdir()
    killed = start_cli_run(home, warehouse_url, cli_crm, **paused_at("warehouse_segments", pauses))
    wait_for(pauses / "warehouse_segments.reached", killed)  # inside the write transaction
    killed.kill()  # SIGKILL: no handler runs, the run cannot say it ended
    killed.communicate()

    code, output = finished(start_cli_run(home, warehouse_url, cli_crm))
    assert code == 0, output[-3000:]
    marked = [line for line in output.splitlines() if "marked as failed" in line]
    assert len(marked) == 1 and "was left STARTED by process" in marked[0]

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()  # newest first
        assert [run.status for run in runs] == [
            dg.DagsterRunStatus.SUCCESS,
            dg.DagsterRunStatus.FAILURE,
        ]
        assert runs[1].run_id in marked[0]

    assert month_result(warehouse_url) == uninterrupted_run_result


def test_a_run_killed_before_storing_the_queue_told_nobody_and_the_next_tells_once(
    warehouse_url, tmp_path, cli_crm
):
    """Killed between working out the queue and storing it: the moves it opened were never
    stored, so the next run opens them again under new ids. Had the first run sent its
    digests already, every owner would be told each move twice."""
    home, pauses = tmp_path / "home", tmp_path / "pauses"
    pauses.mkdir()
    open_month = {"warehouse_url": warehouse_url, "crm": cli_crm, "month": None}
    killed = start_cli_run(home, **open_month, **paused_at("segment_operations", pauses))
    wait_for(pauses / "segment_operations.reached", killed)
    killed.kill()
    killed.communicate()
    warehouse = Warehouse(warehouse_url)
    try:
        assert not warehouse.has_table("notification_events")

        code, output = finished(start_cli_run(home, **open_month))
        assert code == 0, output[-3000:]
        events = warehouse.read_table("notification_events")
        waiting = events[events["kind"] == "pending_review"]
        assert len(waiting) > 0  # the case under test is present
        assert waiting["account_id"].is_unique  # each move told once
        digests = warehouse.read_table("alerts").query("kind == 'owner_digest'")
        assert len(digests) == events["owner_id"].nunique()
    finally:
        warehouse.dispose()


def test_the_instance_limits_the_nightly_job_to_one_run_and_monitors_runs(tmp_path):
    shutil.copy(
        REPO_ROOT / "segmentation_pipeline" / "data" / "dagster_instance.yaml",
        tmp_path / "dagster.yaml",
    )
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    (tag,) = WRITES_WAREHOUSE_TAG
    assert {"key": tag, "limit": 1} in limits
    job = defs.resolve_job_def("segmentation_job")
    assert job.tags[tag] == WRITES_WAREHOUSE_TAG[tag]
    deploy = yaml.safe_load((REPO_ROOT / "deploy" / "dagster.yaml").read_text())
    assert deploy["run_monitoring"]["enabled"]
    assert {"key": tag, "limit": 1} in deploy["run_coordinator"]["config"]["tag_concurrency_limits"]
