"""Benchmark: standardize + deduplicate N messy accounts; pairwise precision / recall / F1,
wall time and peak memory.

    python benchmarks/dedup.py --n 100000 --out result.json
    python benchmarks/dedup.py --n 100000 --generator independent
    python benchmarks/dedup.py --accounts accounts.csv --truth truth.csv --out result.json

With --n, each generator writes accounts and truth as CSV to a temporary folder:
`--generator both` (the default) runs benchmarks/messy_accounts.py, the project's own,
and benchmarks/independent_accounts.py, written apart with another error model;
`--generator crm` the end-to-end benchmark's CRM (benchmarks/synthetic_crm.py), whose
companies are numbered namesakes on look-alike domains; `all` the three. A fresh Python
process reads them and runs the real `standardize_accounts` + `deduplicate`, so peak RSS
is that of the pipeline alone (CSV read included), not of the generator. `wall_s` is
standardize + dedup; the CSV read is reported apart as `read_s`; `cpu_s` is the CPU time
of standardize + dedup (both cores counted; `standardize_cpu_s` and `dedup_cpu_s` split
it), and `load_average_1m` the machine's load before and after: on a shared machine wall
time includes waiting for other processes.
Truth: columns Id,entity_id (accounts of one entity are duplicates of each other).
Pairwise metrics count pairs of accounts put in one cluster.

`--engine` runs the framework with another `dedup.engine` (points / fellegi_sunter), so
both matchers are measured on the same data; `--errors` adds the error shapes: the
evidence of each wrong fold (the audit's evidence with the weights left out, or its rule
under the points engine) counted by shape, and how many true pairs the review table holds.
`--ceiling` adds the recall a person could reach on the same data and the share of it the
matcher reached (benchmarks/dedup_ceiling.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Pairwise precision / recall / F1 of a clustering (both Series indexed by account)."""
    both = pd.DataFrame({"predicted": predicted, "truth": truth.reindex(predicted.index)})
    together = _pairs(both.groupby(["predicted", "truth"]).size().to_numpy())
    predicted_pairs = _pairs(both.groupby("predicted").size().to_numpy())
    true_pairs = _pairs(both.groupby("truth").size().to_numpy())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "correct_pairs": together,
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def error_shapes(result, truth: pd.Series, top: int = 12) -> dict:
    """Wrong folds by the shape of their evidence (weights left out); review rows by
    whether their two accounts are one entity."""
    audit = result.audit
    wrong = audit[truth.reindex(audit["account_id"]).to_numpy()
                  != truth.reindex(audit["matched_to"]).to_numpy()]  # fmt: skip
    evidence = wrong["evidence"].fillna("") if "evidence" in wrong else pd.Series("", wrong.index)
    shape = evidence.str.replace(r" ?\(tf [^)]*\)", "", regex=True)
    shape = shape.map(lambda text: re.sub(r" [+-]\d+\.\d+", "", text))
    shape = shape.where(shape != "", wrong["rule"].astype(str))
    review = result.review
    same = pd.Series(dtype=bool)
    if len(review):
        same = pd.Series(
            truth.reindex(review["account_id"]).to_numpy()
            == truth.reindex(review["other_account_id"]).to_numpy()
        )
    return {
        "wrong_folds": len(wrong),
        "wrong_fold_shapes": shape.value_counts().head(top).to_dict(),
        "review_rows": len(review),
        "review_rows_one_entity": int(same.sum()),
    }


