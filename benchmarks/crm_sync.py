"""Extraction and write-back of N accounts against the local Salesforce server.

Measures, through the production client (simple-salesforce over TLS, via the proxy):
full extraction by REST paging and by a Bulk API 2.0 query job, an incremental read
after 1% of accounts changed, write-back of every account through one Bulk ingest job,
write-back of a slice through sObject Collections, and a re-run with nothing changed.
Prints the figures and writes them as JSON.

    python benchmarks/crm_sync.py --n 100000 --out benchmarks/results/crm_sync.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation_pipeline.io.salesforce import (
    ExtractSettings,
    SalesforceAccountSource,
    SalesforceClient,
    SalesforceSettings,
)
from segmentation_pipeline.io.salesforce.sync import SegmentSync, SyncSettings
from segmentation_pipeline.local_servers.salesforce_api import LocalSalesforce

INDUSTRIES = ["Software", "Healthcare", "Manufacturing", "Retail", "Financial Services"]
TIERS = ["Tier 1", "Tier 2", "Tier 3"]
MODELS = {"Tier 1": "High-Touch", "Tier 2": "Low-Touch", "Tier 3": "Tech-Touch"}


def accounts(n: int, rng: np.random.Generator) -> list[dict]:
    arr = np.round(rng.lognormal(10.4, 0.9, n), 2)
    employees = rng.integers(3, 20000, n)
    industry = rng.choice(INDUSTRIES, n)
    return [
        {
            "Name": f"Company {i}",
            "Website": f"https://company{i}.example.com",
            "Industry": industry[i],
            "NumberOfEmployees": int(employees[i]),
            "ARR__c": float(arr[i]),
            "BillingCountry": "US",
        }
        for i in range(n)
    ]


def assignments(ids: list[str], rng: np.random.Generator) -> pd.DataFrame:
    score = np.round(rng.uniform(1, 5, len(ids)), 2)
    segment = np.where(score >= 4, "Tier 1", np.where(score >= 2.5, "Tier 2", "Tier 3"))
    return pd.DataFrame(
        {
            "account_id": ids,
            "segment": segment,
            "service_model_label": [MODELS[s] for s in segment],
            "composite_score": score,
            "provisional": False,
            "at_risk": score < 2,
            "explanation": [f"composite {s:.2f}" for s in score],
            "framework_version": "2026.1",
            "segment_override": False,
            "status": "segmented",
        }
    )


def timed(label: str, fn, results: dict, records_of=len) -> object:
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    records = records_of(out)
    results[label] = {
        "seconds": round(seconds, 3),
        "records": records,
        "records_per_second": round(records / seconds, 1) if seconds else None,
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--collections-n", type=int, default=10_000)
    parser.add_argument("--out", default="benchmarks/results/crm_sync.json")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    results: dict = {}

    with LocalSalesforce() as server:
        server.api.daily_api_limit = 10_000_000
        start = time.perf_counter()
        ids = server.org.insert_many("Account", accounts(args.n, rng))
        load_seconds = time.perf_counter() - start
        settings = SalesforceSettings(
            **server.password_login(),
            bulk_poll_seconds=0.05,
            timeout_seconds=600,
        )

        def extract(threshold: int, since=None):
            client = SalesforceClient(settings)
            source = SalesforceAccountSource(
                client, ExtractSettings(derive_signals=False, bulk_query_threshold=threshold)
            )
            result = source.read_accounts(since)
            return result, client.usage.calls

        for label, threshold in (("extract_rest", args.n + 1), ("extract_bulk", 1)):
            (extract_result, calls) = timed(
                label, lambda t=threshold: extract(t), results, lambda r: len(r[0].accounts)
            )
            results[label]["api_calls"] = calls
        mark = extract_result.high_water_mark

        changed = rng.choice(args.n, max(1, args.n // 100), replace=False)
        for i in changed:
            server.org.touch("Account", ids[i], {"Name": f"Changed {i}"})
        (delta, calls) = timed(
            "extract_incremental_1pct",
            lambda: extract(10_000, mark),
            results,
            lambda r: len(r[0].accounts),
        )
        results["extract_incremental_1pct"]["api_calls"] = calls

        wanted = assignments(ids, rng)

        def write(frame: pd.DataFrame, threshold: int):
            client = SalesforceClient(settings)
            syncer = SegmentSync(
                client, SyncSettings(bulk_threshold=threshold, bulk_query_threshold=10_000)
            )
            return syncer.run(frame)

        report = timed("write_bulk_all", lambda: write(wanted, 2000), results, lambda r: r.sent)
        results["write_bulk_all"] |= {
            "api_calls": report.api_calls,
            "path": report.write_path,
            "succeeded": report.succeeded,
        }
        subset = wanted.head(args.collections_n).assign(segment="Tier 3", explanation="re-scored")
        subset["service_model_label"] = "Tech-Touch"
        report = timed(
            "write_collections_subset",
            lambda: write(subset, args.collections_n + 1),
            results,
            lambda r: r.sent,
        )
        results["write_collections_subset"] |= {
            "api_calls": report.api_calls,
            "path": report.write_path,
            "succeeded": report.succeeded,
        }
        server.api.clear_log()
        report = timed(
            "rerun_nothing_changed", lambda: write(subset, 2000), results, lambda r: r.sent
        )
        results["rerun_nothing_changed"] |= {
            "api_calls": report.api_calls,
            "write_requests": server.api.count("PATCH") + server.api.count("POST", "/jobs/ingest"),
        }

    summary = {
        "n_accounts": args.n,
        "org_load_seconds": round(load_seconds, 2),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "results": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
