import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.standardize.numbers import (
    parse_count,
    parse_money,
    standardize_quantity,
)
from segmentation_pipeline.core.standardize.text import Parsed

TOKENS = ["n/a", "unknown"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1200", Parsed(1200.0, None)),
        ("1,200", Parsed(1200.0, None)),
        ("1.200", Parsed(1200.0, None)),  # a lone dot before three digits groups thousands
        ("1 200", Parsed(1200.0, None)),
        ("1-10", Parsed(6.0, None)),  # midpoint 5.5, rounded half up
        ("51 - 200", Parsed(126.0, None)),  # midpoint 125.5
        ("50+", Parsed(50.0, None)),
        ("<50", Parsed(25.0, None)),
        ("1.2k", Parsed(1200.0, None)),
        ("approx. 300 employees", Parsed(300.0, None)),
        ("12.4", Parsed(12.0, None)),
        ("n/a", Parsed(None, "missing")),
        ("", Parsed(None, "missing")),
        (None, Parsed(None, "missing")),
        ("-5", Parsed(None, "negative")),
        ("0", Parsed(None, "zero")),
        ("lots", Parsed(None, "unparseable")),
        ("10-5", Parsed(None, "unparseable")),
        ("9000000", Parsed(None, "implausible")),
    ],
)
def test_employee_counts(raw, expected):
    assert parse_count(raw, TOKENS, maximum=5_000_000) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("45000.00", Parsed(45000.0, None)),
        ("$45,000", Parsed(45000.0, None)),
        ("EUR 45k", Parsed(45000.0, None)),
        ("1.234,56", Parsed(1234.56, None)),
        ("1,234.56", Parsed(1234.56, None)),
        ("2.5M", Parsed(2_500_000.0, None)),
        ("0", Parsed(0.0, None)),
        ("(500)", Parsed(None, "negative")),
        ("USD", Parsed(None, "unparseable")),
        # A multiplier written once, on the upper bound, is the range's unit: "50-150k"
        # is 50,000 to 150,000 (midpoint 100,000), not 50 to 150,000.
        ("50-150k", Parsed(100_000.0, None)),
        ("$20-40K", Parsed(30_000.0, None)),
        ("1-2M", Parsed(1_500_000.0, None)),
        ("10k-20k", Parsed(15_000.0, None)),
        # Read in the upper bound's unit the low side passes the high one: no reading.
        ("500-1M", Parsed(None, "unparseable")),
    ],
)
def test_money(raw, expected):
    assert parse_money(raw, TOKENS) == expected


def test_an_employee_range_in_thousands_reads_in_thousands():
    assert parse_count("1-5K", TOKENS, maximum=5_000_000) == Parsed(3000.0, None)


def test_column_matches_the_scalar_rule_and_keeps_reasons():
    raw = pd.Series(["1,200", "1200", "1.200", "-5", "0", "x", None, "7.6"])
    values, reasons = standardize_quantity(raw, TOKENS, allow_zero=False, integer=True)
    assert values.tolist()[:3] == [1200.0, 1200.0, 1200.0]
    assert np.isnan(values.iloc[3:7]).all()
    assert values.iloc[7] == 8.0
    assert reasons.tolist()[3:7] == ["negative", "zero", "unparseable", "missing"]
    assert reasons.iloc[:3].isna().all()


def test_numeric_column_takes_the_same_rules():
    values, reasons = standardize_quantity(
        pd.Series([1.0, None, -2.0, 0.0]), TOKENS, allow_zero=True
    )
    assert values.tolist()[0] == 1.0 and values.iloc[3] == 0.0
    assert reasons.tolist()[1:3] == ["missing", "negative"]


def test_negative_amounts_allowed_where_asked():
    values, reasons = standardize_quantity(
        pd.Series(["-2615.14"]), TOKENS, allow_zero=True, allow_negative=True
    )
    assert values.tolist() == [-2615.14]
    assert reasons.isna().all()


def test_an_amount_in_another_currency_is_not_read_as_dollars():
    raw = pd.Series(
        ["$45,000", "USD 45k", "EUR 45k", "1.200.000,00 €", "JPY 2,000,000", "£3m",
         "CHF 1'200'000", "¥500", "45000 usd", "Eurotech 5"]
    )  # fmt: skip
    values, reasons = standardize_quantity(raw, TOKENS, allow_zero=True, currency="USD")
    assert values.iloc[[0, 1, 8]].tolist() == [45_000.0, 45_000.0, 45_000.0]
    assert reasons.tolist()[2:8] == ["other_currency"] * 6
    assert values.iloc[2:8].isna().all()
    assert reasons.iloc[9] == "unparseable"  # a word that starts like a code is no mark


def test_a_crm_kept_in_euros_reads_euros_and_names_dollars():
    raw = pd.Series(["EUR 45k", "1.200.000,00 €", "$45,000", "45000"])
    values, reasons = standardize_quantity(raw, TOKENS, allow_zero=True, currency="EUR")
    assert values.tolist()[:2] == [45_000.0, 1_200_000.0] and values.iloc[3] == 45_000.0
    assert reasons.tolist()[2] == "other_currency"


def test_a_bare_dollar_sign_is_the_crms_own_dollar():
    values, reasons = standardize_quantity(
        pd.Series(["$45,000", "USD 45k"]), TOKENS, allow_zero=True, currency="CAD"
    )
    assert values.iloc[0] == 45_000.0 and reasons.iloc[1] == "other_currency"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.from_regex(r"-?(usd |\$|€ )?[0-9]{1,7}([.,][0-9]{1,3})*( ?[kKmM])?", fullmatch=True),
        ),
        max_size=30,
    )
)
def test_column_reads_every_text_as_the_scalar_rules_do(texts):
    counts, count_reasons = standardize_quantity(
        pd.Series(texts, dtype=object), TOKENS, allow_zero=False, maximum=10**6, integer=True
    )
    money, money_reasons = standardize_quantity(
        pd.Series(texts, dtype=object), TOKENS, allow_zero=True
    )
    for i, text in enumerate(texts):
        for value, reason, expected in (
            (counts.iloc[i], count_reasons.iloc[i], parse_count(text, TOKENS, maximum=10**6)),
            (money.iloc[i], money_reasons.iloc[i], parse_money(text, TOKENS)),
        ):
            got = (None if np.isnan(value) else value, None if pd.isna(reason) else reason)
            assert got == (expected.value, expected.reason), text
