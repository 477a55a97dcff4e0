"""The whole asset graph on N accounts, then a night on which 1% of them changed.

    python benchmarks/end_to_end.py --n 1000000 --out result.json
    python benchmarks/end_to_end.py --accounts accounts.csv [--usage usage.csv] --out result.json
    python benchmarks/end_to_end.py --n 100000 --warehouse-url postgresql://postgres@127.0.0.1/test

Runs `segmentation_job` for one month through `defs.execution.run_nightly_job` (the
CLI's runner: Dagster's `execute_job` with the in-process executor, as a deployed run
executes, not `execute_in_process`, which keeps every output in memory), inside a child
process of its own (so its peak memory is the pipeline's, not the generator's), started
with the allocator settings the image sets (`segmentation_pipeline.allocator_env`; leave
them out with --no-allocator-env), on the embedded defaults
(file CRM, offline firmographics, SQLite warehouse, Dagster's filesystem IO manager) or on
the PostgreSQL warehouse given by --warehouse-url (in a fresh schema, dropped afterwards).
Then it edits --changed-share of the accounts (0: none; new ARR, some new owners, a later
SystemModstamp) and runs the same month again, as the next night would. The month is the
open one (its as-of is the moment of each run, so the second run is a later night); a
closed month (`--month 2026-11-01`) has one as-of for every run, and its second run is a
re-run that first undoes what the first one wrote to the review queue and the history.
Prints and writes per step: wall time (split into loading inputs, computing, storing the
output), CPU time and peak RSS; per run: wall, CPU, peak RSS and the load average (CPU time
is the figure to trust on a shared machine); and, before the runs, `machine_speed.py`'s
figures, so runs on different machines can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout

from machine_speed import reference_figures  # noqa: E402
from synthetic_crm import change_accounts, generate_crm  # noqa: E402

from segmentation_pipeline.allocator_env import ALLOCATOR_ENV, with_allocator_env  # noqa: E402

BUDGET_WALL_S = 300.0
BUDGET_RSS_MB = 6 * 1024.0
RERUN_SHARE_OF_BUDGET = 0.2
MIB = 1024 * 1024


class RssSampler(threading.Thread):
    """Samples this process's RSS so each step's peak can be read off its time window.

    Where Linux allows it, each sample is the kernel's own high-water mark since the last
    one (VmHWM, reset by writing 5 to /proc/self/clear_refs), so a spike between samples
    is not missed and samples can be few; elsewhere it is the RSS at the moment (psutil).
    An earlier version polled psutil every 50 ms, which took about 2 s of GIL time from a
    70 s run it was measuring."""

    def __init__(self, interval_s: float = 0.1):
        super().__init__(daemon=True)
        self.interval_s, self.samples, self._stopped = interval_s, [], threading.Event()
        self._process = psutil.Process()
        self._high_water = _high_water_resettable()

    def _rss_mb(self) -> float:
        if self._high_water:
            with open("/proc/self/status", "rb") as status:
                line = next(line for line in status if line.startswith(b"VmHWM:"))
            peak_kb = int(line.split()[1])
            with open("/proc/self/clear_refs", "wb") as refs:
                refs.write(b"5")
            return peak_kb / 1024
        return self._process.memory_info().rss / MIB

    def run(self) -> None:
        while not self._stopped.is_set():
            times = os.times()
            self.samples.append((time.time(), self._rss_mb(), times.user + times.system))
            self._stopped.wait(self.interval_s)

    def stop(self) -> None:
        self._stopped.set()
        self.join()

    def peak(self, start: float = 0.0, end: float = float("inf")) -> float:
        # A sample holds the peak of the interval before it: the one after `end` counts.
        inside = [rss for t, rss, _ in self.samples if start <= t <= end + self.interval_s]
        return round(max(inside, default=0.0), 1)

    def cpu(self, start: float = 0.0, end: float = float("inf")) -> float:
        """CPU seconds (user + system) spent between two moments: unlike wall time, it
        does not grow when other processes share the cores."""
        inside = [cpu for t, _, cpu in self.samples if start <= t <= end]
        return round(inside[-1] - inside[0], 1) if len(inside) > 1 else 0.0


def _high_water_resettable() -> bool:
    """Whether this process may reset its own peak RSS (Linux 4.0 and later)."""
    try:
        with open("/proc/self/status", "rb") as status:
            if not any(line.startswith(b"VmHWM:") for line in status):
                return False
        with open("/proc/self/clear_refs", "wb") as refs:
            refs.write(b"5")
    except OSError:
        return False
    return True


def step_breakdown(instance, run_id: str, sampler: RssSampler) -> dict[str, dict]:
    """Per step: wall, input loading, compute, output storing (from the event log)."""
    steps: dict[str, dict] = {}
    for entry in instance.all_logs(run_id):
        event, key = entry.dagster_event, entry.step_key
        if event is None or key is None:
            continue
        step = steps.setdefault(key, {"loaded": [], "outputs": [], "handled": []})
        kind = event.event_type_value
        if kind == "STEP_START":
            step["start"] = entry.timestamp
        elif kind == "LOADED_INPUT":
            step["loaded"].append(entry.timestamp)
        elif kind == "STEP_OUTPUT":
            step["outputs"].append(entry.timestamp)
        elif kind == "HANDLED_OUTPUT":
            step["handled"].append(entry.timestamp)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            step["end"], step["status"] = entry.timestamp, kind
    result = {}
    for key, s in sorted(steps.items(), key=lambda kv: kv[1].get("start", 0)):
        if "start" not in s or "end" not in s:
            continue
        load = (max(s["loaded"]) - s["start"]) if s["loaded"] else 0.0
        store = sum(h - o for o, h in zip(s["outputs"], s["handled"], strict=False))
        wall = s["end"] - s["start"]
        result[key] = {
            "wall_s": round(wall, 2),
            "load_inputs_s": round(load, 2),
            "compute_s": round(max(wall - load - store, 0.0), 2),
            "store_output_s": round(store, 2),
            "cpu_s": sampler.cpu(s["start"], s["end"]),
            "peak_rss_mb": sampler.peak(s["start"], s["end"]),
            "status": s["status"].removeprefix("STEP_").lower(),
        }
    return result


def run_job(instance, month: str, label: str) -> dict:
    from segmentation_pipeline.defs.execution import run_nightly_job

    sampler = RssSampler()
    sampler.start()
    started = time.time()
    result = run_nightly_job(
        instance, month, {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    )
    wall = time.time() - started
    sampler.stop()
    metadata: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        values = metadata.setdefault(event.asset_key.to_user_string(), {})
        for name, value in event.materialization.metadata.items():
            value = getattr(value, "value", value)
            if isinstance(value, int | float | str | bool) and name != "preview":
                values[name] = value
    figures = {
        "success": result.success,
        "wall_s": round(wall, 2),
        "cpu_s": sampler.cpu(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "peak_rss_mb": sampler.peak(),
        "assets": step_breakdown(instance, result.run_id, sampler),
        "extract": metadata.get("crm_accounts", {}),
        "warehouse_write": {
            k: v for k, v in metadata.get("warehouse_segments", {}).items() if k.startswith("rows_")
        },
    }
    print_run(label, figures)
    return figures


def print_run(label: str, figures: dict) -> None:
    print(
        f"\n{label}: {'ok' if figures['success'] else 'FAILED'}  wall {figures['wall_s']:.1f} s"
        f"  cpu {figures['cpu_s']:.1f} s  peak RSS {figures['peak_rss_mb']:.0f} MiB"
        f"  (load average {figures['load_average_1m']})"
    )
    print(
        f"  {'step':45s} {'wall':>7s} {'load':>6s} {'compute':>8s} {'store':>6s} {'cpu':>6s}"
        f" {'peak MiB':>9s}"
    )
    for key, s in figures["assets"].items():
        print(
            f"  {key:45s} {s['wall_s']:7.1f} {s['load_inputs_s']:6.1f} {s['compute_s']:8.1f} "
            f"{s['store_output_s']:6.1f} {s['cpu_s']:6.1f} {s['peak_rss_mb']:9.0f}  {s['status']}"
        )
    if figures["extract"]:
        shown = (
            "extract_mode",
            "rows_read_from_crm",
            "new_accounts",
            "updated_accounts",
            "deleted_accounts",
            "full_refresh_reason",
        )
        print("  extract: " + ", ".join(f"{k}={figures['extract'].get(k)}" for k in shown))
    if figures["warehouse_write"]:
        written = ", ".join(f"{k}={v}" for k, v in figures["warehouse_write"].items())
        print(f"  warehouse_segments: {written}")


def fresh_postgres_schema(url: str) -> tuple[str, str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", schema


def drop_postgres_schema(url: str, schema: str) -> None:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def over_budget(figures: dict, wall_budget: float) -> list[str]:
    notes = []
    if figures["wall_s"] > wall_budget:
        notes.append(f"wall {figures['wall_s']:.0f} s > {wall_budget:.0f} s")
    if figures["peak_rss_mb"] > BUDGET_RSS_MB:
        notes.append(f"peak {figures['peak_rss_mb']:.0f} MiB > {BUDGET_RSS_MB:.0f} MiB")
    return notes


def run_in_child(workdir: Path, args: argparse.Namespace, label: str) -> dict:
    """One job run in a fresh process, so its peak memory is the pipeline's alone. The
    files the previous run (or the data generator) wrote are flushed to disk first: a
    nightly run does not start while the last night's writes are still being written back."""
    os.sync()
    figures_file = workdir / f"{label.replace(' ', '_')}.json"
    command = [
        sys.executable,
        __file__,
        "--child-run",
        str(figures_file),
        "--workdir",
        str(workdir),
        "--month",
        args.month,
        "--label",
        label,
    ]
    if args.warehouse_url:
        command += ["--warehouse-url", args.warehouse_url]
    env = None if args.no_allocator_env else with_allocator_env()
    subprocess.run(command, check=True, env=env)
    return json.loads(figures_file.read_text())


