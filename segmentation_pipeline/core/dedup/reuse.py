"""Carrying last run's matching over to a night whose rows still match as they did.

Matching (keys, blocking, pair scores, guarded clusters) is global: one edited name can
move the sorted neighbourhoods around it. But it reads nothing of a row beyond its
`MATCH_INPUTS`, at its position. A night that edited ARR, owners or contracts and left
every name, domain, phone, city, country and industry where it was gets exactly the
clusters of the night before, so they are taken over and only survivorship and the audit
run again. Any moved match input, added or removed row falls back to matching afresh.

Rows are compared cheaply: a row whose CRM record hash (`SOURCE_HASH`) is unchanged
has unchanged standardized fields, so only the rows whose record changed have their
match inputs hashed. The caller keys the memo on the code and the standardization and
dedup configuration, which is what makes that inference hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation_pipeline.core.changes import SOURCE_HASH, frame_hashes
from segmentation_pipeline.core.dedup.keys import MATCH_INPUTS
from segmentation_pipeline.core.dedup.resolve import ClusterFinding


@dataclass(frozen=True)
class ClusterMemo:
    """A finding with what its rows were: per position, the record hash (when the rows
    carried one) and the hash of the match inputs."""

    finding: ClusterFinding
    source_hashes: np.ndarray | None
    match_hashes: np.ndarray


def match_hashes(frame: pd.DataFrame) -> np.ndarray:
    """Per row: a hash of the columns matching reads."""
    return frame_hashes(frame.loc[:, list(MATCH_INPUTS)])


def _source_hashes(frame: pd.DataFrame) -> np.ndarray | None:
    if SOURCE_HASH not in frame.columns:
        return None
    return frame[SOURCE_HASH].to_numpy(dtype=np.uint64)


def carried_finding(memo: object, accounts: pd.DataFrame) -> tuple[ClusterFinding | None, str]:
    """The memo's finding when every row of `accounts` matches as the memo's did, else
    None; and why, in words for the run's metadata. Anything but a `ClusterMemo` (none
    stored, a file of another layout) counts as no memo."""
    if not isinstance(memo, ClusterMemo):
        return None, "no earlier matching"
    if len(memo.finding) != len(accounts):
        return None, f"accounts went from {len(memo.finding)} to {len(accounts)}"
    sources = _source_hashes(accounts)
    if sources is None or memo.source_hashes is None:
        moved = np.arange(len(accounts))
    else:
        moved = np.flatnonzero(sources != memo.source_hashes)
    if not len(moved):
        return memo.finding, "no account record changed"
    now = match_hashes(accounts.iloc[moved])
    differ = int((now != memo.match_hashes[moved]).sum())
    if differ:
        return None, f"match fields of {differ} accounts changed"
    return memo.finding, f"{len(moved)} account records changed, none of their match fields"


def memo_of(
    finding: ClusterFinding, accounts: pd.DataFrame, carried_from: ClusterMemo | None = None
) -> ClusterMemo:
    """The memo to keep after this run: `carried_from` itself when nothing in it moved
    (nothing to write). A carried finding keeps its match hashes (equal row for row, or it
    would not have been carried) and takes the new record hashes, so tomorrow hashes only
    what changes after today."""
    sources = _source_hashes(accounts)
    if carried_from is None or carried_from.finding is not finding:
        return ClusterMemo(finding, sources, match_hashes(accounts))
    unchanged = (
        sources is not None
        and carried_from.source_hashes is not None
        and np.array_equal(sources, carried_from.source_hashes)
    )
    return carried_from if unchanged else ClusterMemo(finding, sources, carried_from.match_hashes)
