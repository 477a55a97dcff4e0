"""`segment_history`: a type-2 table of every account's segment over time.

One row per account and version: a change in a tracked column (segment, status,
service model, unsegmented reason, framework version by default) closes the open row
(`valid_to` = the run's as-of) and opens a new one; a run on unchanged data changes no
row. "What segment was this account in on date D, and why" is then a range query on
valid_from and valid_to, answered with the explanation written when the version opened.

History only moves forward: a run whose as-of is not after an account's open version
(a backfill of an older month) leaves that account's history alone and is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import get_args

import numpy as np
import pandas as pd

from segmentation_pipeline.core.columns import AccountIndex
from segmentation_pipeline.core.transitions import utc_naive
from segmentation_pipeline.framework.models import Framework, HistoryColumn

HISTORY_COLUMNS: tuple[str, ...] = (
    "history_id",
    "account_id",
    *get_args(HistoryColumn),  # the assignment columns a version keeps (and may track)
    "explanation",
    "run_id",
    "valid_from",
    "valid_to",
    "is_current",
)


@dataclass(frozen=True)
class HistoryChanges:
    """What one run does to segment_history: rows to close, rows to add."""

    closed: pd.DataFrame  # history_id, valid_to
    opened: pd.DataFrame  # HISTORY_COLUMNS
    stale_accounts: int  # accounts skipped because the run's as-of is not newer

    @property
    def empty(self) -> bool:
        return self.closed.empty and self.opened.empty


def history_reads(framework: Framework) -> list[str]:
    """The open-row columns `history_changes` reads: keys, valid_from, tracked columns."""
    return ["history_id", "account_id", "valid_from", *framework.assignment.history.tracked_columns]


def _as_text(uniques: pd.Index | np.ndarray) -> np.ndarray:
    """Distinct values as text for a null-safe comparison across a database round trip
    (booleans come back from SQLite as 0/1, numbers as floats). Text stays text: read as
    numbers, framework versions 2026.1 and 2026.10 were one value."""
    distinct = pd.Series(uniques)
    if distinct.dtype == bool:
        distinct = distinct.astype(int)
    is_text = distinct.map(lambda value: isinstance(value, str)).any()
    numeric = pd.to_numeric(distinct, errors="coerce")
    if len(distinct) and not is_text and numeric.notna().all():
        distinct = numeric.astype(float).round(6)
    return distinct.astype(object).astype(str).to_numpy(dtype=object)


def _differs(
    mine: pd.Series, mine_rows: np.ndarray, theirs: pd.Series, their_rows: np.ndarray
) -> np.ndarray:
    """Per taken pair of rows: do `mine[mine_rows]` and `theirs[their_rows]` differ as
    text (`_as_text`, nulls equal to nulls)? Worked out on integer codes: each side is
    factorized once, only distinct values become text, and no per-row text is built,
    taken or compared."""
    mine_codes, mine_uniques = pd.factorize(pd.Series(mine), use_na_sentinel=True)
    their_codes, their_uniques = pd.factorize(pd.Series(theirs), use_na_sentinel=True)
    taken = their_codes[their_rows]
    # The text of `theirs` depends on the distinct values of the rows taken only.
    used = np.unique(taken[taken >= 0])
    their_text = np.full(len(their_uniques) + 1, "<null>", dtype=object)
    their_text[used] = _as_text(their_uniques[used])
    mine_text = np.append(_as_text(mine_uniques), "<null>")
    words, _ = pd.factorize(np.concatenate([mine_text, their_text]))
    mine_words, their_words = words[: len(mine_text)], words[len(mine_text) :]
    return mine_words[mine_codes[mine_rows]] != their_words[taken]


def history_changes(
    current: pd.DataFrame,
    assignments: pd.DataFrame,
    framework: Framework,
    as_of: datetime,
    run_id: str,
) -> HistoryChanges:
    """Compare this run's assignments with the open history rows (`current`)."""
    rule = framework.assignment.history
    now = utc_naive(as_of)
    current = current.reindex(columns=list(HISTORY_COLUMNS))
    accounts = AccountIndex(assignments["account_id"])
    at = accounts.find(current["account_id"])
    present = at >= 0

    row_of_account = np.full(len(assignments), -1)
    row_of_account[at[present]] = np.flatnonzero(present)
    has_open = row_of_account >= 0
    valid_from = pd.to_datetime(current["valid_from"], errors="coerce").to_numpy("datetime64[ns]")
    open_from = np.full(len(assignments), np.datetime64("NaT"), dtype="datetime64[ns]")
    open_from[has_open] = valid_from[row_of_account[has_open]]
    stale = has_open & ~(open_from < np.datetime64(now, "ns"))

    differs = ~has_open
    for column in rule.tracked_columns:
        if column in current and column in assignments:
            differs[has_open] |= _differs(
                assignments[column], has_open, current[column], row_of_account[has_open]
            )
    changed = differs & ~stale

    closing = changed & has_open
    closed_ids = current["history_id"].to_numpy(dtype=object)[row_of_account[closing]]
    if rule.close_absent_accounts:
        gone = ~present & (pd.to_datetime(current["valid_from"], errors="coerce") < now).to_numpy(
            dtype=bool
        )
        absent_ids = current["history_id"].to_numpy(dtype=object)[gone]
        closed_ids = np.concatenate([closed_ids, absent_ids])
    closed = pd.DataFrame({"history_id": closed_ids, "valid_to": now})

    opening = assignments[changed]
    opened = opening.reindex(columns=list(HISTORY_COLUMNS)).copy()
    opened["history_id"] = opening["account_id"].astype(str) + "@" + now.isoformat()
    opened["run_id"] = run_id
    opened["valid_from"] = now
    opened["valid_to"] = pd.NaT
    opened["is_current"] = True
    for column in ("valid_from", "valid_to"):
        opened[column] = pd.to_datetime(opened[column])
    return HistoryChanges(
        closed=closed, opened=opened.reset_index(drop=True), stale_accounts=int(stale.sum())
    )