def child_run(args: argparse.Namespace) -> int:
    """Run the job once on the data and state under --workdir, configured the way an
    operator configures it (environment variables), run the way a deployment runs it;
    write the figures."""
    workdir = Path(args.workdir)
    crm_folder = workdir / "crm"
    os.environ.update(
        {
            "SEGMENTATION_CRM_FOLDER": str(crm_folder),
            "SEGMENTATION_FIRMOGRAPHICS_FILE": str(crm_folder / "firmographics.csv"),
            "SEGMENTATION_WAREHOUSE_URL": args.warehouse_url,
            "SEGMENTATION_SNAPSHOT_DIR": str(workdir / "home" / "snapshots"),
            "SEGMENTATION_REPORTS_DIR": str(workdir / "home" / "reports"),
        }
    )
    import dagster as dg

    # No usage statistics from a benchmark: nothing it runs leaves this machine.
    with dg.DagsterInstance.local_temp(
        tempdir=str(workdir / "dagster"), overrides={"telemetry": {"enabled": False}}
    ) as instance:
        figures = run_job(instance, args.month, args.label)
    Path(args.child_run).write_text(json.dumps(figures, default=str))
    return 0 if figures["success"] else 1


def write_export(crm_folder: Path, args: argparse.Namespace) -> int:
    """Write accounts.csv, product_usage.csv and firmographics.csv; returns the account count."""
    if args.accounts:
        accounts = pd.read_csv(args.accounts, dtype=str, keep_default_na=False)
        usage = pd.read_csv(args.usage, dtype=str) if args.usage else None
        firmographics = pd.read_csv(args.firmographics) if args.firmographics else None
    else:
        sample = generate_crm(args.n, seed=args.seed)
        accounts, usage, firmographics = sample.accounts, sample.usage, sample.firmographics
    accounts.to_csv(crm_folder / "accounts.csv", index=False)
    if usage is not None:
        usage.to_csv(crm_folder / "product_usage.csv", index=False)
    if firmographics is None:
        firmographics = pd.DataFrame(
            columns=["domain", "industry", "employees", "annual_revenue", "country_code"]
        )
    firmographics.to_csv(crm_folder / "firmographics.csv", index=False)
    return len(accounts)


