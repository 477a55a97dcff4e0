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

import pandas as pd

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
    as_text = frame[columns].astype("string")
    return pd.util.hash_pandas_object(as_text, index=False).astype("uint64")


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
    before = pd.Series(held[ROW_HASH].to_numpy(), index=held[key])
    known = keyed[key].isin(before.index)
    same = known & (keyed[ROW_HASH].to_numpy() == before.reindex(keyed[key]).to_numpy())
    if full_refresh:
        gone = held[~held[key].isin(keyed[key])][key]
    else:
        gone = held[held[key].isin(deleted_ids)][key]
    kept = held[~held[key].isin(gone) & ~held[key].isin(keyed.loc[known & ~same, key])]

    changed = keyed[~same.to_numpy()]
    # Previous order for what was held, extract order for what is new.
    position = pd.Series(range(len(held)), index=held[key])
    order = pd.concat([kept[key].map(position), changed[key].map(position)]).to_numpy()
    merged = pd.concat([kept, changed], ignore_index=True)
    fallback = len(held) + pd.Series(range(len(merged)))
    merged = merged.iloc[pd.Series(order).fillna(fallback).argsort(kind="stable")]

    if full_refresh:
        rows_without_key = unkeyed
    else:
        rows_without_key = pd.concat([previous[previous[key].isna()], unkeyed])
        rows_without_key = rows_without_key.drop_duplicates(ROW_HASH)
    snapshot = pd.concat([merged, rows_without_key], ignore_index=True)
    changes = ChangeSet(
        new=keyed.loc[~known, key].tolist(),
        updated=keyed.loc[known & ~same, key].tolist(),
        deleted=gone.tolist(),
        unchanged=int(same.sum()),
    )
    return snapshot, changes
