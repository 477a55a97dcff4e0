"""`segmentation-pipeline run`: the README's main command, on the embedded defaults."""

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
from framework_releases import BUNDLED_VERSION, NEXT_VERSION, bundled_framework_as

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The installed command in a fresh process, importing this checkout's code."""
    command = shutil.which("segmentation-pipeline")
    assert command, "the package is installed with its console script (bash install.sh)"
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [command, *args],
        env={**os.environ, "PYTHONPATH": path, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def stored_alerts(home: Path) -> list[dict]:
    engine = sa.create_engine(f"sqlite:///{home / 'warehouse.sqlite'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT alert_key, kind, text FROM alerts ORDER BY alert_key"))
        return [dict(row._mapping) for row in rows]


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
    done = cli("run", "--month", "2026-10")
    assert done.returncode == 0, done.stderr[-2000:]
    printed = done.stdout
    assert "SUCCESS (snapshot month 2026-10)" in printed
    assert "check segment_assignments:segment_coverage_check: passed" in printed
    for segment in ("Tier 1", "Tier 2", "Tier 3", "Unsegmented"):
        assert segment in printed
    assert (home / "warehouse.sqlite").exists()
    # A clean night: the bundled sample meets every default threshold of the methodology,
    # so no check warns and the alerts table, created with the warehouse, stays empty.
    assert failing_checks(printed) == set()
    assert "alerts: none new" in printed
    assert stored_alerts(home) == []
    assert "owner digests: none (past month: only the open month notifies)" in printed
    assert (home / "reports" / "csm" / "2026-10" / "index.html").exists()
    assert f"dashboard: {home / 'reports' / 'dashboard.html'}" in printed

    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "segmentation_job"
        assert run.tags["dagster/partition"] == "2026-10-01"
        materialized = instance.get_latest_materialization_event(dg.AssetKey("segment_assignments"))
        assert materialized.dagster_event.partition == "2026-10-01"


def failing_checks(printed: str) -> set[str]:
    """The checks a run printed as failed: `  check <asset>:<check>: FAILED (WARN)`."""
    return {
        line.split()[1].rstrip(":")
        for line in printed.splitlines()
        if line.strip().startswith("check ") and "FAILED" in line
    }


def alerted_checks(home: Path) -> set[str]:
    """The checks with a data-quality alert (key `data_quality:<asset>:<check>:<id>`)."""
    keys = [a["alert_key"].split(":") for a in stored_alerts(home) if a["kind"] == "data_quality"]
    return {f"{asset}:{check}" for _, asset, check, _ in keys}


def strict_framework(folder: Path) -> dict[str, str]:
    """The default framework with no segment allowed 30% of the accounts: the sample's
    largest tier then warns on concentration_index, whatever the default thresholds."""
    from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

    text = DEFAULT_FRAMEWORK_PATH.read_text()
    strict = re.sub(r"concentration_max: [0-9.]+", "concentration_max: 0.30", text)
    assert strict != text
    (folder / "strict_framework.yaml").write_text(strict)
    return {"SEGMENTATION_FRAMEWORK": str(folder / "strict_framework.yaml")}


def test_the_same_warnings_in_a_later_month_are_one_alert_each(home, tmp_path):
    """One alert per check that failed, however many months it keeps failing."""
    framework = strict_framework(tmp_path)
    first = cli("run", "--month", "2026-10", **framework)
    assert first.returncode == 0, first.stderr[-2000:]
    failing = failing_checks(first.stdout)
    assert "segment_assignments:concentration_index" in failing
    assert alerted_checks(home) == failing
    assert f"alerts: {len(failing)} new" in first.stdout
    # The alert says what was measured against what, and the first thing to check.
    (concentration,) = [a for a in stored_alerts(home) if "concentration_index" in a["alert_key"]]
    assert re.match(
        r"largest segment's share \d+\.\d% > 30% \(methodology: ", concentration["text"]
    )
    assert "): compare the framework's tier min_score cut-offs" in concentration["text"]
    # Dagster's event lines stay in the instance; the terminal gets the summary and alerts.
    assert " - DEBUG - " not in first.stderr and " - ERROR - " not in first.stderr

    # A later month, the open one, fails the same checks: nothing new to alert.
    again = cli("run", "--month", "2026-12", **framework)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "alerts: none new" in again.stdout
    # The open month's owner digests share the alerts table; count the checks' alerts.
    checks = [a for a in stored_alerts(home) if a["kind"] != "owner_digest"]
    assert len(checks) == len(failing)


