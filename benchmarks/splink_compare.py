"""Benchmark: Splink (DuckDB backend, EM-trained) against the project's matcher, on the
same labelled accounts and the project's own standardization.

Splink is not a dependency of the package; install it apart, in a throwaway venv:

    python -m venv /tmp/splinkvenv && /tmp/splinkvenv/bin/pip install splink pandas pyarrow

then, with the project's Python (it standardizes; the venv's Python runs Splink):

    python benchmarks/dedup.py --n 100000 --generator independent --keep /tmp/data
    python benchmarks/splink_compare.py --accounts /tmp/data/independent/accounts.csv \
        --truth /tmp/data/independent/truth.csv --splink-python /tmp/splinkvenv/bin/python

Steps: `standardize_accounts` (timed apart, as in benchmarks/dedup.py) writes the match
columns (name_key, domain, phone_e164, city, country_code) to parquet; a fresh process
of `--splink-python` reads them and runs Splink: blocking on the exact keys (name key,
domain, phone) and on name prefixes and suffixes within a country (typos), comparisons of
name (Jaro-Winkler levels, term-frequency adjusted), domain, phone, city (term-frequency
adjusted) and country; the match share from deterministic rules, u by random sampling,
m by EM blocked on name and on domain; pairs at or above `--threshold` clustered by
connected components. Its wall, CPU (all DuckDB threads) and peak RSS are the Splink
process's alone. Pairwise precision / recall / F1 as benchmarks/dedup.py counts them.
This file is never imported by the package or the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MATCH_COLUMNS = ("account_id", "name_key", "domain", "phone_e164", "city", "country_code")


def run_splink(inputs: Path, output: Path, threshold: float, seed: int) -> dict:
    """Inside the Splink venv: match the standardized columns, write cluster per account."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = pd.read_parquet(inputs)
    frame["city"] = frame["city"].str.lower()
    load = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    db_api = DuckDBAPI()
    records = db_api.register(frame, dataset_display_name="accounts")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="account_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("name_key", [0.97, 0.92, 0.85]).configure(
                term_frequency_adjustments=True
            ),
            cl.ExactMatch("domain"),
            cl.ExactMatch("phone_e164"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("country_code"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_key"),
            block_on("domain"),
            block_on("phone_e164"),
            block_on("substr(name_key, 1, 5)", "country_code"),
            block_on("substr(reverse(name_key), 1, 5)", "country_code"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(records, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_key", "domain"), block_on("name_key", "phone_e164")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_key"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("domain"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    result = clusters.as_pandas_dataframe()[["account_id", "cluster_id"]]
    wall = time.perf_counter() - started
    pairs = len(predictions.as_pandas_dataframe())
    cpu = time.process_time() - cpu_started
    result.to_parquet(output)
    return {
        "splink_wall_s": round(wall, 2),
        "splink_cpu_s": round(cpu, 2),
        "splink_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "splink_pairs_over_threshold": pairs,
        "load_average_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


def standardized_inputs(accounts: Path, folder: Path) -> tuple[Path, dict]:
    """The project's standardization of the accounts, match columns only, as parquet."""
    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from segmentation_pipeline.core.standardize import standardize_accounts
    from segmentation_pipeline.framework import load_framework

    framework = load_framework(os.environ.get("SEGMENTATION_FRAMEWORK") or None)
    raw = pd.read_csv(accounts, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow")
    cpu_started, started = time.process_time(), time.perf_counter()
    standardized = standardize_accounts(raw, framework)
    figures = {
        "n": len(raw),
        "standardize_wall_s": round(time.perf_counter() - started, 2),
        "standardize_cpu_s": round(time.process_time() - cpu_started, 2),
    }
    path = folder / "match_inputs.parquet"
    columns = standardized[list(MATCH_COLUMNS)].astype(object)
    columns.where(columns.notna(), None).to_parquet(path)
    return path, figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=Path, required=True)
    parser.add_argument("--truth", type=Path, required=True, help="CSV with Id,entity_id")
    parser.add_argument("--splink-python", default=sys.executable, help="a Python with splink")
    parser.add_argument("--threshold", type=float, default=0.9, help="match probability")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="write the result JSON here")
    parser.add_argument("--splink-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.splink_child:
        print(json.dumps(run_splink(*args.splink_child, args.threshold, args.seed)))
        return {}

    import pandas as pd
    from dedup import pairwise_scores

    with tempfile.TemporaryDirectory() as tmp:
        inputs, figures = standardized_inputs(args.accounts, Path(tmp))
        clusters = Path(tmp) / "clusters.parquet"
        child = subprocess.run(
            [args.splink_python, __file__, "--accounts", str(args.accounts), "--truth",
             str(args.truth), "--threshold", str(args.threshold), "--seed", str(args.seed),
             "--splink-child", str(inputs), str(clusters)],
            capture_output=True, text=True,
        )  # fmt: skip
        if child.returncode:
            sys.exit(f"splink run failed:\n{child.stderr[-4000:]}")
        figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
        assigned = pd.read_parquet(clusters)
    cluster_of = pd.Series(
        assigned["cluster_id"].astype(str).to_numpy(), index=assigned["account_id"]
    )
    truth = pd.read_csv(args.truth, dtype=str).set_index("Id")["entity_id"]
    result = {**figures, **pairwise_scores(cluster_of, truth), "threshold": args.threshold}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:<40}  {value}")
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
