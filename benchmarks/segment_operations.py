"""Benchmark: what `segment_operations` reads and computes on a 1%-changed night.

    python benchmarks/segment_operations.py --n 300000 [--url postgresql://...]

Builds a synthetic warehouse (one open history row per account, a review queue of about
0.59 rows per account as in the 940k benchmark, most of it closed) and tonight's
assignments, in which 1% of the accounts change segment and a few queue rows close or
open. Then times, best of --repeat:

* the full path (before): the whole queue, `update_queue`, the open history rows,
  `history_changes`;
* the narrow path (now): `SegmentStore.queue_update` (pending ids, counts, full rows
  only for what closes), the open rows of the columns `history_changes` compares;

and checks that both give the same changed rows, counts and history changes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout

from segmentation_pipeline.core import transitions as tr  # noqa: E402
from segmentation_pipeline.core.history import (  # noqa: E402
    HistoryChanges,
    history_changes,
    history_reads,
)
from segmentation_pipeline.framework import load_framework  # noqa: E402
from segmentation_pipeline.io.segment_store import SegmentStore  # noqa: E402

TIERS = ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]
MODELS = {"Tier 1": "high_touch", "Tier 2": "low_touch", "Tier 3": "tech_touch"}
BEFORE, TONIGHT = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")


def build(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(open history rows, stored queue, tonight's assignments)."""
    rng = np.random.default_rng(seed)
    ids = pd.Series([f"001{i:012d}" for i in range(n)], dtype=object)
    segment = rng.choice(TIERS, n)
    status = rng.choice(["segmented", "provisional", "unsegmented"], n, p=[0.9, 0.07, 0.03])
    history = pd.DataFrame(
        {
            "history_id": ids + "@" + BEFORE.isoformat(),
            "account_id": ids,
            "segment": segment,
            "status": status,
            "service_model": pd.Series(segment).map(MODELS).to_numpy(dtype=object),
            "unsegmented_reason": np.where(status == "unsegmented", "missing_arr", None),
            "framework_version": "2026.1",
            "composite_score": rng.uniform(0, 5, n).round(3),
            "explanation": "why",
            "run_id": "r0",
            "valid_from": BEFORE,
            "valid_to": pd.NaT,
            "is_current": True,
        }
    )
    # The queue: 0.59 rows per account; pending rows on distinct accounts.
    q = int(n * 0.59)
    queue_status = rng.choice(["applied", "withdrawn", "rejected", "pending"], q,
                              p=[0.7, 0.2, 0.03, 0.07])  # fmt: skip
    accounts = rng.integers(0, n, q)
    pending = np.flatnonzero(queue_status == "pending")
    accounts[pending] = rng.choice(n, len(pending), replace=False)
    src, dst = rng.choice(TIERS, q), rng.choice(TIERS, q)
    queue = pd.DataFrame(
        {
            "transition_id": [f"{ids[a]}|{s}->{d}|{k}" for k, (a, s, d) in
                              enumerate(zip(accounts, src, dst, strict=True))],
            "account_id": ids.to_numpy()[accounts],
            "from_segment": src,
            "to_segment": dst,
            "direction": np.where(src < dst, "downgrade", "upgrade"),
            "status": queue_status,
            "applied_by": np.where(queue_status == "applied", "grace", None),
            "decided_by": None,
            "opened_at": BEFORE - pd.Timedelta(days=30),
            "closed_at": np.where(queue_status == "pending", pd.NaT, BEFORE),
            "opened_run_id": "r-1",
            "closed_run_id": np.where(queue_status == "pending", None, "r0"),
            "composite_score": rng.uniform(0, 5, q).round(3),
        }
    )  # fmt: skip
    queue["closed_at"] = pd.to_datetime(queue["closed_at"])

    # Tonight: 1% change segment; pending rows carry on, except 2% applied, 1% dropped.
    tonight = history.drop(columns=["history_id", "run_id", "valid_from", "valid_to"])
    tonight = tonight.drop(columns=["is_current"])
    moved = rng.random(n) < 0.01
    tonight.loc[moved, "segment"] = rng.choice(TIERS, int(moved.sum()))
    for column in ("transition_id", "transition_from", "transition_to",
                   "transition_direction", "transition_status", "transition_rule",
                   "decided_by"):  # fmt: skip
        tonight[column] = pd.Series(None, index=tonight.index, dtype=object)
    carried = queue.iloc[pending]
    fate = rng.random(len(carried))
    carried = carried[fate >= 0.01]
    rows = ids.index[carried["account_id"].map(dict(zip(ids, ids.index, strict=True)))]
    tonight.loc[rows, "transition_id"] = carried["transition_id"].to_numpy()
    tonight.loc[rows, "transition_from"] = carried["from_segment"].to_numpy()
    tonight.loc[rows, "transition_to"] = carried["to_segment"].to_numpy()
    tonight.loc[rows, "transition_direction"] = carried["direction"].to_numpy()
    applied = fate[fate >= 0.01] < 0.03
    tonight.loc[rows, "transition_status"] = np.where(applied, "applied", "pending")
    tonight.loc[rows, "transition_rule"] = np.where(applied, "grace", None)
    fresh = np.flatnonzero(moved & tonight["transition_id"].isna().to_numpy())[::3]
    tonight.loc[fresh, "transition_id"] = (
        ids[fresh] + "|Tier 2->Tier 1|" + TONIGHT.isoformat()
    ).to_numpy()
    tonight.loc[fresh, "transition_from"] = "Tier 2"
    tonight.loc[fresh, "transition_to"] = "Tier 1"
    tonight.loc[fresh, "transition_direction"] = "upgrade"
    tonight.loc[fresh, "transition_status"] = "pending"
    return history, queue, tonight


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - started)
    return round(min(times), 3), out


