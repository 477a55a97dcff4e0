"""`benchmarks/dedup.py --accounts/--truth` is how a team measures the matcher on its own
labelled export: it must read Salesforce columns and a truth file, and score the real
stage against it."""

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from dedup import main  # noqa: E402


def _export(folder: Path, rows: list[dict], entities: list[int]) -> tuple[Path, Path]:
    accounts = pd.DataFrame(rows)
    truth = pd.DataFrame({"Id": accounts["Id"], "entity_id": entities})
    accounts_csv, truth_csv = folder / "accounts.csv", folder / "truth.csv"
    accounts.to_csv(accounts_csv, index=False)
    truth.to_csv(truth_csv, index=False)
    return accounts_csv, truth_csv


@pytest.mark.parametrize("engine", ["points", "fellegi_sunter"])
def test_an_outside_export_is_scored_pair_by_pair_with_its_ceiling(tmp_path: Path, engine: str):
    accounts_csv, truth_csv = _export(
        tmp_path,
        [
            {"Id": "001A", "Name": "Acme Robotics Inc", "Website": "https://www.acme-robotics.com",
             "Phone": "+1 303 555 0101", "BillingCity": "Denver", "BillingCountry": "US"},
            {"Id": "001B", "Name": "ACME Robotics", "Website": "acme-robotics.com",
             "Phone": "(303) 555-0101", "BillingCity": "Denver", "BillingCountry": "USA"},
            # Acme again after a rebrand: nothing but the city ties it to the others.
            {"Id": "001C", "Name": "Helix Automation", "BillingCity": "Denver",
             "BillingCountry": "US"},
            {"Id": "001D", "Name": "Beta Freight LLC", "Website": "betafreight.io",
             "BillingCity": "Boise", "BillingCountry": "US"},
        ],
        [1, 1, 1, 2],
    )  # fmt: skip

    result = main(
        ["--accounts", str(accounts_csv), "--truth", str(truth_csv), "--engine", engine,
         "--ceiling"]
    )  # fmt: skip

    # Three true pairs (A-B, A-C, B-C); the matcher can only find A-B.
    assert result["engine"] == engine
    assert (result["true_pairs"], result["predicted_pairs"], result["correct_pairs"]) == (3, 1, 1)
    assert result["precision"] == 1.0
    assert result["recall"] == pytest.approx(1 / 3, abs=1e-5)
    assert result["strict_recall_ceiling"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["recall_of_strict_ceiling"] == pytest.approx(1.0, abs=1e-3)
