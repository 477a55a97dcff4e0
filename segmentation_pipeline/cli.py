"""Command line: run the pipeline on the embedded defaults, change the framework, or write
sample data.

`segmentation-pipeline run` executes the nightly job for a month in-process against a
persistent Dagster instance under SEGMENTATION_HOME, so `dg dev` (with the same
DAGSTER_HOME) shows the run, its lineage and its check results afterwards. Then it applies
the alert rules of the daemon's sensors to that run. `framework preview FILE` re-scores a
stored month with a candidate file and writes nothing; `framework adopt FILE` makes it the
deployed file and re-scores months with it (docs/governance.md). Exit codes: 0 the run
succeeded, 1 it failed (the failing step and its error in one line on stdout) or its alerts
could not be recorded (one more line saying why), 2 the command could not start (a bad
argument or configuration, one line on stderr).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import sys
from pathlib import Path

import pandas as pd

EXIT_FAILED = 1  # the run failed: its failing step and error are on stdout
EXIT_CONFIG = 2  # the command could not start: bad arguments or configuration
ALERT_LOG = logging.getLogger("segmentation.alerts")
# The developer instance's settings (one warehouse writer at a time, run monitoring).
INSTANCE_TEMPLATE = Path(__file__).parent / "data" / "dagster_instance.yaml"


def _prepare_home(home: Path) -> Path:
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or home / "dagster").resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_TEMPLATE.read_text())
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def _log_level(verbose: bool) -> dict:
    """Run config for the run's console log: every Dagster event line with `--verbose`,
    none otherwise (the summary, the failing step and the alerts say what matters; the
    whole log stays in the instance for `dg dev`)."""
    level = "DEBUG" if verbose else "CRITICAL"
    return {"loggers": {"console": {"config": {"log_level": level}}}}


def summary_text(summary: pd.DataFrame) -> str:
    """The segment summary as the run prints it: accounts, the known ARR (the sum the
    report tables hold) and, beside it, how many accounts' ARR is unknown, so a segment
    whose accounts have no ARR reads "$0 of ARR, N unknown", as the tables say."""
    table = summary.set_index("segment")[["accounts", "arr", "accounts_with_arr"]]
    table["accounts_arr_unknown"] = table.pop("accounts_with_arr").rsub(table["accounts"])
    return table.to_string(float_format=lambda v: f"{v:,.0f}")


def _print_summary(result, partition: str) -> None:
    """What a successful run produced: the checks, the segments and where to look next."""
    from segmentation_pipeline.core.reports.distribution import segment_summary
    from segmentation_pipeline.defs.resources import shown_url, warehouse_url
    from segmentation_pipeline.io.warehouse import Warehouse
    from segmentation_pipeline.io.warehouse_partitions import read_partition

    for check in result.get_asset_check_evaluations():
        state = "passed" if check.passed else f"FAILED ({check.severity.value})"
        print(f"  check {check.asset_key.to_user_string()}:{check.check_name}: {state}")
    url = warehouse_url()
    assignments = read_partition(Warehouse(url), "segment_snapshots", "snapshot_month", partition)
    print("\n" + summary_text(segment_summary(assignments)))
    print(f"\nstatus: {assignments['status'].value_counts().to_dict()}")
    print(f"\nwarehouse: {shown_url(url)}")
    print(f"  tables: {', '.join(sorted(Warehouse(url).table_names()))}")


def _print_digests(result) -> None:
    """What the owners were told (the digests themselves went to the alert sinks)."""
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() != "owner_notifications":
            continue
        meta = {k: v.value for k, v in event.materialization.metadata.items()}
        if "skipped" in meta:
            print(f"owner digests: none ({meta['skipped']}: only the open month notifies)")
        else:
            failed = meta.get("delivery_failures", 0)
            lost = f", {failed} deliveries failed (retried next run)" if failed else ""
            print(
                f"owner digests: {meta['digests']} sent{lost}, {meta['new_events']} new events "
                "(table notification_events)"
            )


def _print_locations(dagster_home: Path) -> None:
    from segmentation_pipeline.defs.assets.reports import ReportFiles
    from segmentation_pipeline.io.report_files import CURRENT_DASHBOARD

    reports = Path(ReportFiles().folder)
    if reports.exists():
        print(f"reports: {reports}  (executive dashboard, CSM views, framework docs)")
    if (reports / CURRENT_DASHBOARD).exists():
        print(f"dashboard: {reports / CURRENT_DASHBOARD}")
    print(f"dagster home: {dagster_home}  (DAGSTER_HOME={dagster_home} dg dev shows this run)")


def _print_run_warnings(instance, run_id: str) -> None:
    """The warnings the run's own code logged (not Dagster's event lines), on stderr."""
    for entry in instance.all_logs(run_id):
        if entry.level == logging.WARNING and entry.dagster_event is None:
            print(f"warning: {entry.step_key or '-'}: {entry.user_message}", file=sys.stderr)


def _print_alerts(report) -> None:
    if report.new:
        print(f"alerts: {len(report.new)} new, in the warehouse table `alerts`:")
        for alert in report.new:
            print(f"  [{alert.severity}] {alert.title}")
    else:
        print("alerts: none new")
    for key, sink, error in report.failed:
        print(f"  alert {key} not delivered to {sink}: {error} (retried next run)")


def _start_partitions_at(month: str | None) -> None:
    """A run for a month before the first stored one starts the partitions there (they
    start at the first month with data; this month is about to be)."""
    if not month or os.environ.get("SEGMENTATION_FIRST_MONTH"):
        return
    from segmentation_pipeline.defs.resources import warehouse_url
    from segmentation_pipeline.io.snapshot_months import earliest_month

    stored = earliest_month(warehouse_url())
    if stored is None or f"{month}-01" < stored:
        os.environ["SEGMENTATION_FIRST_MONTH"] = f"{month}-01"


def run(month: str | None, verbose: bool = False) -> int:
    """The nightly job for a month, then the alert rules over it: 0 on success, 1 on failure
    (with the failing step and its error in one line on stdout)."""
    dagster_home = _home()
    _start_partitions_at(month)

    import dagster as dg

    from segmentation_pipeline.definitions import defs
    from segmentation_pipeline.defs.alert_rules import run_failure_line
    from segmentation_pipeline.defs.backfill import scored_versions
    from segmentation_pipeline.defs.execution import fail_abandoned_runs, run_nightly_job
    from segmentation_pipeline.defs.partitions import current_month_key

    partition = f"{month}-01" if month else current_month_key()
    with dg.DagsterInstance.get() as instance:
        for line in fail_abandoned_runs(instance):
            print(line, flush=True)
        if partition < current_month_key() and partition in scored_versions(instance):
            # Rebuilding a finished month from today's export rewrites its history.
            print(
                f"note: {month} is a finished month this home has scored: the run rebuilds "
                "it from today's export (snapshot, history, reports); `segmentation-pipeline "
                f"backfill --months {month}` re-scores what it stored instead",
                file=sys.stderr,
                flush=True,
            )
        result = run_nightly_job(instance, partition, _log_level(verbose))
        report, unrecorded = _dispatch_alerts(defs, instance, result.run_id)
        if not result.success:
            print(f"run {result.run_id}: {run_failure_line(instance, result.run_id)}")
            if unrecorded:
                print(unrecorded)
            elif verbose:
                _print_alerts(report)
            if verbose:
                _print_locations(dagster_home)
            return EXIT_FAILED
        print(f"\nrun {result.run_id}: SUCCESS (snapshot month {partition[:7]})")
        _print_summary(result, partition)
        if unrecorded:  # the run's alerts are lost unless someone reads this
            print(unrecorded)
            return EXIT_FAILED
        _print_alerts(report)
        _print_digests(result)
        _print_locations(dagster_home)
        _print_run_warnings(instance, result.run_id)
    return 0


def _dispatch_alerts(defs, instance, run_id: str):
    """(report, None) once the run's alerts are recorded and sent, or (None, one line)
    when the warehouse that records them cannot be written: never a traceback."""
    import sqlalchemy as sa

    from segmentation_pipeline.core.failures import error_line
    from segmentation_pipeline.defs.run_alerts import dispatch_run_alerts

    try:
        return dispatch_run_alerts(defs, instance, run_id, ALERT_LOG), None
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        return None, f"alerts not recorded: {error_line([f'{type(exc).__name__}: {exc}'])}"


def _home() -> Path:
    """SEGMENTATION_HOME, resolved and exported, with its Dagster instance ready: the
    instance's home (DAGSTER_HOME)."""
    home = Path(os.environ.get("SEGMENTATION_HOME", ".segmentation")).resolve()
    os.environ["SEGMENTATION_HOME"] = str(home)
    return _prepare_home(home)


