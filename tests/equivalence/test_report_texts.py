"""The report texts worked out once per rounded value give, row by row, what formatting
each row's own value gives (`explanations.money` for the CSM views' ARR column, thousands
all the way up for the outlier details)."""

import numpy as np
import pandas as pd

from segmentation_pipeline.core.explanations import money
from segmentation_pipeline.core.reports.texts import money_texts

# Where rounding or a branch of `money` turns: half-way cents and dollars, $1K, $1M, the
# thousands that round up to 1,000K, negative amounts, zero of either sign, infinities.
EDGES = [0.0, -0.0, -0.3, -0.5, 0.5, 1.5, 2.5, 999.4999, 999.5, 999.5000001, 1000.0, 1499.99,
         1500.0, 2500.0, 999_499.99, 999_500.0, 999_999.99, 1_000_000.0, 1_049_999.0,
         1_050_000.0, 1_250_000.0, 2.25e6, 1e300, -5000.4, -2e6, np.inf, -np.inf]  # fmt: skip


def _amounts() -> np.ndarray:
    rng = np.random.default_rng(5)
    amounts = np.concatenate(
        [
            EDGES,
            rng.lognormal(10.4, 2.0, 20_000),
            rng.uniform(-2e6, 2e6, 5_000),
            np.arange(-1500, 1500, 0.25),
            np.arange(998_000, 1_001_000, 0.5),
        ]
    )
    rng.shuffle(amounts)  # the first of two amounts with one text must not decide the other's
    return amounts


def test_money_texts_are_money_of_each_amount():
    amounts = _amounts()
    assert money_texts(pd.Series(amounts)).tolist() == [money(a) for a in amounts]


def test_money_texts_without_millions_are_thousands_of_each_amount():
    amounts = _amounts()
    expected = [f"${a / 1000:,.0f}K" if a >= 1000 else f"${a:,.0f}" for a in amounts]
    assert money_texts(pd.Series(amounts), millions=False).tolist() == expected


def test_missing_amounts_are_empty_and_the_index_is_kept():
    texts = money_texts(pd.Series([np.nan, 1500.0, None], index=[7, 8, 9], dtype="float64"))
    assert texts.to_dict() == {7: "", 8: "$2K", 9: ""}
