"""Command line: run the pipeline on the embedded defaults, or write sample data.

`segmentation-pipeline run` executes the nightly job for a month in-process against a
persistent Dagster instance under SEGMENTATION_HOME, so `dagster dev` (with the same
DAGSTER_HOME) shows the run, its lineage and its check results afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd


def _prepare_home(home: Path) -> Path:
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or home / "dagster").resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def run(month: str | None) -> int:
    home = Path(os.environ.get("SEGMENTATION_HOME", ".segmentation")).resolve()
    os.environ["SEGMENTATION_HOME"] = str(home)
    dagster_home = _prepare_home(home)

    import dagster as dg

    from segmentation_pipeline.defs.execution import fail_abandoned_runs, run_nightly_job
    from segmentation_pipeline.defs.partitions import current_month_key

    partition = f"{month}-01" if month else current_month_key()
    with dg.DagsterInstance.get() as instance:
        for line in fail_abandoned_runs(instance):
            print(line, flush=True)
        result = run_nightly_job(instance, partition)
    print(
        f"\nrun {result.run_id}: {'SUCCESS' if result.success else 'FAILURE'} "
        f"(snapshot month {partition[:7]})"
    )
    for check in result.get_asset_check_evaluations():
        state = "passed" if check.passed else f"FAILED ({check.severity.value})"
        print(f"  check {check.asset_key.to_user_string()}:{check.check_name}: {state}")
    from segmentation_pipeline.definitions import default_resources
    from segmentation_pipeline.defs.assets.reports import ReportFiles
    from segmentation_pipeline.io.warehouse import Warehouse
    from segmentation_pipeline.io.warehouse_partitions import read_partition

    url = default_resources()["warehouse"].url
    if result.success:
        assignments = read_partition(
            Warehouse(url), "segment_snapshots", "snapshot_month", partition
        )
        summary = assignments.groupby("segment").agg(
            accounts=("account_id", "size"), arr=("arr", "sum")
        )
        print("\n" + summary.to_string(float_format=lambda v: f"{v:,.0f}"))
        print(f"\nstatus: {assignments['status'].value_counts().to_dict()}")
    tables = sorted(Warehouse(url).table_names()) if result.success else []
    print(f"\nwarehouse: {url}")
    if tables:
        print(f"  tables: {', '.join(tables)}")
    reports = Path(ReportFiles().folder)
    if reports.exists():
        print(f"reports: {reports}  (executive dashboard, CSM views, framework docs)")
    print(f"dagster home: {dagster_home}  (DAGSTER_HOME={dagster_home} dagster dev shows this run)")
    return 0 if result.success else 1


def backfill(months: str | None) -> int:
    """Re-score months scored with an older framework from their stored snapshots."""
    home = Path(os.environ.get("SEGMENTATION_HOME", ".segmentation")).resolve()
    os.environ["SEGMENTATION_HOME"] = str(home)
    _prepare_home(home)

    import dagster as dg

    from segmentation_pipeline.definitions import defs
    from segmentation_pipeline.defs.backfill import backfill_stale
    from segmentation_pipeline.framework import load_framework

    version = load_framework(os.environ.get("SEGMENTATION_FRAMEWORK") or None).version
    chosen = [f"{m.strip()}-01" for m in months.split(",")] if months else None
    with dg.DagsterInstance.get() as instance:
        return 0 if backfill_stale(defs, instance, version, chosen) else 1


def sample(out: str, n: int, seed: int) -> int:
    from segmentation_pipeline.sample_data import write_sample_crm

    data = write_sample_crm(out, n_accounts=n, seed=seed)
    print(
        f"wrote {len(data.accounts)} accounts, {len(data.usage)} usage rows, "
        f"{len(data.firmographics)} firmographic rows to {out}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="segmentation-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run the nightly job for a month (default: this month)")
    run_p.add_argument("--month", help="snapshot month as YYYY-MM")
    backfill_p = sub.add_parser(
        "backfill", help="re-score months scored with an older framework (no CRM call)"
    )
    backfill_p.add_argument("--months", help="comma-separated YYYY-MM (default: every stale one)")
    sample_p = sub.add_parser("sample", help="write a messy sample CRM export")
    sample_p.add_argument("--out", required=True)
    sample_p.add_argument("--n", type=int, default=1500)
    sample_p.add_argument("--seed", type=int, default=20261101)
    args = parser.parse_args(argv)
    pd.set_option("display.width", 120)
    if args.command == "run":
        return run(args.month)
    if args.command == "backfill":
        return backfill(args.months)
    return sample(args.out, args.n, args.seed)


if __name__ == "__main__":
    sys.exit(main())
