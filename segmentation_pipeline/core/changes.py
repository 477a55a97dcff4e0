"""Fold an extract into the previous snapshot and say exactly what changed.

A nightly extract carries only the records modified since the high-water mark; a full
extract carries every record. Either way the result is the complete current snapshot,
and a change set found by comparing each record's content hash with the one stored
beside the previous snapshot, so a record touched without a real edit is not counted
as changed and a missed delta can never hide an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.core.util.hashing import combine_hash_arrays

from segmentation_pipeline.core.columns import (
    absent_from,
    factorize,
    isin_by_hash,
    mostly_distinct,
)

ROW_HASH = "_row_hash"


@dataclass(frozen=True)
class ChangeSet:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return len(self.new) + len(self.updated) + len(self.deleted)


def row_hashes(frame: pd.DataFrame, ignore: Sequence[str] = ()) -> pd.Series:
    """A 64-bit content hash per row over every column but `ignore`, in a fixed order."""
    columns = sorted(c for c in frame.columns if c not in ignore and c != ROW_HASH)
    # Text hashes alike whether held as object or string dtype; anything else becomes text.
    as_text = frame[columns].astype(
        {c: "string" for c in columns if not pd.api.types.is_string_dtype(frame[c].dtype)}
    )
    return pd.Series(frame_hashes(as_text), index=frame.index, dtype="uint64")


def _distinct_text(values: pd.Series) -> bool:
    """A mostly distinct column of text (checked in that order: the sample is cheap, and
    only the few mostly distinct object columns need their values' type inferred)."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return False
    # Mostly distinct: hashing through the distinct values (pandas' default) doubles the work.
    if not mostly_distinct(values):
        return False
    return values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) == "string"


def _object_hashes(values: pd.Series) -> np.ndarray:
    """`pd.util.hash_pandas_object(values, index=False)` of an object column, the way
    pandas does it (hash the distinct values, then spread them over the rows) but with
    the distinct values found by `columns.factorize`, much faster on repetitive columns."""
    codes, uniques = factorize(values)
    dtype = pd.CategoricalDtype(pd.Index(uniques, copy=False), ordered=False)
    as_categories = pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), copy=False)
    return pd.util.hash_pandas_object(as_categories, index=False).to_numpy()


def _column_hashes(values: pd.Series) -> np.ndarray:
    """`pd.util.hash_pandas_object(values, index=False)`, value for value. A mostly
    distinct text column is hashed value by value; its missing values take the hash
    pandas gives a missing value on its default path (the largest uint64), so the result
    is the same whichever way a column goes. Only text goes that way: pandas' default
    path hashes other objects (timestamps, numbers) by their inferred type, not as text."""
    if not _distinct_text(values):
        if values.dtype == object:
            return _object_hashes(values)
        return pd.util.hash_pandas_object(values, index=False).to_numpy()
    missing = values.isna().to_numpy(dtype=bool)
    if not missing.any():
        return pd.util.hash_pandas_object(values, index=False, categorize=False).to_numpy()
    hashes = np.full(len(values), np.iinfo(np.uint64).max, dtype=np.uint64)
    present = values[~missing]
    hashes[~missing] = pd.util.hash_pandas_object(present, index=False, categorize=False).to_numpy()
    return hashes


def frame_hashes(frame: pd.DataFrame) -> np.ndarray:
    """`pd.util.hash_pandas_object(frame, index=False)`, value for value, faster: pandas
    factorizes every text column before hashing it, which doubles the work on columns of
    distinct values (names, ids, explanations); those are hashed directly, which gives
    the same hashes (`_column_hashes`)."""
    if not len(frame.columns):
        return pd.util.hash_pandas_object(frame, index=False).to_numpy()
    columns = (_column_hashes(frame.iloc[:, i]) for i in range(frame.shape[1]))
    return combine_hash_arrays(columns, frame.shape[1])


