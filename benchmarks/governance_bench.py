"""How long governance takes at scale: every check's assessment, drift between two months,
the framework-change impact report, and storing alerts.

    python benchmarks/governance_bench.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.drift import measure_drift
from segmentation_pipeline.core.governance import (
    assess_concentration,
    assess_duplicate_rate,
    assess_enrichment_coverage,
    assess_key_field_completeness,
    assess_min_accounts_per_segment,
    assess_operationalized_segments,
    assess_segment_coverage,
    assess_tier_distribution,
)
from segmentation_pipeline.core.impact import impact_report
from segmentation_pipeline.framework import load_framework
from segmentation_pipeline.io.alert_store import AlertStore
from segmentation_pipeline.io.alerts import Alert


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enriched accounts and their assignments, with realistic gaps and tiers."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("A", np.arange(n).astype(str))
    composite = np.clip(rng.normal(3.0, 0.8, n), 1, 5).round(2)
    segment = np.where(composite >= 4, "Tier 1", np.where(composite >= 2.5, "Tier 2", "Tier 3"))
    segment = np.where(rng.random(n) < 0.03, "Unsegmented", segment)
    industries = np.array(["Software", "Retail", "Media", "Unknown", None], dtype=object)
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "name": np.char.add("Company ", np.arange(n).astype(str)),
            "industry": industries[rng.integers(0, 5, n)],
            "employees": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 5000, n)),
            "arr": np.where(segment == "Unsegmented", np.nan, rng.integers(1000, 300000, n)),
            "country_code": np.where(rng.random(n) < 0.05, None, "US"),
        }
    )
    models = {"Tier 1": "high_touch", "Tier 2": "low_touch", "Tier 3": "tech_touch"}
    assignments = pd.DataFrame(
        {
            "account_id": ids,
            "name": accounts["name"],
            "segment": segment,
            "composite_score": composite,
            "service_model": pd.Series(segment).map(models),
            "unsegmented_reason": np.where(segment == "Unsegmented", "missing_arr", None),
        }
    )
    return accounts, assignments


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(n: int, alerts: int) -> dict:
    fw = load_framework()
    gov = fw.governance
    accounts, month_1 = synthetic(n, seed=1)
    before = accounts.assign(industry=accounts["industry"].where(np.arange(n) % 3 != 0))
    _, month_2 = synthetic(n, seed=2)
    audit = pd.DataFrame({"account_id": [f"D{i}" for i in range(n // 20)], "survivor_id": "A1"})
    fields = ["industry", "employees", "country_code"]
    checks = {
        "key_field_completeness": lambda: assess_key_field_completeness(accounts, gov),
        "enrichment_coverage": lambda: assess_enrichment_coverage(
            before, accounts, fields, gov.enrichment_coverage
        ),
        "duplicate_rate": lambda: assess_duplicate_rate(accounts, audit, gov.duplicate_rate),
        "segment_coverage": lambda: assess_segment_coverage(month_1, gov.segment_coverage),
        "concentration": lambda: assess_concentration(month_1, gov.concentration_max),
        "tier_distribution": lambda: assess_tier_distribution(month_1, gov.tier_distribution),
        "min_accounts": lambda: assess_min_accounts_per_segment(
            month_1, gov.min_accounts_per_segment
        ),
        "operationalized": lambda: assess_operationalized_segments(
            month_1, gov.operationalized_segments
        ),
    }
    seconds = {name: round(timed(fn), 4) for name, fn in checks.items()}
    seconds["all_checks"] = round(sum(seconds.values()), 4)
    seconds["drift"] = round(timed(lambda: measure_drift(month_1, month_2, fw.monitoring.drift)), 4)
    seconds["impact_report"] = round(timed(lambda: impact_report(month_1, month_2)), 4)
    with tempfile.TemporaryDirectory() as tmp:
        store = AlertStore(sa.create_engine(f"sqlite:///{Path(tmp) / 'w.sqlite'}"))
        batch = [Alert(f"k{i}", "drift", "warning", f"t{i}", "x", {"i": i}) for i in range(alerts)]
        seconds[f"store_{alerts}_alerts"] = round(timed(lambda: store.record(batch, ["log"])), 4)
        seconds[f"dedupe_{alerts}_known_alerts"] = round(
            timed(lambda: store.record(batch, ["log"])), 4
        )
    return {"accounts": n, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--out", default="benchmarks/results/governance.json")
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        result = bench(n, args.alerts)
        results.append(result)
        s = result["seconds"]
        print(
            f"{n:>9,} accounts: all checks {s['all_checks']:.3f}s, drift {s['drift']:.3f}s, "
            f"impact {s['impact_report']:.3f}s"
        )
    stored = results[-1]["seconds"][f"store_{args.alerts}_alerts"]
    print(f"{args.alerts} alerts stored in {stored}s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": platform.platform(), "python": platform.python_version(), "runs": results}
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
