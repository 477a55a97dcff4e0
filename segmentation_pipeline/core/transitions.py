"""Boundary crossings as a review queue (methodology edge case 4).

When an account's computed tier differs from its current tier, the account keeps the
current tier and a row opens in `segment_transitions`; the move is applied once CS Ops
approves it (a row in `segment_transition_decisions`), after the policy's grace period,
or at once under an `immediate` policy. Upgrades and downgrades have separate policies.

The current tier is the CRM's tier, except where the pipeline applied a move that the
CRM does not show yet (no write-back): then it is the tier the move went to. Where the
CRM has no tier at all, it is the tier the pipeline last published (the account's open
history row), so a later move of such an account is reviewed like any other.

Queue rows: pending -> applied | rejected | withdrawn. Closed rows never change again,
and a run on unchanged data changes no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from segmentation_pipeline.core.columns import AccountIndex, is_in, join, lookup, member_of
from segmentation_pipeline.framework.models import Framework

TRANSITION_COLUMNS: tuple[str, ...] = (
    "transition_id", "account_id", "from_segment", "to_segment", "direction", "status",
    "applied_by", "decided_by", "opened_at", "closed_at", "opened_run_id", "closed_run_id",
    "composite_score",
)  # fmt: skip
DECISION_COLUMNS: tuple[str, ...] = (
    "account_id", "to_segment", "decision", "decided_by", "decided_at", "note",
)  # fmt: skip
PENDING, APPLIED, REJECTED, WITHDRAWN = "pending", "applied", "rejected", "withdrawn"

# Per-account columns the gate adds to assignments.
GATE_COLUMNS: tuple[str, ...] = (
    "current_tier", "transition_id", "transition_from", "transition_to", "transition_direction",
    "transition_status", "transition_rule", "transition_opened_at", "decided_by",
)  # fmt: skip


def utc_naive(moment: datetime | pd.Timestamp) -> pd.Timestamp:
    """Timestamps in the queue and history are naive UTC."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def empty_transitions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TRANSITION_COLUMNS})


def empty_decisions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in DECISION_COLUMNS})


def empty_published() -> pd.DataFrame:
    return pd.DataFrame({"account_id": pd.Series(dtype=object), "segment": pd.Series(dtype=object)})


@dataclass(frozen=True)
class PriorState:
    """What earlier runs left: the queue, CS Ops' decisions, the open history rows (of
    accounts with a provisional one), and the tier each account was last published with
    (`published`: account_id, segment), the current tier where the CRM shows none."""

    transitions: pd.DataFrame
    decisions: pd.DataFrame
    history: pd.DataFrame
    published: pd.DataFrame = field(default_factory=empty_published)

    @classmethod
    def empty(cls) -> PriorState:
        return cls(empty_transitions(), empty_decisions(), pd.DataFrame(columns=["account_id"]))


def _latest(rows: pd.DataFrame, order: str) -> pd.DataFrame:
    """The last row per account by `order`."""
    rows = rows.sort_values(order, kind="stable")
    return rows.drop_duplicates("account_id", keep="last")


def _with_status(transitions: pd.DataFrame, status: str, order: str) -> pd.DataFrame:
    return _latest(transitions[transitions["status"] == status], order)


class _Aligned:
    """Columns of per-account rows (one row per account) spread onto the accounts."""

    def __init__(self, accounts: AccountIndex, rows: pd.DataFrame):
        self._size, self._rows = accounts.size, rows
        at = accounts.find(rows["account_id"])
        self._found = at >= 0
        self._at = at[self._found]

    def __getitem__(self, column: str) -> np.ndarray:
        out = np.full(self._size, None, dtype=object)
        out[self._at] = self._rows[column].to_numpy(dtype=object)[self._found]
        return out

    def times(self, column: str) -> np.ndarray:
        out = np.full(self._size, np.datetime64("NaT"), dtype="datetime64[ns]")
        stamps = pd.to_datetime(self._rows[column], errors="coerce").to_numpy("datetime64[ns]")
        out[self._at] = stamps[self._found]
        return out