def full_path(store: SegmentStore, tonight: pd.DataFrame, fw) -> dict:
    timings = {}
    started = time.perf_counter()
    stored = store.transitions()
    timings["queue_read"] = time.perf_counter() - started
    started = time.perf_counter()
    queue, changed = tr.update_queue(stored, tonight, TONIGHT, "r1")
    summary = tr.QueueUpdate.of(queue, changed)
    counts, preview = summary.status_counts, summary.pending_preview
    timings["queue_compute"] = time.perf_counter() - started
    started = time.perf_counter()
    open_rows = store.open_history(history_reads(fw))
    timings["history_read"] = time.perf_counter() - started
    started = time.perf_counter()
    history = history_changes(open_rows, tonight, fw, TONIGHT, "r1")
    timings["history_compute"] = time.perf_counter() - started
    out = {"changed": changed, "row_count": len(queue), "counts": counts, "preview": preview}
    return {"timings": timings, "history": history} | out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", default=None, help="a warehouse URL (default: SQLite file)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    url = args.url or f"sqlite:///{tempfile.mkdtemp(prefix='segops-')}/warehouse.sqlite"
    engine = sa.create_engine(url)
    store = SegmentStore(engine)
    fw = load_framework()
    history, queue, tonight = build(args.n, args.seed)
    with engine.begin() as conn:
        from segmentation_pipeline.io.segment_store import _METADATA

        _METADATA.drop_all(conn)
    store.write(HistoryChanges(history.iloc[:0][["history_id"]], history, 0), queue)
    print(f"built: {args.n} accounts, {len(queue)} queue rows "
          f"({int((queue['status'] == 'pending').sum())} pending)", flush=True)  # fmt: skip

    result: dict = {"n": args.n, "queue_rows": len(queue), "url": url.split(":")[0]}
    for name, path in [("full", full_path)] + EXTRA_PATHS:
        runs = [path(store, tonight, fw) for _ in range(args.repeat)]
        best = {k: round(min(r["timings"][k] for r in runs), 3) for k in runs[0]["timings"]}
        best["total"] = round(min(sum(r["timings"].values()) for r in runs), 3)
        result[name] = best
        print(name, best, flush=True)
        result.setdefault("_outputs", {})[name] = runs[-1]
    outputs = result.pop("_outputs")
    if "narrow" in outputs:
        result["same_results"] = same(outputs["full"], outputs["narrow"])
        print("same results:", result["same_results"])
    full = outputs["full"]
    print("changed rows:", len(full["changed"]), "history closed/opened:",
          len(full["history"].closed), len(full["history"].opened))  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


def narrow_path(store: SegmentStore, tonight: pd.DataFrame, fw) -> dict:
    timings = {}
    started = time.perf_counter()
    update = store.queue_update(tonight, TONIGHT, "r1")
    timings["queue"] = time.perf_counter() - started
    started = time.perf_counter()
    open_rows = store.open_history(history_reads(fw))
    timings["history_read"] = time.perf_counter() - started
    started = time.perf_counter()
    history = history_changes(open_rows, tonight, fw, TONIGHT, "r1")
    timings["history_compute"] = time.perf_counter() - started
    out = {"changed": update.changed, "row_count": update.row_count}
    out |= {"counts": update.status_counts, "preview": update.pending_preview}
    return {"timings": timings, "history": history} | out


EXTRA_PATHS: list = [("narrow", narrow_path)]


def same(full: dict, narrow: dict) -> bool:
    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values("transition_id").reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(full["changed"]), rows(narrow["changed"]))
    preview = ["transition_id", "account_id", "from_segment", "to_segment", "opened_at"]
    pd.testing.assert_frame_equal(
        full["preview"][preview].reset_index(drop=True), narrow["preview"][preview]
    )
    for part in ("closed", "opened"):
        pd.testing.assert_frame_equal(
            getattr(full["history"], part), getattr(narrow["history"], part)
        )
    assert full["history"].stale_accounts == narrow["history"].stale_accounts
    assert full["counts"] == narrow["counts"] and full["row_count"] == narrow["row_count"]
    return True


if __name__ == "__main__":
    raise SystemExit(main())
