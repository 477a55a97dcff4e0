"""The rule that folds a night's incremental read of a CRM's related records (open
Opportunities, Contracts, Cases) into the records held since the last night.

The held frame has the records a full read would give: the open ones only. The night's
read has every record stamped at or after the mark minus an overlap, open or not, deleted
ones too (`IsDeleted`), so it re-reads some records already held. A record read replaces
its held version whatever the stamps say (the read is the org as it is now; two saves in
one second carry one stamp); it is kept only while open and not deleted. The accounts
touched are those of the records read and those the replaced versions pointed at (a record
moved to another account changes both accounts' signals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    read = read.drop_duplicates("Id", keep="last")
    deleted = read["IsDeleted"].fillna(False).astype(bool)
    still_open = read[open_field].eq(open_value) & ~deleted
    replaced = held["Id"].isin(read["Id"])
    kept = pd.concat([held[~replaced], read.loc[still_open, list(held.columns)]], ignore_index=True)
    touched = {*read["AccountId"].dropna(), *held.loc[replaced, "AccountId"].dropna()}
    records = kept.sort_values("Id", kind="stable").reset_index(drop=True).astype(object)
    return MergedRecords(records, frozenset(touched))