def _one_per_account(published: pd.DataFrame | None) -> pd.DataFrame:
    if published is None or not len(published):
        return empty_published()
    return published.drop_duplicates("account_id", keep="last")


def needs_published_tiers(crm_tier: pd.Series, framework: Framework) -> bool:
    """Whether any account lacks a CRM tier the framework knows: only such accounts take
    the tier the pipeline last published as their current one (`_current_tiers`)."""
    return not is_in(crm_tier, [t.name for t in framework.tiers]).all()


def _current_tiers(
    crm_tier: pd.Series, applied: _Aligned, published: np.ndarray, names: list[str]
) -> np.ndarray:
    """The tier each account is in now: the CRM's, or the target of the last move the
    pipeline applied while the CRM still shows that move's origin (or nothing), or,
    where the CRM shows nothing, the tier the pipeline last published."""
    moved_from, moved_to = applied["from_segment"], applied["to_segment"]
    crm = crm_tier.where(is_in(crm_tier, names)).to_numpy(dtype=object)
    last = np.where(is_in(pd.Series(published, dtype=object), names).to_numpy(), published, None)
    not_written_back = pd.notna(moved_to) & (pd.isna(crm) | (crm == moved_from))
    return np.where(not_written_back, moved_to, np.where(pd.isna(crm), last, crm))


def _decisions(decisions: pd.DataFrame, accounts: AccountIndex, now: pd.Timestamp) -> _Aligned:
    """The latest approve/reject decision per account taken by the run's as-of: a later
    decision belongs to a later run (re-running a finished month does not apply it)."""
    valid = decisions[decisions["decision"].isin(["approved", "rejected"])].copy()
    valid["decided_at"] = pd.to_datetime(valid["decided_at"], errors="coerce")
    valid = valid[(valid["decided_at"] <= now).to_numpy(dtype=bool)]
    return _Aligned(accounts, _latest(valid, "decided_at"))


def _object(values: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype=object)


