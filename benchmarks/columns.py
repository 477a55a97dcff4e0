"""Benchmark: the whole-column helpers of `core.columns` against what pandas and Arrow do
alone, on a million rows, so each helper's lines are kept only where they earn them.

    python benchmarks/columns.py --n 1000000 --out benchmarks/results/columns.json

Figures are CPU seconds, best of --repeat. With --engines, the same set logic done by
Polars and DuckDB (each from the pandas columns to a numpy answer, as a caller would use
it), when they are installed: they are not dependencies of the pipeline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout

from segmentation_pipeline.core import columns  # noqa: E402


def best(repeat: int, work, *args) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work(*args)
        times.append(time.process_time() - start)
    return round(min(times), 4)


def report(result: dict, out: str) -> None:
    """Print the figures and write them as JSON to `out`."""
    text = json.dumps(result, indent=2)
    print(text)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/columns.json")
    parser.add_argument("--engines", action="store_true", help="also time Polars and DuckDB")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    labels = np.array(["Tier 1", "Tier 2", "Tier 3", "Unsegmented", None], dtype=object)
    few = pd.Series(labels[rng.integers(0, len(labels), args.n)], dtype=object)  # shared objects
    few_str = few.astype("str")
    ids = pd.Series([f"001{i:015d}" for i in range(args.n)], dtype="str")
    probe = ids.sample(frac=0.5, random_state=1).reset_index(drop=True)
    hashes = rng.integers(-(2**62), 2**62, args.n)
    known = hashes[rng.integers(0, args.n, args.n // 2)]
    mapping = pd.Series(np.arange(args.n, dtype=float), index=ids)
    r = args.repeat

    def arrow_codes(values: pd.Series) -> np.ndarray:
        encoded = pc.dictionary_encode(pa.array(values, from_pandas=True))
        return pc.fill_null(encoded.indices, -1).to_numpy()

    result = {
        "benchmark": "columns",
        "rows": args.n,
        "factorize_object_few": {
            "columns.factorize": best(r, columns.factorize, few),
            "pd.factorize": best(r, pd.factorize, few),
            "arrow dictionary_encode": best(r, arrow_codes, few),
        },
        "factorize_str_few": {
            "columns.factorize": best(r, columns.factorize, few_str),
            "pd.factorize": best(r, pd.factorize, few_str),
        },
        "member_of_ids": {
            "columns.member_of": best(r, columns.member_of, probe, ids),
            "Series.isin": best(r, probe.isin, ids),
        },
        "isin_hashes": {
            "columns.isin_by_hash": best(r, columns.isin_by_hash, hashes, known),
            "np.isin": best(r, np.isin, hashes, known),
        },
        "map_by_key": {
            "columns.map_by_key": best(r, columns.map_by_key, probe, mapping),
            "Series.map": best(r, probe.map, mapping),
        },
        "account_index_find": {
            "AccountIndex(ids).find": best(r, lambda: columns.AccountIndex(ids).find(probe)),
            "pd.Index(ids).get_indexer": best(r, lambda: pd.Index(ids).get_indexer(probe)),
        },
    }
    if args.engines:
        result["engines"] = engines(r, probe, ids, hashes, known)
    report(result, args.out)


def engines(r: int, probe: pd.Series, ids: pd.Series, hashes, known) -> dict:
    """member_of, isin_by_hash and AccountIndex.find done by Polars and DuckDB."""
    import duckdb
    import polars as pl

    def pl_member() -> np.ndarray:
        return pl.from_pandas(probe).is_in(pl.from_pandas(ids)).to_numpy()

    def pl_hashes() -> np.ndarray:
        return pl.Series(hashes).is_in(pl.Series(known)).to_numpy()

    def pl_find() -> np.ndarray:
        left = pl.DataFrame({"k": pl.from_pandas(probe)})
        right = pl.DataFrame({"k": pl.from_pandas(ids)}).with_row_index("at")
        found = left.join(right, on="k", how="left", maintain_order="left")["at"]
        return found.fill_null(-1).to_numpy()

    con = duckdb.connect()

    def duck(query: str) -> np.ndarray:
        left = pa.table({"k": pa.array(probe, from_pandas=True)})
        right = pa.table({"k": pa.array(ids, from_pandas=True)})
        con.register("l", left)
        con.register("r", right)
        return con.sql(query).fetchnumpy()["m"]

    member = (
        "SELECT coalesce(k IN (SELECT k FROM r), false) AS m "
        "FROM (SELECT k, row_number() OVER () AS i FROM l) ORDER BY i"
    )
    find = (
        "SELECT coalesce(r.at, -1) AS m FROM (SELECT k, row_number() OVER () AS i FROM l) AS l "
        "LEFT JOIN (SELECT k, row_number() OVER () - 1 AS at FROM r) AS r USING (k) ORDER BY i"
    )
    return {
        "member_of_ids": {"polars is_in": best(r, pl_member), "duckdb IN": best(r, duck, member)},
        "isin_hashes": {"polars is_in": best(r, pl_hashes)},
        "account_index_find": {
            "polars left join": best(r, pl_find),
            "duckdb left join": best(r, duck, find),
        },
    }


if __name__ == "__main__":
    main()