def merge_extract(
    previous: pd.DataFrame | None,
    extract: pd.DataFrame,
    *,
    key: str,
    full_refresh: bool,
    deleted_ids: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> tuple[pd.DataFrame, ChangeSet]:
    """The current snapshot (with a ROW_HASH column) and what changed since `previous`.

    Records keep their previous position; new ones are appended in extract order. On a
    full refresh a record absent from the extract is deleted; on an incremental one only
    the `deleted_ids` the source reports are. Rows without a key cannot be tracked: a
    full refresh replaces them, an incremental extract adds the ones not yet held.
    """
    extract = extract.assign(**{ROW_HASH: row_hashes(extract, ignore).to_numpy()})
    keyed = extract[extract[key].notna()].drop_duplicates(key, keep="last")
    unkeyed = extract[extract[key].isna()]
    if previous is None or previous.empty:
        snapshot = pd.concat([keyed, unkeyed], ignore_index=True)
        return snapshot, ChangeSet(new=keyed[key].tolist())

    held = previous[previous[key].notna()]
    # Keys as integer codes of one shared factorization: set logic in numpy, not on strings.
    codes, _ = pd.factorize(pd.concat([held[key], keyed[key]], ignore_index=True))
    held_codes, extract_codes = codes[: len(held)], codes[len(held) :]
    position = np.full(codes.max() + 1 if len(codes) else 0, -1)
    position[held_codes] = np.arange(len(held))
    where_held = position[extract_codes]
    known = where_held >= 0
    held_hash = held[ROW_HASH].to_numpy()
    same = known & (keyed[ROW_HASH].to_numpy() == held_hash[np.maximum(where_held, 0)])
    if full_refresh:
        gone = ~isin_by_hash(held_codes, extract_codes)
    else:
        gone = held[key].isin(list(deleted_ids)).to_numpy()
    replaced = np.zeros(len(held), dtype=bool)
    replaced[where_held[known & ~same]] = True

    # Held rows keep their place; edited ones take it over; new ones follow in extract order.
    # One take over held + changed rows (on Arrow-backed text a take is a full copy).
    changed = keyed[~same]
    changed_positions = len(held) + np.arange(len(changed))
    source = np.where(~gone & ~replaced, np.arange(len(held)), -1)
    edited_at = where_held[~same]
    edited = known[~same]
    source[edited_at[edited]] = changed_positions[edited]
    source = np.concatenate([source[~gone | replaced], changed_positions[~edited]])
    merged = pd.concat([held, changed], ignore_index=True).take(source)

    if full_refresh:
        rows_without_key = unkeyed
    else:
        rows_without_key = pd.concat([previous[previous[key].isna()], unkeyed])
        rows_without_key = rows_without_key.drop_duplicates(ROW_HASH)
    snapshot = pd.concat([merged, rows_without_key], ignore_index=True)
    changes = ChangeSet(
        new=keyed.loc[~known, key].tolist(),
        updated=keyed.loc[known & ~same, key].tolist(),
        deleted=held.loc[gone, key].tolist(),
        unchanged=int(same.sum()),
    )
    return snapshot, changes


def unlisted_ids(
    previous: pd.DataFrame | None, listed: pd.Series | None, full_refresh: bool, key: str = "Id"
) -> list[str]:
    """Held accounts a source that lists every account (`listed`) no longer lists: deleted
    tonight. Nothing on a full refresh (the merge finds them) or without a listing."""
    if previous is None or listed is None or full_refresh:
        return []
    return absent_from(previous[key], listed)


SOURCE_HASH = "_source_hash"
# The `frame_hashes` of an assignment row, carried by the assignments so the steps that
# need it (the warehouse sync, the CSM views' row keys) do not each hash a million rows.
ASSIGNMENT_HASH = "_assignment_hash"


def with_assignment_hashes(assignments: pd.DataFrame) -> pd.DataFrame:
    """The assignments plus ASSIGNMENT_HASH, the `frame_hashes` of their other columns."""
    rows = assignments.drop(columns=[ASSIGNMENT_HASH], errors="ignore")
    return rows.assign(**{ASSIGNMENT_HASH: frame_hashes(rows)})


def split_assignment_hashes(assignments: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The assignments without ASSIGNMENT_HASH, and that hash when they carried it."""
    if ASSIGNMENT_HASH not in assignments.columns:
        return assignments, None
    hashes = assignments[ASSIGNMENT_HASH].to_numpy(dtype=np.uint64)
    return assignments.drop(columns=[ASSIGNMENT_HASH]), hashes


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads every input bit over the whole word."""
    z = values.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def group_hashes(hashes: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """One 64-bit hash per group (0..size-1) over its members' hashes and their order
    within the group: equal for a group whose members and their order are unchanged,
    different (but for a 2**-64 chance) otherwise."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    groups = np.asarray(groups, dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    rank = np.arange(len(groups)) - np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    ranks = np.empty(len(groups), dtype=np.uint64)
    ranks[order] = rank.astype(np.uint64)
    with np.errstate(over="ignore"):
        members = _mix(hashes + _GOLDEN * (ranks + np.uint64(1)))
        totals = np.zeros(size, dtype=np.uint64)
        np.add.at(totals, groups, members)
        counts = np.bincount(groups, minlength=size).astype(np.uint64)
        return _mix(totals ^ _mix(counts))