def gate_transitions(
    frame: pd.DataFrame,
    eligible: pd.Series,
    previously_provisional: pd.Series,
    state: PriorState,
    framework: Framework,
    as_of: datetime,
) -> pd.DataFrame:
    """Decide, per account, the segment it holds this run and the state of its crossing.

    `frame` has account_id, crm_tier and computed_segment; `eligible` marks accounts the
    queue applies to (segmented, not overridden, not provisional). Returns `segment` plus
    the GATE_COLUMNS, aligned with `frame`."""
    names = [t.name for t in framework.tiers]
    policy = framework.assignment.transitions
    now = utc_naive(as_of)
    accounts = AccountIndex(frame["account_id"])
    computed = frame["computed_segment"].to_numpy(dtype=object)
    applied = _Aligned(accounts, _with_status(state.transitions, APPLIED, "closed_at"))
    published = _Aligned(accounts, _one_per_account(state.published))["segment"]
    current = _current_tiers(frame["crm_tier"], applied, published, names)
    crossing = eligible.to_numpy(dtype=bool) & pd.notna(current) & (computed != current)
    # A move applied earlier in the run's month stays on the month's rows as the run that
    # applied it wrote them: the next night of the month, or a re-run, shows the same.
    month_start = np.datetime64(pd.Timestamp(now.year, now.month, 1), "ns")
    applied_this_month = (
        eligible.to_numpy(dtype=bool)
        & (applied.times("closed_at") >= month_start)
        & (applied["to_segment"] == current)
        & (computed == current)
    )

    # From here on, only the accounts that cross a boundary.
    rows = np.flatnonzero(crossing)
    source, target = current[rows], computed[rows]
    rank = {name: i for i, name in enumerate(names)}
    upgrade = lookup(_object(target, pd.RangeIndex(len(rows))), rank, np.nan).to_numpy(
        dtype=float
    ) < lookup(_object(source, pd.RangeIndex(len(rows))), rank, np.nan).to_numpy(dtype=float)

    pending = _Aligned(accounts, _with_status(state.transitions, PENDING, "opened_at"))
    continues = (pending["from_segment"][rows] == source) & (pending["to_segment"][rows] == target)
    opened_at = np.where(continues, pending.times("opened_at")[rows], np.datetime64(now, "ns"))
    fresh_id = join(
        pa.array(frame["account_id"].take(rows), type=pa.string(), from_pandas=True),
        "|",
        pa.array(source, type=pa.string()),
        "->",
        pa.array(target, type=pa.string()),
        "|" + now.isoformat(),
    ).to_numpy(zero_copy_only=False)
    transition_id = np.where(continues, pending["transition_id"][rows], fresh_id)

    rejected = _Aligned(accounts, _with_status(state.transitions, REJECTED, "closed_at"))
    stays_rejected = (
        ~continues
        & (rejected["from_segment"][rows] == source)
        & (rejected["to_segment"][rows] == target)
    )
    latest = _decisions(state.decisions, accounts, now)
    concerns = (
        continues
        & (pd.isna(latest["to_segment"][rows]) | (latest["to_segment"][rows] == target))
        & (latest.times("decided_at")[rows] >= opened_at)
    )
    decision = np.where(concerns, latest["decision"][rows], None)
    decided_by = np.where(concerns, latest["decided_by"][rows], None)
    grace = np.where(upgrade, _days(policy.upgrade.grace_days), _days(policy.downgrade.grace_days))
    waited = (np.datetime64(now, "ns") - opened_at) / np.timedelta64(1, "D")
    immediate = np.where(
        upgrade, policy.upgrade.policy == "immediate", policy.downgrade.policy == "immediate"
    )
    provisional_exit = previously_provisional.to_numpy(dtype=bool)[rows] & (
        policy.provisional_exit == "immediate"
    )
    rule = np.select(
        [
            stays_rejected,
            provisional_exit,
            immediate,
            decision == "approved",
            decision == "rejected",
            waited >= grace,
        ],
        ["review", "provisional_exit", "immediate", "approval", "review", "grace"],
        default=None,
    )
    status = np.select(
        [stays_rejected | (decision == "rejected"), pd.notna(rule)],
        [REJECTED, APPLIED],
        default=PENDING,
    )
    kept = status != APPLIED

    def spread(values: np.ndarray) -> pd.Series:
        out = np.full(len(frame), None, dtype=object)
        out[rows] = values
        return _object(out, frame.index)

    segment = computed.copy()
    segment[rows[kept]] = source[kept]
    # An account with no tier yet holds the one this run publishes: the next run reads it
    # back as the last published tier, and on the same input writes the same row.
    first = pd.isna(current) & is_in(pd.Series(segment, dtype=object), names).to_numpy()
    current = np.where(first, segment, current)
    opened = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    opened.iloc[rows] = np.where(stays_rejected, np.datetime64("NaT"), opened_at)
    gated = pd.DataFrame(
        {
            "segment": _object(segment, frame.index),
            "current_tier": _object(current, frame.index),
            "transition_id": spread(np.where(stays_rejected, None, transition_id)),
            "transition_from": spread(source),
            "transition_to": spread(target),
            "transition_direction": spread(np.where(upgrade, "upgrade", "downgrade")),
            "transition_status": spread(status),
            "transition_rule": spread(rule),
            "transition_opened_at": opened,
            "decided_by": spread(decided_by),
        },
        index=frame.index,
    )
    return _with_applied_this_month(gated, np.flatnonzero(applied_this_month), applied)


