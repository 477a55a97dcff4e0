"""Numbers -> the framework's named bands (company size bands, ARR tiers)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from segmentation_pipeline.framework.models import NamedBand


def band_name(value: float | None, bands: Sequence[NamedBand]) -> str | None:
    """The band holding one value ([min, max), None unbounded); None for a null value."""
    if value is None or pd.isna(value):
        return None
    for band in bands:
        low = -math.inf if band.min is None else band.min
        high = math.inf if band.max is None else band.max
        if low <= value < high:
            return band.name
    return None


def band_names(values: pd.Series, bands: Sequence[NamedBand]) -> pd.Series:
    """`band_name` for a whole column in one vectorized lookup."""
    ordered = sorted(bands, key=lambda b: -math.inf if b.min is None else b.min)
    edges = np.array([-math.inf if b.min is None else b.min for b in ordered])
    upper = math.inf if ordered[-1].max is None else ordered[-1].max
    names = np.array([b.name for b in ordered] + [None], dtype=object)
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    index = np.searchsorted(edges, numbers, side="right") - 1
    inside = (index >= 0) & (numbers < upper) & ~np.isnan(numbers)
    return pd.Series(names[np.where(inside, index, -1)], index=values.index, dtype="str")
