"""The rule that folds a night's incremental read of a CRM's related records (open
Opportunities, Contracts, Cases) into the records held since the last night.

The held frame has the records a full read would give: the open ones only. The night's
read has every record stamped at or after the mark minus an overlap, open or not, deleted
ones too (`IsDeleted`), so it re-reads some records already held. A record read replaces
its held version whatever the stamps say (the read is the org as it is now; two saves in
one second carry one stamp); it is kept only while open and not deleted. The accounts
touched are those of the records that came, went or changed (a record re-read as it was
held touches nothing), and those the replaced versions pointed at (a record moved to
another account changes both accounts' signals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MergedRecords:
    records: pd.DataFrame  # the held columns, one row per open record, sorted by Id
    touched_accounts: frozenset[str]


def merge_related(
    held: pd.DataFrame, read: pd.DataFrame, open_field: str, open_value: Any
) -> MergedRecords:
    """`held` (Id, AccountId, ...) with `read` (the same columns plus `open_field` and
    IsDeleted) folded in: see the module docstring."""
    read = read.drop_duplicates("Id", keep="last").reset_index(drop=True)
    deleted = read["IsDeleted"].fillna(False).astype(bool)
    still_open = (read[open_field].eq(open_value) & ~deleted).to_numpy()
    columns = list(held.columns)
    before = held.set_index("Id").reindex(read["Id"])
    after = read.set_index("Id")[columns[1:]]
    was_held = read["Id"].isin(held["Id"]).to_numpy()
    same = ((before == after) | (before.isna() & after.isna())).all(axis=1).to_numpy()
    moved = np.where(was_held, ~still_open | ~same, still_open)
    touched = {
        *read.loc[moved, "AccountId"].dropna(),
        *before.loc[moved & was_held, "AccountId"].dropna(),
    }
    replaced = held["Id"].isin(read["Id"])
    kept = pd.concat([held[~replaced], read.loc[still_open, columns]], ignore_index=True)
    records = kept.sort_values("Id", kind="stable").reset_index(drop=True).astype(object)
    return MergedRecords(records, frozenset(touched))