def _with_applied_this_month(gated: pd.DataFrame, held: np.ndarray, applied: _Aligned):
    """The gate's columns of the `held` rows set from the move applied to them this month."""
    if not len(held):
        return gated
    values = {
        "current_tier": "from_segment",
        "transition_id": "transition_id",
        "transition_from": "from_segment",
        "transition_to": "to_segment",
        "transition_direction": "direction",
        "transition_rule": "applied_by",
        "decided_by": "decided_by",
    }
    for column, source in values.items():
        gated.iloc[held, gated.columns.get_loc(column)] = applied[source][held]
    gated.iloc[held, gated.columns.get_loc("transition_status")] = APPLIED
    gated.iloc[held, gated.columns.get_loc("transition_opened_at")] = applied.times("opened_at")[
        held
    ]
    return gated


# What update_queue reads of the assignments: the account, its score and the gate's
# columns but the two it does not write to the queue.
_QUEUE_INPUTS: tuple[str, ...] = (
    "account_id",
    "composite_score",
    *(c for c in GATE_COLUMNS if c not in ("current_tier", "transition_opened_at")),
)


def _days(value: int | None) -> float:
    return np.inf if value is None else float(value)


def _moving(assignments: pd.DataFrame) -> pd.DataFrame:
    """The gate's columns of the accounts with a transition this run, one row per id."""
    moving = assignments.loc[
        assignments["transition_id"].notna().to_numpy(dtype=bool), list(_QUEUE_INPUTS)
    ]
    return moving.drop_duplicates("transition_id")


def closing_transitions(pending_ids: pd.Series, assignments: pd.DataFrame) -> pd.Series:
    """Of the stored pending rows' ids, those this run closes: no longer carried, or
    carried with a status other than pending. Reading only these rows in full is what
    keeps a quiet night from reading the whole queue."""
    moving = _moving(assignments)
    still_pending = moving["transition_status"].eq(PENDING).to_numpy(dtype=bool)
    return pending_ids[~member_of(pending_ids, moving.loc[still_pending, "transition_id"])]


def new_transition_ids(assignments: pd.DataFrame, pending_ids: pd.Series) -> pd.Series:
    """This run's transition ids that are not stored pending rows: the ones to look up
    among the closed rows before opening them (usually only tonight's new crossings)."""
    ids = _moving(assignments)["transition_id"]
    return ids[~member_of(ids, pending_ids)]


def queue_changes(
    closing: pd.DataFrame,
    stored_ids: pd.Series,
    assignments: pd.DataFrame,
    as_of: datetime,
    run_id: str,
) -> pd.DataFrame:
    """The queue rows this run changes (to upsert by transition_id).

    `closing` holds the full stored rows that `closing_transitions` names; `stored_ids`
    must hold every stored id among this run's transition ids (the pending ids plus the
    `new_transition_ids` found in the queue, or simply the whole queue's ids): an id
    already stored never opens again.
    Closing rows are withdrawn when this run no longer carries them (the account went
    back to its tier, was overridden, lost a required field or left the CRM)."""
    now = utc_naive(as_of)
    closing = closing.reindex(columns=list(TRANSITION_COLUMNS))
    moving = _moving(assignments)
    carried = moving.set_index("transition_id")
    ids = closing["transition_id"]
    changed_old = closing.copy()
    still = member_of(ids, carried.index)
    changed_old["status"] = ids.map(carried["transition_status"]).where(still, WITHDRAWN)
    changed_old["applied_by"] = ids.map(carried["transition_rule"])
    changed_old["decided_by"] = ids.map(carried["decided_by"])
    changed_old["closed_at"] = now
    changed_old["closed_run_id"] = run_id

    known = pd.concat([pd.Series(stored_ids, dtype=object), ids.astype(object)])
    fresh = moving[~member_of(moving["transition_id"], known)]
    opened = pd.DataFrame(
        {
            "transition_id": fresh["transition_id"],
            "account_id": fresh["account_id"],
            "from_segment": fresh["transition_from"],
            "to_segment": fresh["transition_to"],
            "direction": fresh["transition_direction"],
            "status": fresh["transition_status"],
            "applied_by": fresh["transition_rule"],
            "decided_by": fresh["decided_by"],
            "opened_at": now,
            "closed_at": np.where(fresh["transition_status"] == PENDING, pd.NaT, now),
            "opened_run_id": run_id,
            "closed_run_id": np.where(fresh["transition_status"] == PENDING, None, run_id),
            "composite_score": fresh["composite_score"],
        }
    )
    changed = pd.concat([changed_old, opened], ignore_index=True)
    for column in ("opened_at", "closed_at"):
        changed[column] = pd.to_datetime(changed[column])
    return changed.reindex(columns=list(TRANSITION_COLUMNS))