def _months(months: str | None) -> list[str] | None:
    return [f"{m.strip()}-01" for m in months.split(",")] if months else None


def _require_scored(months: list[str] | None) -> None:
    """Months never scored here have nothing stored to re-score or preview: say so in one
    line before anything is run or written (not a traceback from the job's first step)."""
    import dagster as dg

    from segmentation_pipeline.defs.backfill import unscored_months

    if not months:
        return
    with dg.DagsterInstance.get() as instance:
        missing = unscored_months(instance, months)
    if missing:
        shown = ", ".join(m[:7] for m in missing)
        raise SettingsError(
            f"{shown}: never scored under SEGMENTATION_HOME={os.environ['SEGMENTATION_HOME']} "
            f"(nothing stored to re-score); run `segmentation-pipeline run --month "
            f"{missing[0][:7]}` first, or leave the month out"
        )


def backfill(months: str | None) -> int:
    """Re-score months scored with another framework from their stored snapshots, with
    the framework the code location loads (the one its code versions name)."""
    _home()
    _require_scored(_months(months))

    import dagster as dg

    from segmentation_pipeline.definitions import defs
    from segmentation_pipeline.defs.backfill import backfill_stale
    from segmentation_pipeline.defs.partitions import FRAMEWORK_VERSION

    with dg.DagsterInstance.get() as instance:
        return 0 if backfill_stale(defs, instance, FRAMEWORK_VERSION, _months(months)) else 1


