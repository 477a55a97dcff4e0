"""Rubric lookups: a value's points from banded or mapped criteria, whole columns at once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation_pipeline.core.columns import factorize
from segmentation_pipeline.core.columns import numbers as as_numbers
from segmentation_pipeline.core.standardize.text import lookup_keys_of
from segmentation_pipeline.framework.models import BandedCriterion, ValueMapCriterion


def numbers(values: pd.Series) -> np.ndarray:
    """Floats, NaN where a value is missing or not a number."""
    return as_numbers(values).to_numpy()


def banded_points(values: pd.Series, criterion: BandedCriterion) -> pd.Series:
    """Points of each value's band; NaN where the value is null or outside every band."""
    ordered = sorted(criterion.bands, key=lambda b: -np.inf if b.min is None else b.min)
    edges = np.array([-np.inf if b.min is None else b.min for b in ordered], dtype=float)
    upper = np.inf if ordered[-1].max is None else ordered[-1].max
    points = np.array([b.points for b in ordered], dtype=float)
    values_ = numbers(values)
    index = np.searchsorted(edges, values_, side="right") - 1
    inside = (index >= 0) & (values_ < upper) & ~np.isnan(values_)
    result = np.where(inside, points[np.clip(index, 0, len(points) - 1)], np.nan)
    return pd.Series(result, index=values.index)


def mapped_points(values: pd.Series, criterion: ValueMapCriterion) -> pd.Series:
    """Points of each picklist value; the criterion's unknown points for anything else.

    Values match as standardization matches picklist text (`lookup_key`: case, spacing
    and punctuation aside), once per distinct value: a month stored under an older
    framework holds its values as that run wrote them, so a re-score under a framework
    that lists a new spelling scores them by it."""
    points = dict(zip(lookup_keys_of(criterion.values), criterion.values.values(), strict=True))
    codes, uniques = factorize(values)
    keys = lookup_keys_of(str(u) for u in uniques)
    table = np.array([*(points.get(k, np.nan) for k in keys), np.nan], dtype=float)
    return pd.Series(table[codes], index=values.index).fillna(criterion.unknown_points)


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is not positive, never negative."""
    numerator = pd.Series(numbers(numerator), index=numerator.index)
    denominator = pd.Series(numbers(denominator), index=denominator.index)
    return (numerator / denominator.where(denominator > 0)).clip(lower=0)