@dataclass(frozen=True)
class QueueUpdate:
    """What a run does to the queue and what its metadata shows of the queue after."""

    changed: pd.DataFrame  # rows to upsert by transition_id (TRANSITION_COLUMNS)
    row_count: int
    status_counts: dict[str, int]  # by count, descending
    pending_preview: pd.DataFrame  # the first pending rows

    @classmethod
    def of(cls, queue: pd.DataFrame, changed: pd.DataFrame, rows: int = 10) -> QueueUpdate:
        """From the whole queue after the run (what `update_queue` returns)."""
        counts = _sorted_counts(queue["status"].value_counts())
        preview = queue[queue["status"].eq(PENDING)].head(rows).reset_index(drop=True)
        return cls(changed, len(queue), counts, preview)


def _sorted_counts(counts: pd.Series) -> dict[str, int]:
    """Counts by size, descending, ties by name: the same order however they were made."""
    counts = counts[counts > 0].sort_index().sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in counts.items()}


def status_counts_after(
    before: dict[str, int], closing: pd.DataFrame, changed: pd.DataFrame
) -> dict[str, int]:
    """Rows per status once `changed` replaces the stored `closing` rows (and adds the
    rest), from the stored counts: no need to hold the whole queue to count it."""
    known = {k: v for k, v in before.items() if k is not None}  # value_counts skips nulls
    counts = pd.Series(known, dtype="int64")
    counts = counts.sub(closing["status"].value_counts(), fill_value=0)
    counts = counts.add(changed["status"].value_counts(), fill_value=0).astype("int64")
    return _sorted_counts(counts)


def pending_preview(staying: pd.DataFrame, changed: pd.DataFrame, rows: int = 10) -> pd.DataFrame:
    """The first pending rows of the queue after the run, in the order update_queue puts
    them: the stored rows still pending (`staying`, in stored order), then the new ones."""
    opened = changed[changed["status"].eq(PENDING)]
    parts = [p for p in (staying.head(rows), opened.head(rows)) if len(p)]
    preview = pd.concat(parts, ignore_index=True).head(rows) if parts else changed.iloc[:0]
    return preview.reindex(columns=list(TRANSITION_COLUMNS))


def update_queue(
    stored: pd.DataFrame, assignments: pd.DataFrame, as_of: datetime, run_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The queue after this run, and the rows that changed (to upsert by transition_id).

    Pending rows that this run no longer carries are withdrawn (the account went back
    to its tier, was overridden, lost a required field or left the CRM)."""
    stored = stored.reindex(columns=list(TRANSITION_COLUMNS))
    pending = stored[stored["status"] == PENDING]
    closing = closing_transitions(pending["transition_id"], assignments)
    changed = queue_changes(
        pending[member_of(pending["transition_id"], closing)],
        stored["transition_id"],
        assignments,
        as_of,
        run_id,
    )
    unchanged = stored[~member_of(stored["transition_id"], changed["transition_id"])]
    queue = pd.concat([unchanged, changed], ignore_index=True) if len(unchanged) else changed
    return queue.reindex(columns=list(TRANSITION_COLUMNS)), changed
