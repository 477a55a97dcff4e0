"""Benchmark: scoring and segment assignment (with explanations) for N accounts.

Generates standardized accounts and a multi-product usage export with numpy (the
stages before scoring are not measured here), then times the real `score_accounts`
and `assign_segments` against a prior state with an open transition queue. Prints the
figures and writes them as JSON.

    python benchmarks/assignment.py --n 1000000 --out benchmarks/results/assignment.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

# Run from a checkout: import this checkout's package, not another installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segmentation_pipeline.core.assignment import assign_segments
from segmentation_pipeline.core.scoring import score_accounts
from segmentation_pipeline.core.transitions import PriorState, empty_decisions, empty_transitions
from segmentation_pipeline.framework import load_framework

AS_OF = datetime(2026, 11, 1)
INDUSTRIES = ["Software", "Healthcare", "Manufacturing", "Retail", "Government", "Unknown"]
COUNTRIES = ["US", "GB", "DE", "JP", "BR", None]
REGIONS = {"US": "NA", "GB": "EMEA", "DE": "EMEA", "JP": "APAC", "BR": "LATAM"}
TERMS = ["Multi-year", "Annual (renewing)", "Annual (new)", "Month-to-month", "Past due", None]
STRATEGIC = ["Named logo", "Industry influencer", "Standard", "Commodity", "true", None]
GROWTH = ["Growth", "Established", "Mature", "Early-stage", None]
TIERS = ["Tier 1", "Tier 2", "Tier 3", None]


def make_accounts(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.char.add("001B", np.char.zfill(np.arange(n).astype(str), 11))
    employees = np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(5.3, 1.5, n).round())
    arr = np.where(rng.random(n) < 0.03, np.nan, rng.lognormal(10.4, 1.0, n).round(2))
    country = rng.choice(np.array(COUNTRIES, dtype=object), n)
    arr_tier = np.select(
        [arr < 25_000, arr < 100_000, arr >= 100_000], ["SMB", "Mid-Market", "Enterprise"], None
    )
    return pd.DataFrame(
        {
            "account_id": ids,
            "name": np.char.add("Account ", np.arange(n).astype(str)),
            "owner_id": "005U00000000001",
            "industry": rng.choice(np.array(INDUSTRIES, dtype=object), n),
            "employees": employees,
            "arr": arr,
            "arr_reason": np.where(np.isnan(arr), "missing", None),
            "arr_tier": np.where(np.isnan(arr), None, arr_tier),
            "company_size_band": None,
            "country_code": country,
            "region": pd.Series(country).map(REGIONS).to_numpy(dtype=object),
            "created_date": pd.Timestamp(AS_OF, tz="UTC")
            - pd.to_timedelta(rng.integers(1, 1500, n), unit="D"),
            "contract_term": rng.choice(np.array(TERMS, dtype=object), n),
            "contract_end_date": None,
            "expansion_pipeline": (arr * rng.choice([0, 0.1, 0.6, 1.2], n)).round(2),
            "strategic_importance": rng.choice(np.array(STRATEGIC, dtype=object), n),
            "growth_stage": rng.choice(np.array(GROWTH, dtype=object), n),
            "segment_override": rng.random(n) < 0.02,
            "crm_tier": rng.choice(np.array(TIERS, dtype=object), n),
            "duplicate_count": 0,
        }
    )


def make_usage(accounts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One 'Core Platform' row for 88% of accounts, an 'Analytics' row for a fifth."""
    core = accounts["account_id"].to_numpy()[rng.random(len(accounts)) < 0.88]
    addon = core[rng.random(len(core)) < 0.2]
    ids = np.concatenate([core, addon])
    n = len(ids)
    licensed = rng.integers(5, 500, n)
    return pd.DataFrame(
        {
            "account_id": ids,
            "product": np.where(np.arange(n) < len(core), "Core Platform", "Analytics"),
            "product_arr": np.where(np.arange(n) < len(core), np.nan, rng.integers(1000, 40000, n)),
            "logins_30d": rng.integers(0, 5000, n),
            "active_users": (licensed * rng.beta(2.5, 2, n)).astype(int),
            "licensed_users": licensed,
            "features_adopted": rng.integers(0, 20, n),
            "features_available": 20,
            "open_tickets": rng.poisson(1.5, n),
            "nps": np.where(rng.random(n) < 0.3, np.nan, rng.integers(-60, 90, n)),
            "onboarding_completion": rng.beta(4, 1.5, n).round(2),
            "engagement_score": np.nan,
        }
    )


def prior_state(accounts: pd.DataFrame, rng: np.random.Generator) -> PriorState:
    """An open queue for 5% of accounts and approvals for a fifth of those."""
    picked = accounts.sample(frac=0.05, random_state=1)
    queue = empty_transitions().reindex(range(len(picked)))
    queue["account_id"] = picked["account_id"].to_numpy()
    queue["transition_id"] = queue["account_id"] + "|old"
    queue["from_segment"] = picked["crm_tier"].to_numpy()
    queue["to_segment"] = "Tier 1"
    queue["status"] = "pending"
    queue["opened_at"] = pd.Timestamp("2026-10-01")
    decisions = empty_decisions().reindex(range(len(picked) // 5))
    decisions["account_id"] = picked["account_id"].to_numpy()[: len(decisions)]
    decisions["decision"] = "approved"
    decisions["decided_by"] = "cs-ops"
    decisions["decided_at"] = pd.Timestamp("2026-10-15")
    return PriorState(queue, decisions, pd.DataFrame(columns=["account_id", "status"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/assignment.json")
    args = parser.parse_args()
    framework = load_framework()
    rng = np.random.default_rng(20261101)
    accounts = make_accounts(args.n, rng)
    usage = make_usage(accounts, rng)
    state = prior_state(accounts, rng)

    wall: dict[str, list[float]] = {"score_accounts": [], "assign_segments": []}
    cpu: dict[str, list[float]] = {"score_accounts": [], "assign_segments": []}

    def timed(stage: str, work, *args):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = work(*args)
        wall[stage].append(time.perf_counter() - start)
        cpu[stage].append(time.process_time() - start_cpu)
        return value

    for _ in range(args.repeat):
        scores = timed("score_accounts", score_accounts, accounts, usage, framework, AS_OF)
        assignments = timed(
            "assign_segments", assign_segments, accounts, scores, framework, state, AS_OF
        )

    best = {k: min(v) for k, v in wall.items()}
    result = {
        "benchmark": "assignment",
        "accounts": args.n,
        "usage_rows": len(usage),
        "wall_seconds_best": {k: round(v, 3) for k, v in best.items()},
        "cpu_seconds_best": {k: round(min(v), 3) for k, v in cpu.items()},
        "wall_seconds_all": {k: [round(x, 3) for x in v] for k, v in wall.items()},
        "score_and_assign_wall_seconds": round(sum(best.values()), 3),
        "accounts_per_second": round(args.n / sum(best.values())),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "status_counts": assignments["status"].value_counts().to_dict(),
        "transition_status_counts": assignments["transition_status"].value_counts().to_dict(),
        "explanation_chars_mean": round(float(assignments["explanation"].str.len().mean()), 1),
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
    }
    print(json.dumps(result, indent=2))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
