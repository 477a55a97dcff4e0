"""Review decisions entered outside SQL: a `Segment_Review__c` record (or a row of the
file CRM's segment_reviews.csv) or the launchpad's review job, made into rows of
`segment_transition_decisions`.

CRM records are read again every night, so a decision is new only when no stored row
has the same account, decision, author and moment; the gate applies the latest one per
account (`core.transitions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.core.transitions import DECISION_COLUMNS, empty_decisions, utc_naive

# What people type (any case) -> what the queue understands.
DECISION_WORDS = {
    "approve": "approved",
    "approved": "approved",
    "reject": "rejected",
    "rejected": "rejected",
}
# A decision's identity: the same record read twice is one decision.
DECISION_KEY: tuple[str, ...] = ("account_id", "decision", "decided_by", "decided_at")


@dataclass(frozen=True)
class ReadDecisions:
    """Decisions ready to store, and the entries that could not be read as one."""

    decisions: pd.DataFrame  # DECISION_COLUMNS
    invalid: pd.DataFrame  # the entry's columns plus `problem`


def normalize_decisions(entries: pd.DataFrame) -> ReadDecisions:
    """Entries with account_id, decision, decided_by, decided_at (to_segment and note
    optional) as decision rows: the decision word mapped, times in naive UTC. An entry
    without an account, a known decision word, an author or a moment is invalid."""
    frame = entries.reindex(columns=list(DECISION_COLUMNS)).copy()
    words = frame["decision"].astype("string").str.strip().str.lower()
    mapped = words.astype(object).map(DECISION_WORDS)
    frame["decision"] = mapped.astype(object).where(mapped.notna(), None)
    moments = pd.to_datetime(frame["decided_at"], errors="coerce", utc=True, format="ISO8601")
    frame["decided_at"] = moments.dt.tz_convert("UTC").dt.tz_localize(None)
    for column in ("account_id", "decided_by", "to_segment", "note"):
        text = frame[column].astype("string").str.strip()
        blank = text.isna() | text.eq("")
        frame[column] = text.astype(object).where(~blank.to_numpy(dtype=bool), None)
    problem = (
        pd.Series(None, index=frame.index, dtype=object)
        .mask(frame["decided_at"].isna(), "no decision time")
        .mask(frame["decided_by"].isna(), "no author")
        .mask(frame["decision"].isna(), "decision is not approve or reject")
        .mask(frame["account_id"].isna(), "no account")
    )
    valid = problem.isna().to_numpy(dtype=bool)
    invalid = entries.loc[~valid].assign(problem=problem[~valid].to_numpy())
    decisions = frame.loc[valid].reset_index(drop=True)
    if not len(decisions):
        decisions = empty_decisions()
    return ReadDecisions(decisions, invalid.reset_index(drop=True))


def _keys(frame: pd.DataFrame) -> pd.Series:
    times = pd.to_datetime(frame["decided_at"]).dt.floor("s").astype(str)
    parts = [frame[c].astype(str) for c in DECISION_KEY if c != "decided_at"]
    return parts[0].str.cat([*parts[1:], times], sep="|")


def new_decisions(incoming: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """The incoming decisions no stored row already holds (by DECISION_KEY, the moment
    to the second, as a database round trip keeps it), each once."""
    if not len(incoming):
        return empty_decisions()
    keys = _keys(incoming)
    known = set(_keys(stored)) if len(stored) else set()
    fresh = incoming[~keys.isin(known).to_numpy() & ~keys.duplicated().to_numpy()]
    return fresh.reindex(columns=list(DECISION_COLUMNS)).reset_index(drop=True)


def launchpad_decisions(entries: list[dict], decided_at) -> pd.DataFrame:
    """Decisions listed in a run's config (account_id, decision, decided_by, note,
    to_segment), all taken at the run's moment."""
    frame = pd.DataFrame(entries).reindex(columns=list(DECISION_COLUMNS))
    frame["decided_at"] = utc_naive(decided_at)
    return frame
