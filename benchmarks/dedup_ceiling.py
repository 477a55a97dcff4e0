"""How much of a labelled base any matcher could resolve: the recall a person would reach
who merges only on evidence, and the F1 that recall allows at precision 0.99.

    python benchmarks/dedup_ceiling.py --n 100000 --generator independent
    python benchmarks/dedup_ceiling.py --accounts accounts.csv --truth truth.csv

Both generators make some duplicates that carry no evidence a person could act on: a
rebranded company under a new name and domain, seen again with neither its old phone
nor its old domain; a "Summit Group" that moved to another city and shows no phone or
domain, in a base with twenty other Summit Groups. Judging a matcher against recall 1.0
on such data asks it to guess. This script counts, within each true entity, the pairs a
person could join, and joins them transitively (a person who links A-B and B-C has A-C).

A pair of records of one entity is *decidable* when they share
* a domain label (acme.com / acme.de) or a phone number, or
* a name at least 85% alike (rapidfuzz ratio of the compact name keys) that is either
  held by one company only in the base (the matcher's own count of companies per name,
  which it estimates from domains and phones) or written in the same city.

Nested names ("Norvex" / "Norvex Logistics") with no shared identifier are not
decidable: the independent generator makes subsidiaries exactly that way. The *loose*
ceiling also counts them, and any pair whose first name word agrees, as an upper bound.
The definition uses the pipeline's standardization (to read the fields as the matcher
reads them), not its matcher: rapidfuzz judges the names.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from segmentation_pipeline.core.dedup.clustering import connected_components  # noqa: E402
from segmentation_pipeline.core.dedup.keys import MatchKeys, match_keys  # noqa: E402
from segmentation_pipeline.core.standardize import standardize_accounts  # noqa: E402
from segmentation_pipeline.framework import load_framework  # noqa: E402

SIMILAR_NAME = 85.0
TARGET_PRECISION = 0.99


def true_pairs(entity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of rows that belong to one entity."""
    order = np.argsort(entity, kind="stable")
    sorted_entity = entity[order]
    starts = np.flatnonzero(np.r_[True, sorted_entity[1:] != sorted_entity[:-1]])
    ends = np.r_[starts[1:], len(order)]
    left, right = [], []
    for start, end in zip(starts, ends, strict=True):
        rows = order[start:end]
        for i in range(len(rows) - 1):
            left.append(np.full(len(rows) - i - 1, rows[i]))
            right.append(rows[i + 1 :])
    if not left:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(left), np.concatenate(right)


def decidable(keys: MatchKeys, left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    """Per pair: decidable by a person (strict) and by the loose upper bound."""

    def shared(values: np.ndarray) -> np.ndarray:
        return (values[left] >= 0) & (values[left] == values[right])

    identifier = shared(keys.domain_label) | shared(keys.phone)
    a, b = keys.compact[left], keys.compact[right]
    named = (a != "") & (b != "")
    alike = named & (process.cpdist(a, b, scorer=fuzz.ratio, workers=-1) >= SIMILAR_NAME)
    one_company = (keys.name_companies[left] <= 1) & (keys.name_companies[right] <= 1)
    first_word = np.array(
        [
            bool(one) and bool(other) and one.split()[0] == other.split()[0]
            for one, other in zip(keys.name[left], keys.name[right], strict=True)
        ],
        dtype=bool,
    )
    strict = identifier | (alike & (one_company | shared(keys.city)))
    return {"strict": strict, "loose": identifier | alike | first_word}


def reachable_pairs(n: int, left: np.ndarray, right: np.ndarray) -> int:
    """Pairs of rows joined by a chain of the given links."""
    sizes = np.bincount(connected_components(n, left, right), minlength=n)
    return int((sizes * (sizes - 1) // 2).sum())


def ceiling(accounts: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """The ceilings of a raw export (Salesforce columns) and its truth (Id, entity_id)."""
    return standardized_ceiling(standardize_accounts(accounts, load_framework(None)), truth)


def standardized_ceiling(standardized: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """The ceilings of accounts as `standardize_accounts` gives them."""
    entity_of = truth.set_index("Id")["entity_id"]
    entity = pd.factorize(entity_of.reindex(standardized["account_id"]).to_numpy())[0]
    keys = match_keys(standardized)
    left, right = true_pairs(entity)
    result: dict = {"accounts": len(standardized), "true_pairs": len(left)}
    for name, links in decidable(keys, left, right).items():
        recall = reachable_pairs(len(entity), left[links], right[links]) / max(len(left), 1)
        f1 = 2 * TARGET_PRECISION * recall / (TARGET_PRECISION + recall)
        result[f"{name}_recall_ceiling"] = round(recall, 4)
        result[f"{name}_f1_ceiling_at_p99"] = round(f1, 4)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, help="generate this many accounts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--generator", choices=("messy", "independent"), default="messy")
    parser.add_argument("--accounts", type=Path, help="accounts CSV (Salesforce columns)")
    parser.add_argument("--truth", type=Path, help="truth CSV with columns Id,entity_id")
    args = parser.parse_args(argv)
    if args.accounts and args.truth:
        accounts = pd.read_csv(
            args.accounts, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow"
        )
        truth = pd.read_csv(args.truth, dtype=str)
    elif args.n:
        if args.generator == "messy":
            from messy_accounts import generate
        else:
            from independent_accounts import generate
        data = generate(args.n, seed=args.seed)
        accounts, truth = data.accounts, data.truth
    else:
        parser.error("give --n, or --accounts and --truth")
    result = ceiling(accounts, truth)
    for key, value in result.items():
        print(f"{key:<28}  {value}")
    return result


if __name__ == "__main__":
    main()
