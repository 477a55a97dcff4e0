"""Whole-column helpers that stay fast on pandas' Arrow-backed string columns.

Mapping or re-indexing a string column value by value costs a Python call per row;
these factorize once and work on integer codes instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowExtensionArray


def factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, object]:
    """`pd.factorize(values, use_na_sentinel=True)` of the column's array: an object
    column's uniques come back as an array, as pandas' own hashing factorizes them (from
    a Series they would be an Index, which keeps a column of timestamps as objects)."""
    if isinstance(values, pd.Series) and values.dtype == object:
        values = values.to_numpy()
    return pd.factorize(values, use_na_sentinel=True)


def mostly_distinct(values: pd.Series | np.ndarray, sample: int = 2_000) -> bool:
    """Whether an even sample of a long column's rows is mostly distinct values (missing
    counting as one): then working through its distinct values saves nothing. A column of
    at most `sample` rows is never called so."""
    if len(values) <= sample:
        return False
    step = len(values) // sample
    return pd.Series(values[::step]).nunique(dropna=False) > 0.5 * sample


# Below this many rows a frame is taken by pandas alone: threads would cost more than they save.
TAKE_PARALLEL_ROWS = 100_000


def take_frame(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """`frame.take(positions)`, with its Arrow-backed columns taken in worker threads while
    pandas takes the others. Arrow's take runs without the GIL, and on text columns (names,
    explanations) it is most of a wide frame's reordering."""
    arrow = [
        name for name, column in frame.items() if isinstance(column.array, ArrowExtensionArray)
    ]
    workers = min(os.cpu_count() or 1, len(arrow))
    if len(positions) < TAKE_PARALLEL_ROWS or workers < 2 or not frame.columns.is_unique:
        return frame.take(positions)
    with ThreadPoolExecutor(workers) as pool:
        taken = {name: pool.submit(frame[name].array.take, positions) for name in arrow}
        result = frame.drop(columns=arrow).take(positions)
        for position, name in enumerate(frame.columns):
            if name in taken:
                values = pd.Series(taken[name].result(), index=result.index, copy=False)
                result.insert(position, name, values)
    return result


def lookup(
    values: pd.Series, mapping: Mapping | Callable[[object], object], default: object = None
) -> pd.Series:
    """`values.map(mapping)` computed once per distinct value; `default` where unmapped
    or missing. `mapping` may be a dict or a function of the value."""
    codes, uniques = factorize(values)
    get = mapping if callable(mapping) else (lambda u: mapping.get(u, default))
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [get(u) for u in uniques]
    table[-1] = default
    return pd.Series(table[codes], index=values.index, dtype=object)