def framework_preview(candidate_file: str, month: str | None) -> int:
    """A stored month re-scored with a candidate framework file; nothing is written."""
    _home()

    import dagster as dg

    from segmentation_pipeline.core.governance import explain
    from segmentation_pipeline.definitions import default_resources
    from segmentation_pipeline.defs.framework_change import preview_month
    from segmentation_pipeline.defs.partitions import FRAMEWORK_VERSION, current_month_key
    from segmentation_pipeline.framework import load_framework

    candidate = load_framework(candidate_file)
    partition = f"{month}-01" if month else current_month_key()
    _require_scored([partition])
    with dg.DagsterInstance.get() as instance:
        result = preview_month(instance, default_resources()["io_manager"], candidate, partition)
    stored = sorted(set(result.stored_versions)) or [FRAMEWORK_VERSION]
    print(
        f"preview of {candidate_file} (version {candidate.version}) on {partition[:7]} as "
        f"stored (version {', '.join(stored)}); nothing written"
    )
    print(f"\naccounts whose computed tier moves (before review): {result.accounts_moving}")
    for move in result.moves.itertuples():
        print(f"  {move.before} -> {move.after}: {move.accounts}")
    print("\n" + result.segments.to_string())
    print(f"\ngovernance checks under {candidate.version}:")
    for name, assessment in result.grades.items():
        grade = assessment.grade
        said = grade.rule if grade.level == "good" else explain(name, assessment)
        print(f"  {name}: {grade.level} ({said})")
    return 0