def run(
    accounts_csv: Path,
    truth_csv: Path,
    engine: str | None = None,
    errors: bool = False,
    ceiling: bool = False,
) -> dict:
    """Read a labelled export, run the real stage, score it (in this process)."""
    from segmentation_pipeline.core.dedup import deduplicate
    from segmentation_pipeline.core.standardize import standardize_accounts
    from segmentation_pipeline.framework import load_framework

    framework = load_framework(os.environ.get("SEGMENTATION_FRAMEWORK") or None)
    if engine:
        dedup = framework.dedup.model_copy(update={"engine": engine})
        framework = framework.model_copy(update={"dedup": dedup})
    started = time.perf_counter()
    raw = pd.read_csv(
        accounts_csv, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow"
    )
    read_s = time.perf_counter() - started

    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    standardized = standardize_accounts(raw, framework)
    standardized_at, standardized_cpu = time.perf_counter(), time.process_time()
    result = deduplicate(standardized, framework)
    finished = time.perf_counter()
    cpu_s = time.process_time() - cpu_started

    cluster_of = pd.Series(standardized["account_id"].to_numpy(), index=standardized["account_id"])
    cluster_of.loc[result.audit["account_id"].to_numpy()] = result.audit["survivor_id"].to_numpy()
    truth = pd.read_csv(truth_csv, dtype=str).set_index("Id")["entity_id"]
    scores = pairwise_scores(cluster_of, truth)
    peak_rss_mb = round(_peak_rss_mb(), 1)  # before the ceiling, which is not the stage
    reachable = {}
    if ceiling:
        from dedup_ceiling import standardized_ceiling

        reachable = standardized_ceiling(standardized, truth.reset_index())
        reachable = {k: v for k, v in reachable.items() if "ceiling" in k}
        reachable["recall_of_strict_ceiling"] = round(
            scores["recall"] / max(reachable["strict_recall_ceiling"], 1e-9), 4
        )
    return {
        "engine": framework.dedup.engine,
        "n": len(raw),
        "wall_s": round(finished - started, 2),
        "standardize_s": round(standardized_at - started, 2),
        "dedup_s": round(finished - standardized_at, 2),
        "cpu_s": round(cpu_s, 2),
        "standardize_cpu_s": round(standardized_cpu - cpu_started, 2),
        "dedup_cpu_s": round(cpu_s - (standardized_cpu - cpu_started), 2),
        "read_s": round(read_s, 2),
        "peak_rss_mb": peak_rss_mb,
        **scores,
        **reachable,
        "true_duplicate_rate": round(1 - truth.nunique() / len(truth), 4),
        "duplicate_rate_before": round(result.duplicate_rate_before, 4),
        "duplicate_rate_after": round(result.duplicate_rate_after, 4),
        "survivors": len(result.survivors),
        "folded": len(result.audit),
        **{f"stats_{k}": v for k, v in result.stats.items()},
        "cpu_count": os.cpu_count(),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **({"errors": error_shapes(result, truth)} if errors else {}),
    }


GENERATORS = ("messy", "independent", "crm")
CHOICES = {"both": GENERATORS[:2], "all": GENERATORS, **{g: (g,) for g in GENERATORS}}


def generate_files(
    n: int, seed: int, folder: Path, generator: str = "messy"
) -> tuple[Path, Path, float]:
    started = time.perf_counter()
    if generator == "crm":
        from synthetic_crm import generate_labelled_crm

        crm, labels = generate_labelled_crm(n, seed=seed)
        rows = crm.accounts
    else:
        if generator == "messy":
            from messy_accounts import generate
        else:
            from independent_accounts import generate
        data = generate(n, seed=seed)
        rows, labels = data.accounts, data.truth
    accounts, truth = folder / "accounts.csv", folder / "truth.csv"
    rows.to_csv(accounts, index=False)
    labels.to_csv(truth, index=False)
    return accounts, truth, time.perf_counter() - started


def _generated_run(args: argparse.Namespace, generator: str) -> dict:
    """Generate, then run the stage in a fresh process (its peak memory alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = (args.keep / generator) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        accounts, truth, generate_s = generate_files(args.n, args.seed, folder, generator)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--accounts",
                str(accounts),
                "--truth",
                str(truth),
                *(["--engine", args.engine] if args.engine else []),
                *(["--errors"] if args.errors else []),
                *(["--ceiling"] if args.ceiling else []),
            ],
            capture_output=True,
            text=True,
        )
        if child.returncode:
            sys.exit(f"benchmark run failed:\n{child.stderr[-4000:]}")
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result.update(
            {"generator": generator, "generate_s": round(generate_s, 1), "seed": args.seed}
        )
        return result


def _print(result: dict) -> None:
    if all(isinstance(v, dict) for v in result.values()):
        for name, one in result.items():
            print(f"--- {name}")
            _print(one)
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, help="generate this many messy accounts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--accounts", type=Path, help="accounts CSV (Salesforce columns)")
    parser.add_argument("--truth", type=Path, help="truth CSV with columns Id,entity_id")
    parser.add_argument("--out", type=Path, help="write the result JSON here")
    parser.add_argument("--keep", type=Path, help="with --n: keep the generated CSVs here")
    parser.add_argument("--generator", choices=tuple(CHOICES), default="both", help="with --n")
    parser.add_argument(
        "--engine", choices=("points", "fellegi_sunter"), help="override dedup.engine"
    )
    parser.add_argument("--errors", action="store_true", help="report the error shapes")
    parser.add_argument(
        "--ceiling", action="store_true", help="also the recall any matcher could reach"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if bool(args.n) == bool(args.accounts) or bool(args.accounts) != bool(args.truth):
        parser.error("give either --n, or --accounts with --truth")

    if args.accounts:
        result = run(args.accounts, args.truth, args.engine, args.errors, args.ceiling)
    else:
        result = {name: _generated_run(args, name) for name in CHOICES[args.generator]}
        if len(result) == 1:
            (result,) = result.values()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.child:
        print(json.dumps(result))
    else:
        _print(result)
    return result


if __name__ == "__main__":
    main()
