"""Benchmark: the bookkeeping a 1%-changed night does over the whole base, timed alone.

    python benchmarks/night_bookkeeping.py --n 1000000 --out result.json

The end-to-end re-run swings by 10 to 20% from one run to the next on a shared machine,
more than these pieces move it; timed alone (best of --repeat) they can be compared.
It writes N synthetic accounts to a CSV, reads them back through the file CRM as a night
does, folds them into a snapshot (`merge_extract`), then times:

* the standardization memo's key: `row_hashes` over every field (before) against
  `content_hashes`, which reuses the extract's ROW_HASH and hashes only the bookkeeping
  fields (now);
* finding the accounts that left since last night among `--n` held ids: a difference of
  two sets of Python strings (before) against `core.columns.absent_from`, an Arrow
  membership test (now), which enrichment calls.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout

from machine_speed import best_of  # noqa: E402
from synthetic_crm import generate_crm  # noqa: E402

from segmentation_pipeline.core.changes import (  # noqa: E402
    ROW_HASH,
    content_hashes,
    merge_extract,
    row_hashes,
)
from segmentation_pipeline.core.columns import absent_from  # noqa: E402
from segmentation_pipeline.defs.assets.extract import BOOKKEEPING_FIELDS  # noqa: E402
from segmentation_pipeline.io.crm import FileCrm  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/results/night_bookkeeping.json")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bookkeeping-"))
    generate_crm(args.n, seed=args.seed).accounts.to_csv(folder / "accounts.csv", index=False)
    extract = FileCrm(folder).read_accounts().accounts
    snapshot, _ = merge_extract(
        None, extract, key="Id", full_refresh=True, ignore=BOOKKEEPING_FIELDS
    )
    without_hash = snapshot.drop(columns=[ROW_HASH])

    held = snapshot["Id"].astype(str)
    current = held.iloc[len(held) // 100 :]  # 1% left the CRM

    def departed_by_sets() -> list[str]:
        return sorted(set(held) - set(current))

    def departed_by_arrow() -> list[str]:
        return absent_from(held, current)

    if departed_by_sets() != departed_by_arrow():
        raise SystemExit("the two ways of finding departed accounts disagree")
    figures = {
        "n": len(snapshot),
        "repeat": args.repeat,
        "memo_key_every_field_s": best_of(args.repeat, lambda: row_hashes(without_hash)),
        "memo_key_through_row_hash_s": best_of(
            args.repeat, lambda: content_hashes(snapshot, BOOKKEEPING_FIELDS)
        ),
        "departed_by_python_sets_s": best_of(args.repeat, departed_by_sets),
        "departed_by_arrow_s": best_of(args.repeat, departed_by_arrow),
    }
    for name, value in figures.items():
        print(f"{name:32s} {value}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