def framework_adopt(candidate_file: str, months: str | None) -> int:
    """Make a candidate framework the deployed one, then re-score and regenerate the docs
    in a fresh process that loads it (code versions, run tags and snapshots agree)."""
    import subprocess

    _home()
    from segmentation_pipeline.defs.framework_change import adopt_file, adoption_target
    from segmentation_pipeline.defs.partitions import FRAMEWORK_VERSION

    target = adoption_target()
    chosen = _months(months)
    _require_scored(chosen)  # before the file is adopted: a refused command changes nothing
    candidate = adopt_file(candidate_file, FRAMEWORK_VERSION, target)
    print(f"adopted {candidate_file}: framework {FRAMEWORK_VERSION} -> {candidate.version}")
    print(f"  the deployed file is now {target}")
    if not os.environ.get("SEGMENTATION_FRAMEWORK"):
        print(f"  (loaded while SEGMENTATION_HOME={os.environ['SEGMENTATION_HOME']})")
    print("  reload the running code location (dg dev: restart; UI: Deployment > Reload)")
    command = [sys.executable, "-m", "segmentation_pipeline.cli", "backfill"]
    if chosen:
        command += ["--months", ",".join(m[:7] for m in chosen)]
    return subprocess.run(command, check=False).returncode


def sample(out: str, n: int, seed: int) -> int:
    from segmentation_pipeline.sample_data import write_sample_crm

    data = write_sample_crm(out, n_accounts=n, seed=seed)
    print(
        f"wrote {len(data.accounts)} accounts, {len(data.usage)} usage rows, "
        f"{len(data.firmographics)} firmographic rows to {out}"
    )
    return 0


MONTH = r"\d{4}-(0[1-9]|1[0-2])"  # YYYY-MM


def _month(text: str) -> str:
    if not re.fullmatch(MONTH, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month as YYYY-MM")
    return text


def _month_list(text: str) -> str:
    for month in text.split(","):
        _month(month.strip())
    return text


class _OutlivesReader:
    """A standard stream that outlives its reader. `segmentation-pipeline run | head -3`
    closes the pipe while the command still has lines to print, before the run as well
    (the abandoned runs it marks failed); a BrokenPipeError there stopped the night before
    it ran, and after it printed a traceback. The first write that finds the reader gone
    points the stream's file descriptor at os.devnull (the Python docs' "Note on SIGPIPE",
    which also keeps the interpreter's last flush quiet) and the command carries on, its
    output discarded: the run, its alerts and its run state are those of a read run."""

    def __init__(self, stream):
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self._gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # a stream without a descriptor
            pass

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


class SettingsError(ValueError):
    """An environment variable or argument the command cannot work with; the message
    names it."""


def _check_settings() -> None:
    """What every command but `sample` needs before it starts: a home it can write, a
    warehouse it can reach, a first month it can read, a framework file it can load. Each
    failure is one line naming the variable or the file (the warehouse URL with its
    password masked), not a traceback later. Nothing is written until every check has
    passed: a refused setting leaves no home and no empty warehouse file behind."""
    import sqlalchemy as sa

    from segmentation_pipeline.defs.alerts import ALERT_URLS
    from segmentation_pipeline.defs.resources import (
        WAREHOUSE_URL_ENV,
        crm_kind,
        shown_url,
        warehouse_url,
    )
    from segmentation_pipeline.framework.loader import deployed_framework_path, load_framework

    home = Path(os.environ.get("SEGMENTATION_HOME", ".segmentation"))
    try:
        crm_kind()
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    for name in ALERT_URLS:
        # A URL httpx cannot send to fails every delivery, found only when an alert is due.
        if (value := os.environ.get(name, "").strip()) and not re.match(r"https?://[^/\s]", value):
            raise SettingsError(f"{name}: not an http(s) URL (its value is a secret, not shown)")
    first = os.environ.get("SEGMENTATION_FIRST_MONTH")
    if first and not re.fullmatch(f"{MONTH}(-01)?", first):
        raise SettingsError(f"SEGMENTATION_FIRST_MONTH: {first!r} is not a month (YYYY-MM)")
    # The file the code location loads: a typo is refused before the home is written to.
    load_framework(deployed_framework_path())
    url = warehouse_url()
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SettingsError(f"{WAREHOUSE_URL_ENV}: not a usable SQLAlchemy URL ({why})") from None
    try:
        _check_warehouse(engine, home)
    except sa.exc.DBAPIError as exc:
        why = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise SettingsError(
            f"{WAREHOUSE_URL_ENV}: cannot connect to {shown_url(url)} ({why})"
        ) from None
    except OSError as exc:
        raise SettingsError(
            f"{WAREHOUSE_URL_ENV}: cannot create {shown_url(url)} ({exc.strerror})"
        ) from None
    finally:
        engine.dispose()
    # Last, so that a refused command leaves no home behind it either.
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"SEGMENTATION_HOME: cannot create {home} ({exc.strerror})") from None