def test_a_run_with_a_missing_crm_folder_prints_one_line_naming_it_and_exits_1(home, tmp_path):
    folder = tmp_path / "no-such-export"
    done = cli("run", "--month", "2026-10", SEGMENTATION_CRM_FOLDER=str(folder))

    assert done.returncode == 1
    (line,) = done.stdout.strip().splitlines()
    assert line.startswith("run ")
    # The usage feed is read after the accounts, so it is skipped, not a second failure.
    assert line.endswith(f": FAILURE in crm_accounts: {folder / 'accounts.csv'}: file not found")
    assert "Traceback" not in done.stderr and "STEP_FAILURE" not in done.stderr
    (failure,) = [a for a in stored_alerts(home) if a["kind"] == "run_failure"]
    assert f"crm_accounts: {folder / 'accounts.csv'}: file not found" in failure["text"]


def test_a_warehouse_that_cannot_be_written_fails_in_lines_not_a_traceback(home, tmp_path):
    """The warehouse turned read-only between nights: the run fails, and the alert rules,
    which record into the same warehouse, cannot store its alert. The operator reads the
    failure and that its alert was not recorded, one line each, and exit code 1."""
    first = cli("run", "--month", "2026-10")
    assert first.returncode == 0 and "finished month" not in first.stderr
    read_only = f"sqlite:///file:{home / 'warehouse.sqlite'}?mode=ro&uri=true"
    done = cli("run", "--month", "2026-10", SEGMENTATION_WAREHOUSE_URL=read_only)
    # A finished month run again is rebuilt from today's export: said before it starts.
    assert "note: 2026-10 is a finished month this home has scored" in done.stderr

    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    failure, alerts = done.stdout.strip().splitlines()
    assert re.fullmatch(r"run \S+: FAILURE in \w+: .*readonly database.*", failure)
    assert alerts.startswith("alerts not recorded: ") and "readonly database" in alerts


def test_verbose_shows_dagsters_event_lines_as_well(home, tmp_path):
    folder = tmp_path / "no-such-export"
    done = cli("run", "--month", "2026-10", "--verbose", SEGMENTATION_CRM_FOLDER=str(folder))

    assert done.returncode == 1
    assert "FAILURE in crm_accounts" in done.stdout.splitlines()[0]
    assert "STEP_FAILURE" in done.stderr
    assert "dagster home:" in done.stdout


def test_digests_a_sink_refused_are_counted_as_failed_deliveries_not_only_as_sent(home):
    """A webhook URL that answers nothing: the summary must not read as if the owners
    were told."""
    done = cli("run", SEGMENTATION_ALERT_WEBHOOK_URL="http://127.0.0.1:1/hook")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("owner digests:")]
    sent = int(re.search(r"(\d+) sent", line).group(1))
    assert sent > 0 and f"{sent} sent, {sent} deliveries failed (retried next run)" in line
    assert "not delivered to webhook" in done.stderr
    # one warning for the step's digests, not one per digest
    assert done.stderr.count(f"{sent} digest(s) not delivered to webhook") == 1


def test_a_framework_typo_prints_its_one_line_error_and_exits_2(home, tmp_path):
    from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

    typo = tmp_path / "framework.yaml"
    typo.write_text(DEFAULT_FRAMEWORK_PATH.read_text().replace("version:", "versoin:", 1))
    done = cli("run", "--month", "2026-10", SEGMENTATION_FRAMEWORK=str(typo))

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"configuration error: {typo}: invalid framework: version: required field is "
        "missing; versoin: unknown key"
    ]