def timestamps(values: pd.Series) -> pd.Series:
    """UTC timestamps; NaT for anything that is not one (text in any format is parsed)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.tz_localize("UTC")
    return pd.to_datetime(values, errors="coerce", utc=True, format="mixed")


def is_in(values: pd.Series, allowed) -> pd.Series:
    """`values.isin(allowed)` through the distinct values only."""
    allowed = set(allowed)
    codes, uniques = factorize(values)
    table = np.array([u in allowed for u in uniques] + [False], dtype=bool)
    return pd.Series(table[codes], index=values.index)


def member_of(values: pd.Series, candidates: pd.Series | pd.Index) -> pd.Series:
    """`values.isin(candidates)` hashed by Arrow: pandas' isin on Arrow-backed strings
    converts every value to a Python string first. Missing matches missing, as in isin."""
    try:
        left = pa.array(values, from_pandas=True)
        right = pa.array(pd.Series(candidates), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values.isin(candidates)
    text = (pa.types.is_string, pa.types.is_large_string)
    if not any(t(left.type) for t in text) or not any(t(right.type) for t in text):
        return values.isin(candidates)
    right = right.cast(left.type)
    found = pc.is_in(left, value_set=right, skip_nulls=False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def isin_by_hash(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """`np.isin(values, known)` for integer arrays (row hashes, codes) through a hash
    table instead of sorting both: about eight times faster at a million values."""
    return pd.Series(values, copy=False).isin(known).to_numpy(dtype=bool)


def absent_from(values: pd.Series, others: pd.Series) -> list:
    """The distinct non-missing `values` that `others` lacks, sorted: `sorted(set(values) -
    set(others))` without building sets of a million Python strings."""
    return sorted(set(values[~member_of(values, others).to_numpy(dtype=bool)].dropna()))


def runs(values: np.ndarray) -> list[tuple[int, int]]:
    """The [start, stop) of each run of equal neighbours in `values` (rows sorted by a
    key: one run per key), in order."""
    if not len(values):
        return []
    cuts = [0, *(np.flatnonzero(values[1:] != values[:-1]) + 1).tolist(), len(values)]
    return list(zip(cuts, cuts[1:], strict=False))


def numbers(values: pd.Series) -> pd.Series:
    """`pd.to_numeric(values, errors="coerce")` as float64. A text column is first cast by
    Arrow, many times faster; text Arrow will not parse ("1,000", " 12") falls back to
    pandas, so the result is pandas' either way."""
    try:
        text = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = None
    if text is not None and (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        try:
            cast = pc.cast(text, pa.float64())
        except pa.ArrowInvalid:
            pass
        else:
            return pd.Series(
                cast.to_numpy(zero_copy_only=False), index=values.index, dtype="float64"
            )
    return pd.to_numeric(values, errors="coerce").astype("float64")


def map_by_key(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """`keys.map(mapping)` for a mapping with unique keys, looked up through
    `AccountIndex`: pandas hashes every key as a Python object, Arrow far faster."""
    if not len(keys):
        return keys.map(mapping)  # nothing to look up; pandas picks the empty dtype
    if not len(mapping):  # every key missing, in the mapping's dtype (map fails on dates)
        return pd.Series(index=keys.index, dtype=mapping.dtype, name=keys.name)
    at = AccountIndex(pd.Series(mapping.index)).find(keys)
    values = mapping.reset_index(drop=True).reindex(at).set_axis(keys.index).rename(keys.name)
    return values.infer_objects() if values.dtype == object else values


def text_array(values: pd.Series | np.ndarray) -> pa.Array | None:
    """Values as an Arrow string array, or None when they are not all text (or null)."""
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    text = (pa.types.is_null, pa.types.is_string, pa.types.is_large_string)
    return array.cast(pa.large_string()) if any(t(array.type) for t in text) else None


class AccountIndex:
    """Row positions of account ids, probed by key.

    Each `find` of text ids hashes the ids again: Arrow keeps no hash table between calls
    (about 0.3 s at a million ids, measured in a 1%-changed night). A repeated id resolves
    to its first row. Text ids are looked up by Arrow's hash
    table (about twice pandas' speed on a million ids); others go through a pandas index."""

    def __init__(self, account_ids: pd.Series):
        self.size = len(account_ids)
        self._ids = text_array(account_ids)
        self._fallback: tuple[pd.Index, np.ndarray] | None = None
        if self._ids is None:
            self._fallback = self._pandas_index(account_ids)

    @staticmethod
    def _pandas_index(account_ids: pd.Series) -> tuple[pd.Index, np.ndarray]:
        keys = pd.Index(np.asarray(account_ids, dtype=object))
        if keys.is_unique:
            return keys, np.arange(len(keys))
        first = ~keys.duplicated()
        return keys[first], np.flatnonzero(first)

    def find(self, keys: pd.Series | np.ndarray) -> np.ndarray:
        """Row of each key (-1 when absent)."""
        if not len(keys):  # Arrow would still hash every id to probe nothing
            return np.zeros(0, dtype=np.int64)
        probe = text_array(keys) if self._ids is not None else None
        if probe is not None:
            at = pc.index_in(probe, value_set=self._ids, skip_nulls=False)
            return np.asarray(pc.fill_null(at, -1), dtype=np.int64)
        if self._fallback is None:
            self._fallback = self._pandas_index(pd.Series(self._ids.to_pandas()))
        index, rows = self._fallback
        at = index.get_indexer(np.asarray(keys, dtype=object))
        found = at >= 0
        out = np.full(len(at), -1, dtype=np.int64)
        out[found] = rows[at[found]]
        return out

    def spread(self, keys: pd.Series, values, fill: object = None) -> np.ndarray:
        """An array aligned with the accounts: `values[i]` at the row of `keys[i]`."""
        at = self.find(keys)
        out = np.full(self.size, fill, dtype=object)
        found = at >= 0
        out[at[found]] = np.asarray(values, dtype=object)[found]
        return out


# --- text columns: formatted once per distinct value, concatenated by Arrow ----------
NULL_TEXT = pa.scalar(None, pa.string())


def _distinct_rows(columns: tuple[pd.Series, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row's combination of values, first row of each code)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1  # key < span
    for column in columns:
        codes, uniques = factorize(column)
        radix = len(uniques) + 1
        if span * radix >= 2**62:  # about to overflow: renumber the combinations so far
            key, seen = pd.factorize(key)
            span = len(seen)
        key = key * radix + codes + 1
        span *= radix
    key, _ = pd.factorize(key)
    first = np.empty(int(key.max(initial=-1)) + 1, dtype=np.int64)
    first[key[::-1]] = np.arange(len(key) - 1, -1, -1)
    return key, first


def _plain(value: object) -> object:
    return None if value is None or value is pd.NA or value is pd.NaT or value != value else value


def distinct_format(formatter: Callable[..., str | None], *columns: pd.Series) -> pa.Array:
    """formatter(*values) for every row, computed once per distinct combination of values
    (missing values arrive as None); a None result is a null string."""
    key, first = _distinct_rows(columns)
    samples = [pd.Series(c).iloc[first].tolist() for c in columns]
    labels = [formatter(*(_plain(v) for v in values)) for values in zip(*samples, strict=True)]
    return pa.array(labels, type=pa.string()).take(pa.array(key))


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate strings and string arrays element-wise; a null part counts as ''."""
    return pc.binary_join_element_wise(*parts, "", null_handling="replace", null_replacement="")


def join_present(parts: list[pa.Array], sep: str) -> pa.Array:
    """Join the non-null parts with `sep`; null where every part is null.

    (pyarrow's own null_handling="skip" drops all-null rows, shortening the result.)"""
    if not parts:
        raise ValueError("join_present needs at least one part")
    with_sep = [join(p, pc.if_else(pc.is_null(p), NULL_TEXT, pa.scalar(sep))) for p in parts]
    text = pc.utf8_rtrim(join(*with_sep), characters=sep)
    return pc.if_else(pc.equal(text, ""), NULL_TEXT, text)


def when(mask: pd.Series | np.ndarray, text: str) -> pa.Array:
    """`text` where `mask` holds, null elsewhere."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), pa.scalar(text), NULL_TEXT)
