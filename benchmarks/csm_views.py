"""Benchmark the csm_views step on its own: a first night, then a night when a small
share of the accounts changed (the usual case), through the asset's own code.

    python benchmarks/csm_views.py --n 200000 --owners 12 --changed 0.01
    python benchmarks/csm_views.py --n 200000 --owners 1000 --changed 0.001

Accounts are spread over `--owners` owners (a few big books by default, ~80k accounts
each at 940k; 1,000 owners is nearer the service models' accounts per CSM). The accounts
carry an explanation detail, an owner name and a contract end date. The second night
edits ARR on half the changed share, moves a tenth of it to another owner, and replaces
the rest with new accounts (as many removed). Prints the CPU and wall time of the
frames, the render + write of each night and the bytes written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reports import first_snapshot  # noqa: E402

from segmentation_pipeline.core.csm_views import CSM_VIEW_COLUMNS, view_settings  # noqa: E402
from segmentation_pipeline.defs.assets.reports import (  # noqa: E402
    _csm_frames,
    write_csm_views,
)
from segmentation_pipeline.framework import load_framework  # noqa: E402

MONTH = "2026-03-01"
EXTRA_COLUMNS = 27  # segment_assignments carries ~45 columns; the views read 12


def assignments(rng: np.random.Generator, n: int, owners: int) -> pd.DataFrame:
    frame = first_snapshot(rng, n)
    frame["owner_id"] = np.char.add("005U", rng.integers(0, owners, n).astype(str))
    pending = rng.random(n) < 0.02
    frame["transition_status"] = np.where(pending, "pending", None)
    frame["transition_from"] = np.where(pending, "Tier 2", None)
    frame["transition_to"] = np.where(pending, "Tier 1", None)
    frame["explanation_detail"] = frame["explanation"] + " | " + frame["explanation"]
    frame["owner_name"] = np.char.add("CSM ", frame["owner_id"].to_numpy(dtype=str))
    frame["contract_end_date"] = pd.Timestamp(MONTH) + pd.to_timedelta(
        rng.integers(0, 730, n), unit="D"
    )
    for i in range(EXTRA_COLUMNS):
        frame[f"extra_{i}"] = rng.random(n) if i % 2 else "x"
    return frame


def changed_night(
    rng: np.random.Generator, frame: pd.DataFrame, share: float, owners: int
) -> pd.DataFrame:
    frame = frame.copy()
    n = len(frame)
    edited = rng.choice(n, int(n * share / 2), replace=False)
    frame.loc[edited, "arr"] = frame.loc[edited, "arr"] * 1.1
    moved = rng.choice(n, int(n * share / 10), replace=False)
    frame.loc[moved, "owner_id"] = np.char.add(
        "005U", rng.integers(0, owners, len(moved)).astype(str)
    )
    gone = rng.choice(n, int(n * share * 0.4), replace=False)
    kept = frame.drop(index=gone)
    new = assignments(rng, len(gone), owners)
    new["account_id"] = np.char.add("001N", new["account_id"].str[4:].to_numpy())
    return pd.concat([kept, new], ignore_index=True)


def timed(label: str, fn, *args):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    print(
        f"  {label:<34} {time.perf_counter() - start:7.2f} s wall "
        f"{time.process_time() - cpu:7.2f} s cpu",
        flush=True,
    )
    return result


def night(label: str, folder: Path, frame: pd.DataFrame) -> None:
    print(label)
    accounts, book = timed("frames (_csm_frames)", _csm_frames, frame, CSM_VIEW_COLUMNS)
    settings = view_settings(load_framework(), MONTH, pd.Timestamp(MONTH))
    files = timed("render + write", write_csm_views, folder, accounts, book, settings)
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(f"  {files} files, {size / 1e6:,.0f} MB in the folder")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--owners", type=int, default=12)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    first = assignments(rng, args.n, args.owners)
    second = changed_night(rng, first, args.changed, args.owners)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "csm"
        night(f"first night ({len(first):,} accounts)", folder, first)
        night(f"{args.changed:.0%} changed ({len(second):,} accounts)", folder, second)
    return 0


if __name__ == "__main__":
    sys.exit(main())