def test_a_deployed_framework_edited_without_a_new_version_stops_the_next_night(home, tmp_path):
    """Scored under the old label, the month, its history and its runs would mean two
    frameworks by one version; the night stops before it reads anything, naming the file."""
    from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

    deployed = tmp_path / "framework.yaml"
    text = DEFAULT_FRAMEWORK_PATH.read_text()
    deployed.write_text(text)
    assert cli("run", "--month", "2026-10", SEGMENTATION_FRAMEWORK=str(deployed)).returncode == 0
    assert "  provisional_days: 30\n" in text
    deployed.write_text(text.replace("  provisional_days: 30\n", "  provisional_days: 45\n"))
    done = cli("run", "--month", "2026-10", SEGMENTATION_FRAMEWORK=str(deployed))
    assert done.returncode == 1
    assert (
        done.stdout.strip()
        .splitlines()[-1]
        .endswith(
            f"FAILURE in crm_accounts: {deployed}: framework version {BUNDLED_VERSION} was "
            "applied before with other settings; bump `version` so runs, snapshots and history "
            "tell the two frameworks apart"
        )
    )


def test_a_month_that_is_not_yyyy_mm_is_refused_with_exit_2(home):
    done = cli("run", "--month", "2026-13")
    assert done.returncode == 2
    assert "'2026-13' is not a month as YYYY-MM" in done.stderr


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("SEGMENTATION_WAREHOUSE_URL", "foo://bar/baz", "not a usable SQLAlchemy URL"),
        (
            "SEGMENTATION_WAREHOUSE_URL",
            "postgresql+psycopg://postgres:SuperSecret123@127.0.0.1:1/test",
            "cannot connect to postgresql+psycopg://postgres:***@127.0.0.1:1/test",
        ),
        ("SEGMENTATION_HOME", "/proc/1/not-here", "cannot create /proc/1/not-here"),
        ("SEGMENTATION_FIRST_MONTH", "garbage", "'garbage' is not a month (YYYY-MM)"),
        ("SEGMENTATION_CRM", "salesforc", "'salesforc' is neither 'file' nor 'salesforce'"),
        ("SEGMENTATION_ALERT_WEBHOOK_URL", "hooks.example/SuperSecret123", "not an http(s) URL"),
    ],
)
def test_a_setting_the_command_cannot_use_is_named_in_one_line_with_exit_2(
    home, setting, value, said
):
    """Not a 20- to 120-line traceback, and never the warehouse's password."""
    done = cli("run", **{setting: value})
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"configuration error: {setting}: ") and said in line
    assert "SuperSecret123" not in done.stderr
    assert not home.exists()  # refused before anything was written


def test_a_refused_command_leaves_no_warehouse_file_in_the_home(home, tmp_path):
    """Checking the warehouse opened it, and opening a SQLite file creates it: a command
    refused after that check (a framework typo, a month never scored) left an empty
    warehouse.sqlite behind, which the next command found as if it had been written."""
    from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

    typo = tmp_path / "framework.yaml"
    typo.write_text(DEFAULT_FRAMEWORK_PATH.read_text().replace("version:", "versoin:", 1))
    done = cli("run", "--month", "2026-10", SEGMENTATION_FRAMEWORK=str(typo))
    assert done.returncode == 2 and "invalid framework" in done.stderr
    assert not home.exists()  # refused before the home, its instance or its warehouse

    done = cli("backfill", "--months", "2026-11")
    assert done.returncode == 2 and "never scored" in done.stderr
    assert not (home / "warehouse.sqlite").exists()

    # a new SQLite file is not opened to check it, only its folder
    elsewhere = f"sqlite:///{tmp_path / 'no-such-folder' / 'warehouse.sqlite'}"
    done = cli("run", SEGMENTATION_WAREHOUSE_URL=elsewhere)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"configuration error: SEGMENTATION_WAREHOUSE_URL: cannot create {elsewhere} "
        f"(no folder {tmp_path / 'no-such-folder'})"
    ]


