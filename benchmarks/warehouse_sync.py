"""Writing a month's segment snapshots into the warehouse with `sync_partition`.

N rows shaped like `segment_snapshots` (46 columns: ids, labels, scores, flags, two long
explanation texts), keys in no particular order, as the pipeline writes them: first into
an empty warehouse (a full run), then again after 1% of the rows changed (a night). Prints
the CPU seconds of each and the indexes the table ends up with, and writes them as JSON.

    python benchmarks/warehouse_sync.py --n 1000000 --out benchmarks/results/warehouse_sync.json
    python benchmarks/warehouse_sync.py --n 100000 --warehouse-url postgresql://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.warehouse import Warehouse

TABLE, MONTH = "bench_segment_snapshots", "2026-12-01"


def snapshot_rows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = np.array([f"001A{i:011d}" for i in rng.permutation(n)], dtype=object)
    tiers = rng.choice(["Tier 1", "Tier 2", "Tier 3"], n)
    columns = {"account_id": ids, "name": [f"Company {i}" for i in range(n)]}
    for name in ("owner_id", "industry", "country_code", "region", "arr_tier", "status"):
        columns[name] = rng.choice([f"{name}-{k}" for k in range(12)], n).astype(object)
    for name in ("computed_segment", "segment", "current_tier", "crm_tier"):
        columns[name] = tiers
    for k in range(12):
        columns[f"score_{k}"] = np.round(rng.uniform(0, 5, n), 2)
    for k in range(8):
        columns[f"flag_{k}"] = rng.random(n) < 0.1
    for k in range(10):
        columns[f"label_{k}"] = np.where(rng.random(n) < 0.5, None, f"label {k}")
    scores = columns["score_0"].astype(str)
    columns["explanation"] = np.char.add(f"{'why ' * 35}score ", scores).astype(object)
    columns["explanation_detail"] = np.char.add(f"{'detail ' * 46}", scores).astype(object)
    return pd.DataFrame(columns)


def timed_sync(warehouse: Warehouse, rows: pd.DataFrame) -> tuple[float, dict]:
    start = time.process_time()
    sync = warehouse.sync_partition(TABLE, rows, "snapshot_month", MONTH, ["account_id"])
    seconds = round(time.process_time() - start, 2)
    return seconds, {"written": sync.written, "deleted": sync.deleted}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--warehouse-url", help="default: a fresh SQLite file")
    parser.add_argument("--out", default="benchmarks/results/warehouse_sync.json")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    rows = snapshot_rows(args.n, rng)
    with tempfile.TemporaryDirectory() as folder:
        warehouse = Warehouse(args.warehouse_url or f"sqlite:///{folder}/warehouse.sqlite")
        with warehouse.engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {TABLE}"))
        first, first_rows = timed_sync(warehouse, rows)
        changed = rng.choice(args.n, args.n // 100, replace=False)
        rows.loc[changed, "score_1"] = rows.loc[changed, "score_1"] + 1
        night, night_rows = timed_sync(warehouse, rows)
        indexes = [i["column_names"] for i in sa.inspect(warehouse.engine).get_indexes(TABLE)]
        with warehouse.engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {TABLE}"))
        warehouse.dispose()
    report = {
        "n": args.n,
        "warehouse": warehouse.engine.dialect.name,
        "first_write_cpu_s": first,
        "first_write": first_rows,
        "night_cpu_s": night,
        "night": night_rows,
        "indexes": indexes,
    }
    print(json.dumps(report, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
