"""Standardization computes each distinct value once and takes the results back to the
rows. A wrong take-back (a row given another value's result) would make a row's output
depend on its neighbours; these properties catch that: the output of a frame equals the
outputs of its halves put together, and of the frame shuffled then put back in order."""

import numpy as np
import pandas as pd
import pytest

from segmentation_pipeline.core.standardize import parse_money, standardize_accounts
from segmentation_pipeline.core.standardize.numbers import standardize_quantity
from segmentation_pipeline.core.standardize.text import as_text, on_distinct
from segmentation_pipeline.framework import load_framework

ROWS = 3000

# Few distinct values repeated many times (the distinct-value path) beside values almost
# every row has alone (the column path), with nulls, blanks and junk among them.
POOLS = {
    "Industry": ["Retail", "retail ", "Financial Services", "Fintech", "Hospitl", "n/a", None],
    "NumberOfEmployees": ["11-50", "1,200", "1.200", "50+", "<50", "3k", "-5", "0", "many", None],
    "BillingCountry": ["US", "usa", "United States", "Deutschland", "UK", "Frnace", "??", None],
    "BillingCity": ["Paris", " paris", "São Paulo", "New  York", "", None],
    "Contract_Term__c": ["Multi-year", "MULTI YEAR", "annual", "Monthly", "weird", None],
    "Strategic_Importance__c": ["Named logo", "named-logo", "Standard", "x", None],
    "Growth_Stage__c": ["Mature", "growth", "Scale-up", "???", None],
    "Customer_Tier__c": ["Tier 1", "TIER 2", "tier3", "gold", None],
    "Segment_Override__c": ["true", "false", "Yes", "0", "maybe", None],
    "Contract_End_Date__c": ["2025-01-31", "31/01/2025", "01/31/2025", "Jan 31 2025", "x", None],
    "OwnerId": ["005A", "005B", "005C", None],
}
PHONE_STYLES = ["+1 415 555 {:04d}", "(415) 555-{:04d}", "0044 20 7946 {:04d}", "+49 30 {:06d}",
                "555-{:04d} ext 12", "{:d}"]  # fmt: skip
WEB_STYLES = ["https://www.acme{}.com/", "acme{}.co.uk", "info@acme{}.de", "http://acme{}",
              "gmail.com", "not a site {}"]  # fmt: skip


def messy_rows(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(pool: list) -> list:
        return [pool[i] for i in rng.integers(0, len(pool), n)]

    def styled(styles: list[str], modulo: int) -> list:
        numbers = rng.integers(0, modulo, n)
        return [
            None if rng.random() < 0.1 else styles[i].format(k)
            for i, k in zip(rng.integers(0, len(styles), n), numbers, strict=True)
        ]

    money = [f"${v:,.0f}" if v % 3 else f"{v / 1000:.1f}k" for v in rng.integers(0, 900000, n)]
    rows = {
        "Id": [f"001{i:012d}" for i in range(n)],
        "Name": [f"Acme {i % 700} {('Inc', 'GmbH', 'S.A.')[i % 3]}" for i in range(n)],
        "Website": styled(WEB_STYLES, 500),
        "Phone": styled(PHONE_STYLES, 400),
        "AnnualRevenue": money,
        "ARR__c": [None if i % 7 == 0 else v for i, v in enumerate(money[::-1])],
        "Expansion_Pipeline__c": [f"{v}" for v in rng.normal(0, 5000, n).round(2)],
        "CreatedDate": [f"2021-0{1 + i % 9}-1{i % 10}T10:00:00.000+0000" for i in range(n)],
        "SystemModstamp": [f"2024-02-{1 + i % 28:02d}" for i in range(n)],
        **{column: pick(pool) for column, pool in POOLS.items()},
    }
    return pd.DataFrame(rows).astype("str")


@pytest.fixture(scope="module")
def framework_module():
    return load_framework()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return messy_rows(ROWS)


@pytest.fixture(scope="module")
def whole(raw, framework_module) -> pd.DataFrame:
    return standardize_accounts(raw, framework_module)


def test_the_generated_rows_repeat_values_and_hold_unique_ones(raw):
    assert raw["NumberOfEmployees"].nunique() * 4 < ROWS
    assert raw["Id"].nunique() == ROWS


def test_a_frame_standardizes_as_its_halves_put_together(raw, whole, framework_module):
    first, second = raw.iloc[: ROWS // 3], raw.iloc[ROWS // 3 :]
    halves = pd.concat(
        [
            standardize_accounts(first, framework_module),
            standardize_accounts(second, framework_module),
        ]
    )
    pd.testing.assert_frame_equal(halves, whole)


def test_a_shuffled_frame_standardizes_as_the_frame_itself(raw, whole, framework_module):
    order = np.random.default_rng(5).permutation(ROWS)
    shuffled = standardize_accounts(raw.iloc[order], framework_module)
    pd.testing.assert_frame_equal(shuffled.sort_index(), whole)


def test_each_row_standardizes_as_it_does_alone(raw, whole, framework_module):
    for row in np.random.default_rng(9).choice(ROWS, 4, replace=False):
        alone = standardize_accounts(raw.iloc[[row]], framework_module)
        pd.testing.assert_frame_equal(alone, whole.iloc[[row]])


@pytest.mark.parametrize("distinct_values", [50_000, 300, 5])
def test_a_long_column_steps_once_per_distinct_value_as_row_by_row(distinct_values):
    rng = np.random.default_rng(11)
    spelled = np.array([f" Value  {k} " for k in range(distinct_values)] + [None], dtype=object)
    rows = (
        rng.integers(0, len(spelled), 50_000)
        if distinct_values < 50_000
        else rng.permutation(50_000)
    )
    values = pd.Series(spelled[rows], dtype="str")
    pd.testing.assert_series_equal(on_distinct(values, as_text), as_text(values))
    amounts = values.str.extract(r"(\d+)", expand=False)
    pd.testing.assert_series_equal(
        standardize_quantity(amounts, allow_zero=True)[0],
        pd.Series([parse_money(v).value for v in amounts], dtype="float64"),
    )
