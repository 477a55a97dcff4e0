"""Benchmark: what giving merged duplicates' usage to their survivors changes on a
generated export, and what it costs.

    python benchmarks/survivorship.py --n 20000

Generates the sample CRM (`sample_data.generate_sample_crm`), standardizes and
deduplicates it, then scores the survivors on the usage as exported (a duplicate's rows
match no survivor) and on the usage given to survivors (`core.merged_usage`).
Prints the survivors scored "no usage data: median" either way, the segments that
differ, the multi-account survivors left without ARR by an unreadable member, and the
wall time of `survivor_usage`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmentation_pipeline.core.assignment import assign_segments  # noqa: E402
from segmentation_pipeline.core.dedup import deduplicate  # noqa: E402
from segmentation_pipeline.core.merged_usage import survivor_usage  # noqa: E402
from segmentation_pipeline.core.scoring import score_accounts, standardize_usage  # noqa: E402
from segmentation_pipeline.core.standardize import standardize_accounts  # noqa: E402
from segmentation_pipeline.framework import load_framework  # noqa: E402
from segmentation_pipeline.sample_data import SAMPLE_AS_OF, generate_sample_crm  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    fw = load_framework()
    options = {} if args.seed is None else {"seed": args.seed}
    sample = generate_sample_crm(n_accounts=args.n, **options)
    result = deduplicate(standardize_accounts(sample.accounts, fw), fw)
    survivors, usage = result.survivors, standardize_usage(sample.usage)
    started = time.perf_counter()
    given = survivor_usage(usage, result.audit, fw.dedup)
    seconds = time.perf_counter() - started
    as_of = pd.Timestamp(SAMPLE_AS_OF)
    before = score_accounts(survivors, usage, fw, as_of)
    after = score_accounts(survivors, given, fw, as_of)
    segments = [assign_segments(survivors, s, fw, None, as_of)["segment"] for s in (before, after)]
    unreadable = survivors["arr_reason"].astype(str).str.startswith("duplicate_") | (
        survivors["arr_reason"].notna()
        & survivors["arr_reason"].ne("missing")
        & survivors["duplicate_count"].gt(0)
    )
    print(
        f"{len(sample.accounts)} accounts -> {len(survivors)} survivors, {len(result.audit)} folded"
    )
    print(
        "survivors scored 'no usage data: median': "
        f"{int(before['behavioral_fallback'].notna().sum())} before, "
        f"{int(after['behavioral_fallback'].notna().sum())} after"
    )
    print(f"segments that differ: {int((segments[0] != segments[1]).sum())}")
    print(f"multi-account survivors without ARR (unreadable member): {int(unreadable.sum())}")
    print(f"survivor_usage: {seconds:.3f} s on {len(usage)} usage rows")


if __name__ == "__main__":
    main()
