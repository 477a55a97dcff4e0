"""Benchmark the reports: every report table, the dashboard and the CSM views on a
synthetic base of N accounts over several monthly snapshots.

    python benchmarks/reports.py --n 1000000 --months 3 --out benchmarks/results/reports.json

Each month churns ~1.5% of accounts, adds ~2% new ones, moves ARR and re-tiers a few; a
contract end date inside the month marks ~1% as lapsed. It prints the wall time of every
step on the last month (what a nightly run pays), its CPU time (steadier than wall time
on a shared machine), the load average and the process's peak RSS, and writes them as
JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmentation_pipeline.core.csm_views import (  # noqa: E402
    account_cells,
    iter_csm_view_files,
    view_settings,
)
from segmentation_pipeline.core.dashboard import dashboard_html  # noqa: E402
from segmentation_pipeline.core.docs import render_documents  # noqa: E402
from segmentation_pipeline.core.reports import (  # noqa: E402
    arr_by_segment,
    csm_accounts,
    csm_book,
    customer_activity,
    customers_by_segment,
    health_by_segment,
    migration_matrix,
    segment_retention,
    shift_month,
)
from segmentation_pipeline.core.reports.capacity import csm_capacity  # noqa: E402
from segmentation_pipeline.core.reports.outliers import outliers  # noqa: E402
from segmentation_pipeline.core.reports.product_lines import segment_product_lines  # noqa: E402
from segmentation_pipeline.core.reports.sub_segments import sub_segment_distribution  # noqa: E402
from segmentation_pipeline.framework import load_framework  # noqa: E402
from segmentation_pipeline.io.report_files import write_folder  # noqa: E402

SEGMENTS = np.array(["Tier 1", "Tier 2", "Tier 3", "Unsegmented"])
LABELS = {"Tier 1": "Enterprise", "Tier 2": "Mid-Market", "Tier 3": "SMB"}
MODELS = {"Tier 1": "High-Touch", "Tier 2": "Low-Touch", "Tier 3": "Tech-Touch"}
INDUSTRIES = np.array(
    [
        "Software",
        "Financial Services",
        "Healthcare",
        "Manufacturing",
        "Retail",
        "Logistics",
        "Media",
        "Energy",
        "Education",
        "Unknown",
    ]
)
REGIONS = np.array(["NA", "EMEA", "APAC", "LATAM"])


def first_snapshot(rng: np.random.Generator, n: int) -> pd.DataFrame:
    ids = np.char.add("001B", np.char.zfill(np.arange(n).astype(str), 11))
    composite = np.clip(rng.normal(3.0, 0.8, n), 1, 5).round(2)
    segment = np.where(composite >= 4, "Tier 1", np.where(composite >= 2.5, "Tier 2", "Tier 3"))
    segment = np.where(rng.random(n) < 0.03, "Unsegmented", segment)
    frame = pd.DataFrame(
        {
            "account_id": ids,
            "name": np.char.add("Company ", np.arange(n).astype(str)),
            "owner_id": np.char.add("005U", rng.integers(0, max(1, n // 200), n).astype(str)),
            "segment": segment,
            "arr": np.where(segment == "Unsegmented", np.nan, rng.lognormal(10.4, 1.0, n)),
            "industry": rng.choice(INDUSTRIES, n),
            "region": rng.choice(REGIONS, n),
            "composite_score": composite,
            "behavioral_score": np.clip(rng.normal(3, 1, n), 1, 5).round(2),
            "at_risk": rng.random(n) < 0.04,
            "provisional": rng.random(n) < 0.02,
            "status": "segmented",
        }
    )
    return _derived(frame)


def _derived(frame: pd.DataFrame) -> pd.DataFrame:
    frame["tier_label"] = frame["segment"].map(LABELS)
    frame["service_model_label"] = frame["segment"].map(MODELS)
    frame["country_code"] = frame["region"].map(
        {"NA": "US", "EMEA": "DE", "APAC": "JP", "LATAM": "BR"}
    )
    frame["company_size_band"] = "Mid-Market"
    frame["arr_tier"] = "Mid-Market"
    frame["explanation"] = (
        frame["segment"]
        + ": composite "
        + frame["composite_score"].astype(str)
        + " = 0.25xF + 0.4xB + 0.35xV; value 4 (ARR $50K, Multi-year), behavioral 3, "
        "firmographic 4"
    )
    return frame


def next_snapshot(rng: np.random.Generator, prev: pd.DataFrame, serial: int) -> pd.DataFrame:
    n = len(prev)
    kept = prev[rng.random(n) >= 0.015].copy()
    kept["arr"] = kept["arr"] * rng.choice([1.0, 1.1, 0.9], len(kept), p=[0.9, 0.06, 0.04])
    moved = rng.random(len(kept)) < 0.02
    kept.loc[moved, "segment"] = rng.choice(SEGMENTS[:3], int(moved.sum()))
    new = first_snapshot(rng, int(n * 0.02))
    new["account_id"] = np.char.add(f"001N{serial}", new["account_id"].str[4:].to_numpy())
    return _derived(
        pd.concat([kept, new], ignore_index=True).drop(
            columns=[
                "tier_label",
                "service_model_label",
                "country_code",
                "company_size_band",
                "arr_tier",
                "explanation",
            ]
        )
    )


def contracts(rng: np.random.Generator, snapshot: pd.DataFrame, month: str) -> pd.DataFrame:
    start = pd.Timestamp(month)
    days = rng.integers(-700, 700, len(snapshot))
    ends = start + pd.to_timedelta(days, unit="D")
    lapse = rng.random(len(snapshot)) < 0.01
    ends = np.where(lapse, start + pd.Timedelta(days=10), ends)
    return pd.DataFrame(
        {
            "account_id": snapshot["account_id"],
            "contract_end_date": pd.to_datetime(ends).strftime("%Y-%m-%d"),
        }
    )


class Timer:
    def __init__(self, verbose: bool = True) -> None:
        self.steps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.verbose = verbose

    def run(self, name, fn, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn(*args, **kwargs)
        self.steps[name] = round(time.perf_counter() - start, 3)
        self.cpu[name] = round(time.process_time() - cpu, 3)
        if self.verbose:
            print(
                f"  {name:<28} {self.steps[name]:8.3f} s wall {self.cpu[name]:8.3f} s cpu",
                flush=True,
            )
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", default="benchmarks/results/reports.json")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    framework = load_framework()
    breakdowns = list(framework.reporting.breakdowns)

    start = time.perf_counter()
    months = [shift_month("2026-01-01", i) for i in range(args.months)]
    snapshots = [first_snapshot(rng, args.n)]
    for i in range(1, args.months):
        snapshots.append(next_snapshot(rng, snapshots[-1], i))
    generate_s = time.perf_counter() - start
    print(
        f"generated {args.months} months, {len(snapshots[-1]):,} accounts in the last "
        f"({generate_s:.1f} s)"
    )

    timer = Timer()
    tables: dict[str, list[pd.DataFrame]] = {"customers": [], "arr": [], "retention": []}
    previous_activity = None
    for i, (month, snap) in enumerate(zip(months, snapshots, strict=True)):
        last = i == len(months) - 1
        t = timer if last else Timer(verbose=False)
        if last:
            print(f"month {month} ({len(snap):,} accounts):")
        tables["customers"].append(
            t.run("customers_by_segment", customers_by_segment, snap, breakdowns).assign(
                snapshot_month=month
            )
        )
        tables["arr"].append(
            t.run("arr_by_segment", arr_by_segment, snap, breakdowns).assign(snapshot_month=month)
        )
        activity = t.run(
            "customer_activity", customer_activity, snap, month, contracts(rng, snap, month)
        )
        if previous_activity is not None:
            tables["retention"].append(
                t.run(
                    "segment_retention", segment_retention, previous_activity, activity, breakdowns
                ).assign(snapshot_month=month)
            )
        previous_activity = activity
    last = snapshots[-1]
    usage = pd.DataFrame(
        {"account_id": last["account_id"], "nps": rng.integers(-100, 100, len(last)).astype(float)}
    )
    timer.run("health_by_segment", health_by_segment, last, usage, breakdowns)
    if len(snapshots) > 1:
        timer.run("migration_matrix", migration_matrix, snapshots[-2], last)
    reporting = framework.reporting
    timer.run("outliers", outliers, last, framework.tiers, reporting.outliers)
    models = {t.name: t.service_model for t in framework.tiers}  # the snapshots carry it
    served = last.assign(service_model=last["segment"].map(models))
    timer.run("csm_capacity", csm_capacity, served, framework.service_models)
    timer.run("sub_segments", sub_segment_distribution, last, reporting.sub_segments)
    lines = usage.assign(product="Core Platform", product_arr=last["arr"])
    timer.run("segment_product_lines", segment_product_lines, last, lines)
    accounts = timer.run("csm_accounts", csm_accounts, last)
    book = timer.run("csm_book", csm_book, accounts)
    settings = view_settings(framework, months[-1], pd.Timestamp(months[-1]))
    cells = timer.run("csm_views (cells)", account_cells, accounts, settings)
    with tempfile.TemporaryDirectory() as folder:
        # Rendered and written an owner at a time, as the csm_views asset does.
        written = timer.run(
            "csm_views (render + write)",
            write_folder,
            Path(folder) / "csm",
            iter_csm_view_files(cells, book, settings),
        )
        csm_bytes = sum(path.stat().st_size for path in written)
    page = timer.run(
        "dashboard_html",
        dashboard_html,
        pd.concat(tables["customers"]),
        pd.concat(tables["arr"]),
        pd.concat(tables["retention"]) if tables["retention"] else pd.DataFrame(),
        segment_order=["Tier 1", "Tier 2", "Tier 3"],
        labels=LABELS,
    )
    timer.run("framework docs", render_documents, framework)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "n": args.n,
        "months": args.months,
        "accounts_last_month": len(last),
        "owners": int(book["owner_id"].nunique()),
        "steps_s": timer.steps,
        "steps_cpu_s": timer.cpu,
        "reports_wall_s": round(sum(timer.steps.values()), 3),
        "reports_cpu_s": round(sum(timer.cpu.values()), 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "generate_s": round(generate_s, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "dashboard_bytes": len(page),
        "csm_views_bytes": csm_bytes,
    }
    print(
        f"reports for the last month: {result['reports_wall_s']:.1f} s wall, "
        f"{result['reports_cpu_s']:.1f} s cpu (load {result['load_average_1m']}); peak RSS "
        f"{peak_mb:,.0f} MB; dashboard {len(page) / 1e6:.1f} MB; CSM views "
        f"{csm_bytes / 1e6:,.0f} MB for {result['owners']:,} owners"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
