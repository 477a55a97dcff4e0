"""Benchmark: CPU seconds of `standardize_accounts` alone on N messy accounts.

    python benchmarks/standardize.py --n 200000
    python benchmarks/standardize.py --n 1000000 --profile 25

The accounts come from benchmarks/messy_accounts.py as all-text columns, read back from
CSV the way benchmarks/dedup.py reads them (so columns are Arrow strings in chunks).
`cpu_s` is process CPU time (time.process_time): on a shared machine it moves far less
than wall time. `--profile K` prints the K costliest calls by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()

    from messy_accounts import generate

    from segmentation_pipeline.core.standardize import standardize_accounts
    from segmentation_pipeline.framework import load_framework

    framework = load_framework()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accounts.csv"
        generate(args.n, args.seed).accounts.to_csv(path, index=False)
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow")
    profile = cProfile.Profile() if args.profile else None
    cpu_started, started = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    standardize_accounts(raw, framework)
    if profile:
        profile.disable()
    result = {
        "n": args.n,
        "cpu_s": round(time.process_time() - cpu_started, 2),
        "wall_s": round(time.perf_counter() - started, 2),
        "profiled": bool(profile),
    }
    print(json.dumps(result))
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
