"""Pickle data frames with their repetitive text columns stored as codes.

A frame of a million accounts carries a dozen object columns of a handful of distinct
values each (segment, tier, country, status). Pickle writes and reads such a column one
Python object at a time; stored as integer codes plus its distinct values, it moves as
one array. `pack` does that to every such column and `unpack` puts back an object column
holding the same values, missing values as they were (None stays None, NaN stays NaN).
Anything that is not a frame, and every other column, is pickled as it is.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.arrays import ArrowExtensionArray

from segmentation_pipeline.core.columns import factorize, mostly_distinct

PICKLE_PROTOCOL = 5
# A column is packed only when it has at most this share of distinct values: above it,
# the distinct values cost pickle almost as much as the column itself.
MAX_DISTINCT_SHARE = 0.05
MIN_ROWS = 1_000
SAMPLE_ROWS = 1_000


@dataclass(frozen=True)
class PackedColumn:
    position: int
    codes: np.ndarray
    values: np.ndarray  # object array of the distinct values, then the missing value


@dataclass(frozen=True)
class PackedFrame:
    frame: pd.DataFrame  # the frame without its packed columns
    columns: dict[str, PackedColumn]


def _pack_column(values: np.ndarray, position: int) -> PackedColumn | None:
    """Codes for a column of str values with one kind of missing value, or None."""
    # Mostly distinct values will not pack; factorizing all of them to find that out costs
    # as much as pickling the column.
    if mostly_distinct(values, SAMPLE_ROWS):
        return None
    codes, uniques = factorize(values)
    if len(uniques) > MAX_DISTINCT_SHARE * len(values):
        return None
    if not all(type(u) is str for u in uniques):
        return None
    kinds = {type(v) for v in values[codes < 0]}
    if kinds <= {type(None)}:
        missing_value = None
    elif kinds == {float}:  # NaN: factorize marked it missing
        missing_value = np.nan
    else:
        return None
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = uniques
    table[-1] = missing_value
    small = np.int8 if len(table) < 2**7 else np.int16 if len(table) < 2**15 else np.int32
    return PackedColumn(position, np.where(codes < 0, len(uniques), codes).astype(small), table)


def pack(obj: Any) -> Any:
    """A frame with its low-cardinality text columns as codes (also as the values of a
    dict); anything else as it is."""
    if isinstance(obj, dict):
        return {key: pack(value) for key, value in obj.items()}
    if not isinstance(obj, pd.DataFrame) or len(obj) < MIN_ROWS or not obj.columns.is_unique:
        return obj
    packed: dict[str, PackedColumn] = {}
    for position, name in enumerate(obj.columns):
        if obj[name].dtype == object:
            column = _pack_column(obj[name].to_numpy(), position)
            if column is not None:
                packed[name] = column
    if not packed:
        return obj
    return PackedFrame(obj.drop(columns=list(packed)), packed)


def unpack(obj: Any) -> Any:
    """The frame `pack` was given, column order, index and values included."""
    if isinstance(obj, dict):
        return {key: unpack(value) for key, value in obj.items()}
    if not isinstance(obj, PackedFrame):
        return obj
    frame = obj.frame.copy(deep=False)
    for name, column in sorted(obj.columns.items(), key=lambda item: item[1].position):
        values = pd.Series(column.values[column.codes], index=frame.index, dtype=object)
        frame.insert(column.position, name, values)
    return frame


def _arrow_backed(cls: type, state: dict) -> ArrowExtensionArray:
    array = cls.__new__(cls)
    array.__setstate__(state)
    return array


class _Pickler(pickle.Pickler):
    """pandas pickles an Arrow-backed column (every `str` column) by first copying its
    chunks into one (`combine_chunks`), which for the assignments' 315 MB of explanations
    is 0.9 s of a 3.7 s write. Here the chunks are pickled as they are; loading goes
    through pandas' own `__setstate__`, which takes chunks either way."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, ArrowExtensionArray):
            return _arrow_backed, (type(obj), {**obj.__dict__, "_cache": {}})
        return NotImplemented


def dump(obj: Any, file) -> None:
    _Pickler(file, PICKLE_PROTOCOL).dump(pack(obj))


def load(file) -> Any:
    return unpack(pickle.load(file))