def edit_export(crm_folder: Path, share: float, seed: int, rename: bool = False) -> int:
    """A night's edits to the export on disk; returns how many accounts changed. With
    `rename`, each edited account's name changes too, so dedup cannot carry its clusters
    over (the benchmark's usual night leaves every match field alone)."""
    accounts = pd.read_csv(crm_folder / "accounts.csv", dtype=str, keep_default_na=False)
    edited, changed_ids = change_accounts(accounts, share, seed, datetime(2026, 11, 2))
    if rename:
        renamed = edited["Id"].isin(changed_ids)
        edited.loc[renamed, "Name"] = edited.loc[renamed, "Name"] + " Group"
    edited.to_csv(crm_folder / "accounts.csv", index=False)
    return len(changed_ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--n", type=int, default=100_000, help="accounts to generate")
    source.add_argument("--accounts", help="an accounts export (Salesforce field names)")
    parser.add_argument("--usage", help="product usage export for --accounts")
    parser.add_argument("--firmographics", help="offline firmographics file for --accounts")
    parser.add_argument("--out", default="benchmarks/results/end_to_end.json")
    parser.add_argument("--warehouse-url", help="run on this warehouse instead of SQLite")
    parser.add_argument(
        "--month",
        default=None,
        help="partition to run (default: the open month, as a nightly run does; a closed "
        "month's re-run replaces its own earlier effect, which is a backfill's cost)",
    )
    parser.add_argument("--changed-share", type=float, default=0.01)
    parser.add_argument("--no-rerun", action="store_true", help="skip the 1%%-changed re-run")
    parser.add_argument(
        "--nights",
        type=int,
        default=1,
        help="changed nights after the full run, each on fresh edits (later nights read "
        "state that earlier nights left in parts, as a deployment does)",
    )
    parser.add_argument(
        "--rename", action="store_true", help="the re-run's edits also rename the accounts"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-allocator-env",
        action="store_true",
        help="run without the image's allocator settings (segmentation_pipeline.allocator_env)",
    )
    parser.add_argument("--workdir", help="keep data and state here (default: a temp dir)")
    parser.add_argument("--child-run", help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="e2e-"))
    os.environ["SEGMENTATION_HOME"] = str(workdir / "home")
    if args.child_run:
        return child_run(args)
    if args.month is None:
        from segmentation_pipeline.defs.partitions import current_month_key

        args.month = current_month_key()

    crm_folder = workdir / "crm"
    crm_folder.mkdir(parents=True, exist_ok=True)
    (workdir / "dagster").mkdir(exist_ok=True)
    started = time.time()
    n = write_export(crm_folder, args)
    prepare_s = time.time() - started
    print(f"{n:,} accounts in {crm_folder} (prepared in {prepare_s:.1f} s)")
    reference = reference_figures()
    print("machine speed: " + ", ".join(f"{k} {v}" for k, v in reference.items()))
    started_with = with_allocator_env()
    allocator_env = {} if args.no_allocator_env else {k: started_with[k] for k in ALLOCATOR_ENV}
    print(f"runs start with: {allocator_env or 'no allocator settings'}")

    import dagster as dg

    warehouse_given, schema = args.warehouse_url, None
    if warehouse_given:
        args.warehouse_url, schema = fresh_postgres_schema(warehouse_given)
    else:
        args.warehouse_url = f"sqlite:///{workdir / 'home' / 'warehouse.sqlite'}"
    report: dict = {
        "n": n,
        "source": args.accounts or f"synthetic (seed {args.seed})",
        "warehouse": "postgresql" if schema else "sqlite",
        "month": args.month,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "dagster": dg.__version__,
            "reference": reference,
        },
        "allocator_env": allocator_env,
        "prepare_data_s": round(prepare_s, 2),
    }
    try:
        full = run_in_child(workdir, args, "full run")
        report.update(
            {
                k: full[k]
                for k in (
                    "success",
                    "wall_s",
                    "cpu_s",
                    "load_average_1m",
                    "peak_rss_mb",
                    "assets",
                    "extract",
                    "warehouse_write",
                )
            }
        )
        report["over_budget"] = over_budget(full, BUDGET_WALL_S)
        if not args.no_rerun:
            changed = edit_export(crm_folder, args.changed_share, args.seed + 1, args.rename)
            rerun = run_in_child(workdir, args, f"re-run after {changed} accounts changed")
            rerun["changed_accounts"] = changed
            rerun["over_budget"] = over_budget(rerun, BUDGET_WALL_S * RERUN_SHARE_OF_BUDGET)
            report["rerun"] = rerun
            for night in range(2, args.nights + 1):
                changed = edit_export(
                    crm_folder, args.changed_share, args.seed + night, args.rename
                )
                later = run_in_child(workdir, args, f"night {night} after {changed} changed")
                later["changed_accounts"] = changed
                report.setdefault("later_nights", []).append(later)
    finally:
        if schema:
            drop_postgres_schema(warehouse_given, schema)
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    report["budget"] = {
        "full_wall_s": BUDGET_WALL_S,
        "rerun_wall_s": BUDGET_WALL_S * RERUN_SHARE_OF_BUDGET,
        "peak_rss_mb": BUDGET_RSS_MB,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    print()
    for label, figures in (("full run", report), ("re-run", report.get("rerun"))):
        if figures is not None:
            verdict = "; ".join(figures["over_budget"]) or "within budget"
            print(f"{label}: {verdict}")
    print(f"wrote {out}")
    runs = [report, report.get("rerun", report), *report.get("later_nights", [])]
    return 0 if all(r["success"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