def test_a_warehouse_another_process_holds_locked_is_named_in_one_line_with_exit_2(home):
    """A backup or a hand-run SQL session holding the SQLite warehouse: the command says so
    in one line instead of a traceback from the first read."""
    home.mkdir(parents=True)
    holder = sqlite3.connect(home / "warehouse.sqlite", isolation_level=None)
    try:
        holder.execute("CREATE TABLE segment_snapshots (snapshot_month TEXT)")
        holder.execute("BEGIN EXCLUSIVE")
        done = cli("run", "--month", "2026-10")
    finally:
        holder.close()
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("configuration error: SEGMENTATION_WAREHOUSE_URL: ")
    assert line.endswith("(database is locked)")


def test_a_reader_that_goes_away_cuts_nothing_short_and_prints_no_traceback(home, tmp_path):
    """`segmentation-pipeline run | head -3`: the reader here is gone before the first
    line, a run left behind by a killed process to report first. Before, that line's
    BrokenPipeError stopped the command before the night ran, with a traceback and exit 1."""
    from dagster._core.storage.dagster_run import DagsterRun

    from segmentation_pipeline.cli import INSTANCE_TEMPLATE
    from segmentation_pipeline.defs.execution import HOST_TAG, JOB_NAME, PID_TAG

    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text(INSTANCE_TEMPLATE.read_text())
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    tags = {"dagster/partition": "2026-09-01", PID_TAG: gone.stdout.strip()}
    tags[HOST_TAG] = socket.gethostname()
    killed = DagsterRun(job_name=JOB_NAME, run_id="killed", tags=tags)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_run(killed.with_status(dg.DagsterRunStatus.STARTED))
    command = shutil.which("segmentation-pipeline")
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    reader, writer = os.pipe()
    os.close(reader)  # the reader has gone away
    try:
        done = subprocess.run(
            [command, "run", "--month", "2026-10"],
            env={**os.environ, "PYTHONPATH": path, **strict_framework(tmp_path)},
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    finally:
        os.close(writer)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        status = {run.run_id: run.status for run in instance.get_runs()}
    assert status.pop("killed") == dg.DagsterRunStatus.FAILURE
    assert list(status.values()) == [dg.DagsterRunStatus.SUCCESS]
    # its alert is recorded as for a run whose output was read
    assert alerted_checks(home) == {"segment_assignments:concentration_index"}


def test_dagster_sensor_preview_after_a_run_records_and_sends_nothing(home, tmp_path):
    """`dagster sensor preview`, the real command against the real code location: it says
    what a tick would raise, and the alert tables stay as they were."""
    framework = strict_framework(tmp_path)
    assert cli("run", "--month", "2026-10", **framework).returncode == 0
    engine = sa.create_engine(f"sqlite:///{home / 'warehouse.sqlite'}")
    with engine.begin() as conn:  # as if no tick had alerted yet
        for table in ("alerts", "alert_deliveries", "alert_conditions"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    preview = subprocess.run(
        ["dagster", "sensor", "preview", "data_quality_breach_sensor"]
        + ["-m", "segmentation_pipeline.definitions"],
        env={
            **os.environ,
            **framework,
            "PYTHONPATH": path,
            "DAGSTER_HOME": str(home / "dagster"),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "preview: nothing recorded or sent; a tick would raise" in preview.stdout, (
        preview.stdout[-2000:] + preview.stderr[-2000:]
    )
    assert "Check concentration_index on segment_assignments failed" in preview.stdout
    assert stored_alerts(home) == []


def test_a_month_never_scored_here_is_refused_in_one_line_before_anything_changes(home, tmp_path):
    """README's `framework adopt ... --months 2026-11,2026-12` on a home that never ran
    2026-11: before, the file was adopted and the re-score then failed with a traceback."""
    candidate = tmp_path / "framework_next.yaml"
    candidate.write_text(bundled_framework_as(NEXT_VERSION))
    for args in (
        ("framework", "adopt", str(candidate), "--months", "2026-11,2026-12"),
        ("framework", "preview", str(candidate), "--month", "2026-11"),
        ("backfill", "--months", "2026-11"),
    ):
        done = cli(*args)
        assert done.returncode == 2 and done.stdout == "", args
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("configuration error: 2026-11") and "never scored" in line
        assert "segmentation-pipeline run --month 2026-11" in line
    assert not (home / "framework.yaml").exists()  # the refused adopt adopted nothing


def test_a_framework_change_by_the_documented_path_leaves_everything_on_the_new_version(
    home, tmp_path, monkeypatch
):
    """docs/governance.md: preview the candidate (nothing written), then adopt it: the
    code location's file, the re-scored snapshots, their run tags and metadata, and the
    generated docs all carry the new version."""
    assert cli("run", "--month", "2026-11").returncode == 0
    candidate = tmp_path / "framework_next.yaml"
    candidate.write_text(
        bundled_framework_as(NEXT_VERSION).replace(
            "min_score: 4.0, service_model: high_touch", "min_score: 3.6, service_model: high_touch"
        )
    )
    engine = sa.create_engine(f"sqlite:///{home / 'warehouse.sqlite'}")
    versions = "SELECT DISTINCT framework_version FROM segment_snapshots"

    preview = cli("framework", "preview", str(candidate), "--month", "2026-11")
    assert preview.returncode == 0, preview.stderr[-2000:]
    assert "nothing written" in preview.stdout
    # A lower Tier 1 cut-off only lifts accounts from Tier 2 into Tier 1.
    moves = re.findall(r"^  (Tier \d) -> (Tier \d): \d+$", preview.stdout, re.M)
    assert moves == [("Tier 2", "Tier 1")]
    assert f"governance checks under {NEXT_VERSION}:" in preview.stdout
    assert not (home / "framework.yaml").exists()
    with engine.connect() as conn:
        assert conn.execute(sa.text(versions)).scalars().all() == [BUNDLED_VERSION]

    adopt = cli("framework", "adopt", str(candidate), "--months", "2026-11")
    assert adopt.returncode == 0, adopt.stderr[-2000:]
    assert (home / "framework.yaml").read_text() == candidate.read_text()
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from segmentation_pipeline.defs import partitions as p;print(p.FRAMEWORK_VERSION)",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert loaded.stdout.strip() == NEXT_VERSION  # the code location now loads the new file
    with engine.connect() as conn:
        assert conn.execute(sa.text(versions)).scalars().all() == [NEXT_VERSION]
    docs = (home / "reports" / "docs" / "segment-definitions.md").read_text()
    assert f"Generated from framework version {NEXT_VERSION};" in docs

    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    with dg.DagsterInstance.get() as instance:
        rescored = [r for r in instance.get_runs() if r.job_name == "rescore_job"]
        assert [r.tags["segmentation/framework_version"] for r in rescored] == [NEXT_VERSION]
        event = instance.get_latest_materialization_event(dg.AssetKey("segment_assignments"))
        assert event.asset_materialization.metadata["framework_version"].value == NEXT_VERSION
        (nightly,) = [r for r in instance.get_runs() if r.job_name == "segmentation_job"]
        assert nightly.tags["segmentation/framework_version"] == BUNDLED_VERSION


def test_the_printed_summary_shows_known_arr_and_the_accounts_whose_arr_is_unknown():
    from segmentation_pipeline.cli import summary_text
    from segmentation_pipeline.core.reports.distribution import segment_summary

    # Tier 1: 1,500 and 2,500 known. Unsegmented: one known 40, two missing_arr.
    rows = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "U1", "U2", "U3"],
            "segment": ["Tier 1", "Tier 1", "Unsegmented", "Unsegmented", "Unsegmented"],
            "arr": [1500.0, 2500.0, 40.0, None, None],
            "composite_score": [4.0, 4.0, None, None, None],
            "at_risk": [False] * 5,
            "provisional": [False] * 5,
        }
    )
    lines = summary_text(segment_summary(rows)).splitlines()
    assert lines[0].split() == ["accounts", "arr", "accounts_arr_unknown"]
    assert lines[2].split() == ["Tier", "1", "2", "4,000", "0"]
    assert lines[3].split() == ["Unsegmented", "3", "40", "2"]
    # No segment reads "unknown" in place of its ARR: all missing is $0, 3 unknown.
    none_known = rows.assign(arr=[1500.0, 2500.0, None, None, None])
    assert summary_text(segment_summary(none_known)).splitlines()[3].split() == [
        "Unsegmented", "3", "0", "3"
    ]  # fmt: skip
