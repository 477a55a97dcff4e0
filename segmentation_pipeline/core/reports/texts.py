"""Report cells as text, a column at a time: each distinct text is formatted once and
taken back to its rows (a million accounts hold far fewer distinct texts than values)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from segmentation_pipeline.core.explanations import money


def formatted_once(values: pd.Series, formatter: Callable[[object], str]) -> pd.Series:
    """`formatter` once per distinct value (missing values give '')."""
    codes, uniques = pd.factorize(values)
    texts = np.array([formatter(v) for v in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def money_texts(amounts: pd.Series, *, millions: bool = True) -> pd.Series:
    """`explanations.money` of every amount ('' where missing); without `millions`, $1M and
    more read in thousands too ('$1,250K', the outlier details). Formatted once per
    distinct text rather than per distinct amount: amounts shown in thousands are rounded
    to thousands first, smaller ones to dollars (numpy's rint rounds half to even on the
    exact double, as format() does)."""
    values = amounts.to_numpy(dtype="float64", na_value=np.nan)
    in_millions = values >= 1_000_000 if millions else np.zeros(len(values), dtype=bool)
    texts = np.full(len(values), "", dtype=object)
    dollars = np.rint(values)
    minus_zero = (dollars == 0) & np.signbit(dollars)  # '$-0': factorize would merge it with 0
    for rows, keys, formatter in (
        ((values >= 1000) & ~in_millions, np.rint(values / 1000), "${:,.0f}K".format),
        ((values < 1000) & ~minus_zero, dollars, "${:,.0f}".format),
        (minus_zero, dollars, "${:,.0f}".format),
        (in_millions, values, money),
    ):
        texts[rows] = formatted_once(pd.Series(keys[rows]), formatter).to_numpy()
    return pd.Series(texts, index=amounts.index, dtype=object)