def _check_warehouse(engine, home: Path) -> None:
    """A warehouse the command can read and write. Connecting to a SQLite file that does
    not exist creates it, so a new one is not opened here, only its folder checked: a
    command refused later (a framework typo, a month never scored) then leaves no empty
    warehouse file behind, and the run creates it when it first writes."""
    import sqlalchemy as sa

    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        file = Path(database)
        if not file.exists():
            folder = file.parent.resolve()
            if folder == home.resolve() and not folder.exists():
                return  # the home, created once every check has passed
            if not folder.is_dir():
                raise FileNotFoundError(errno.ENOENT, f"no folder {folder}")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, f"cannot write in {folder}")
            return
    with engine.connect() as conn:
        sa.inspect(conn).get_table_names()  # a read: a warehouse locked by another fails


def _config_errors() -> tuple[type[Exception], ...]:
    """The project's own errors for a configuration that cannot be used: their message
    names the file and the field, so they are printed alone, never as a traceback."""
    from segmentation_pipeline.framework.loader import FrameworkError
    from segmentation_pipeline.io.vendors import ProviderConfigError

    return (FrameworkError, ProviderConfigError, SettingsError)


def _command(args: argparse.Namespace) -> int:
    if args.command == "run":
        return run(args.month, args.verbose)
    if args.command == "backfill":
        return backfill(args.months)
    if args.command == "framework" and args.action == "preview":
        return framework_preview(args.file, args.month)
    if args.command == "framework":
        return framework_adopt(args.file, args.months)
    return sample(args.out, args.n, args.seed)


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 the run failed (EXIT_FAILED), 2 it could not start (EXIT_CONFIG).

    A reader that goes away (`run | head -3`) changes none of them: the exit code is the
    only word a scheduler or a `set -o pipefail` script gets about the night, and a reader
    that stopped reading does not make a successful run a failed one. So not Python's 1
    nor the shell's 141 (128 + SIGPIPE) of a command killed by its reader."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _OutlivesReader(sys.stdout), _OutlivesReader(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout.flush()  # what is still buffered, while a gone reader is still caught
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="segmentation-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run the nightly job for a month (default: this month)")
    run_p.add_argument("--month", type=_month, help="snapshot month as YYYY-MM")
    run_p.add_argument(
        "--verbose", action="store_true", help="print every Dagster event line of the run"
    )
    backfill_p = sub.add_parser(
        "backfill", help="re-score months scored with an older framework (no CRM call)"
    )
    backfill_p.add_argument(
        "--months", type=_month_list, help="comma-separated YYYY-MM (default: every stale one)"
    )
    framework_p = sub.add_parser(
        "framework", help="change the framework: preview a candidate file, then adopt it"
    )
    framework_sub = framework_p.add_subparsers(dest="action", required=True)
    preview_p = framework_sub.add_parser(
        "preview", help="a stored month re-scored with FILE: tier moves, segments, checks"
    )
    preview_p.add_argument("file")
    preview_p.add_argument("--month", type=_month, help="YYYY-MM (default: this month)")
    adopt_p = framework_sub.add_parser(
        "adopt", help="make FILE the deployed framework, re-score months, regenerate docs"
    )
    adopt_p.add_argument("file")
    adopt_p.add_argument(
        "--months", type=_month_list, help="comma-separated YYYY-MM (default: every stale one)"
    )
    sample_p = sub.add_parser("sample", help="write a messy sample CRM export")
    sample_p.add_argument("--out", required=True)
    sample_p.add_argument("--n", type=int, default=1500)
    sample_p.add_argument("--seed", type=int, default=20261101)
    args = parser.parse_args(argv)
    pd.set_option("display.width", 120)
    try:
        if args.command != "sample":
            _check_settings()
        return _command(args)
    except _config_errors() as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
