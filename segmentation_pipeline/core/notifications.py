"""What the people who own accounts are told: events of a night's assignments, each with a
key that makes it once-only, grouped per owner into a digest.

Events: a tier change applied, a move waiting for review, a provisional exit, a newly
at-risk account, a renewal within the framework's window. The key names the thing that
happened (the transition, the at-risk episode, the contract end date), so a re-run or
the next night finds the same key and tells nobody twice. An at-risk episode is open
from the night an account is first seen at risk until a night it is not; only a new
episode is an event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from segmentation_pipeline.core.changes import ASSIGNMENT_HASH
from segmentation_pipeline.core.columns import member_of, runs
from segmentation_pipeline.core.transitions import APPLIED, PENDING, utc_naive
from segmentation_pipeline.framework.models import Notifications

TIER_CHANGE, PENDING_REVIEW, PROVISIONAL_EXIT = "tier_change", "pending_review", "provisional_exit"
AT_RISK, RENEWAL = "at_risk", "renewal"
# The digest's sections, in this order, with their headings.
KIND_HEADINGS: dict[str, str] = {
    AT_RISK: "New at-risk accounts",
    PENDING_REVIEW: "Tier moves waiting for review",
    TIER_CHANGE: "Tier changes",
    PROVISIONAL_EXIT: "Provisional exits",
    RENEWAL: "Upcoming renewals",
}
EVENT_COLUMNS: tuple[str, ...] = (
    "event_key", "kind", "account_id", "account_name", "owner_id", "owner", "detail", "arr",
)  # fmt: skip
NO_OWNER = "(no owner)"
# All `notification_events` and `ended_at_risk` read of a night's assignments joined with
# the accounts' contract end dates and owner names: the asset loads only these.
NOTIFICATION_INPUT_COLUMNS: tuple[str, ...] = (
    "account_id", "name", "owner_id", "owner_name", "arr", "segment", "at_risk",
    "transition_id", "transition_from", "transition_to", "transition_status",
    "transition_rule", "contract_end_date", ASSIGNMENT_HASH,
)  # fmt: skip


def empty_events() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})


def owner_labels(assignments: pd.DataFrame) -> pd.Series:
    """The owner's name where an `owner_name` column gives one, else the owner id."""
    ids = assignments.get("owner_id", pd.Series(None, index=assignments.index, dtype=object))
    ids = ids.astype(object).where(ids.notna(), NO_OWNER)
    if "owner_name" not in assignments:
        return ids
    names = assignments["owner_name"].astype(object)
    return names.where(names.notna() & names.astype(str).str.strip().ne(""), ids)


def _events(rows: pd.DataFrame, kind: str, keys: pd.Series, details: pd.Series) -> pd.DataFrame:
    owner_id = rows.get("owner_id", pd.Series(None, index=rows.index, dtype=object))
    return pd.DataFrame(
        {
            "event_key": kind + "|" + keys.astype(str),
            "kind": kind,
            "account_id": rows["account_id"],
            "account_name": rows.get("name", rows["account_id"]),
            "owner_id": owner_id.astype(object).where(owner_id.notna(), NO_OWNER),
            "owner": owner_labels(rows),
            "detail": details,
            "arr": pd.to_numeric(rows.get("arr"), errors="coerce") if "arr" in rows else np.nan,
        }
    )


def _dates(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """Contract end dates as naive UTC days (none known when the column is absent)."""
    if values is None:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    stamps = pd.to_datetime(values, errors="coerce", utc=True)
    return stamps.dt.tz_localize(None).dt.normalize()


def _move(rows: pd.DataFrame) -> pd.Series:
    return rows["transition_from"].astype(str) + " -> " + rows["transition_to"].astype(str)


def notification_events(
    assignments: pd.DataFrame,
    open_at_risk: set[str],
    as_of: datetime,
    settings: Notifications,
    seen: np.ndarray | None = None,
    seen_on: str | None = None,
) -> pd.DataFrame:
    """This night's events (EVENT_COLUMNS) from its assignments (with the accounts'
    contract_end_date, when known); `open_at_risk` holds the accounts whose at-risk
    episode is already open (told before).

    `seen`: the ASSIGNMENT_HASH of every row of the last run that stored its events, on
    day `seen_on` (YYYY-MM-DD). A row seen as it is has its move events stored, and its
    renewal too when it was due that day, so they are left out (the store would find
    them): a night looks up only the rows that changed and the renewals newly due."""
    now = utc_naive(as_of)
    today = now.normalize()
    ends = _dates(assignments.get("contract_end_date"), assignments.index)
    window = pd.Timedelta(days=settings.renewal_window_days)

    def renewal_due(day: pd.Timestamp) -> np.ndarray:
        return ((ends >= day) & (ends <= day + window)).to_numpy(dtype=bool)

    old = np.zeros(len(assignments), dtype=bool)
    told_renewal = old
    if seen is not None:
        old = assignments[ASSIGNMENT_HASH].isin(seen).to_numpy(dtype=bool)
        told_renewal = old & renewal_due(pd.Timestamp(seen_on))
    status = assignments.get("transition_status", pd.Series(None, index=assignments.index))
    rule = assignments.get("transition_rule", pd.Series(None, index=assignments.index))
    applied = assignments[status.eq(APPLIED).to_numpy(dtype=bool) & ~old]
    exits = rule.loc[applied.index].eq("provisional_exit").to_numpy(dtype=bool)
    pending = assignments[status.eq(PENDING).to_numpy(dtype=bool) & ~old]

    at_risk = assignments["at_risk"].fillna(False).astype(bool).to_numpy()
    told = member_of(assignments["account_id"], pd.Series(sorted(open_at_risk), dtype=str))
    told = told.to_numpy()
    new_risk = assignments[at_risk & ~told]

    due = renewal_due(today) & ~told_renewal
    renewing = assignments[due]
    renew_dates = ends[due].dt.strftime("%Y-%m-%d")

    changed, exited = applied[~exits], applied[exits]
    parts = [
        _events(changed, TIER_CHANGE, changed["transition_id"], _move(changed)),
        _events(
            exited,
            PROVISIONAL_EXIT,
            exited["transition_id"],
            "left provisional: " + _move(exited),
        ),
        _events(
            pending, PENDING_REVIEW, pending["transition_id"], _move(pending) + " waits for review"
        ),
        _events(
            new_risk,
            AT_RISK,
            new_risk["account_id"].astype(str) + "|" + today.strftime("%Y-%m-%d"),
            "high value, low engagement (" + new_risk["segment"].astype(str) + ")",
        ),
        _events(
            renewing,
            RENEWAL,
            renewing["account_id"].astype(str) + "|" + renew_dates,
            "contract ends " + renew_dates,
        ),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_events()
    events = pd.concat(parts, ignore_index=True)
    return events.drop_duplicates("event_key").reset_index(drop=True)


def ended_at_risk(assignments: pd.DataFrame, open_at_risk: set[str]) -> list[str]:
    """Accounts with an open at-risk episode that this night does not see at risk (an
    account absent from the night's assignments keeps its episode)."""
    told = member_of(assignments["account_id"], pd.Series(sorted(open_at_risk), dtype=str))
    rows = assignments[told.to_numpy()]
    at_risk = rows["at_risk"].fillna(False).astype(bool).to_numpy()
    return sorted(set(rows.loc[~at_risk, "account_id"]) - set(rows.loc[at_risk, "account_id"]))


@dataclass(frozen=True)
class OwnerDigest:
    """One owner's events of a night, as a message."""

    owner_id: str
    owner: str
    event_keys: list[str]
    title: str
    text: str

    @property
    def key(self) -> str:
        """The same events make the same digest (a retried delivery, not a second one)."""
        digest = hashlib.sha1("\n".join(sorted(self.event_keys)).encode()).hexdigest()[:16]
        return f"owner_digest|{self.owner_id}|{digest}"


def owner_digests(events: pd.DataFrame) -> list[OwnerDigest]:
    """One digest per owner, sections in KIND_HEADINGS order, accounts by name."""
    order = {kind: i for i, kind in enumerate(KIND_HEADINGS)}
    rows = events.assign(
        _order=events["kind"].map(order),
        _line="- "
        + events["account_name"].astype(str)
        + " ("
        + events["account_id"].astype(str)
        + "): "
        + events["detail"].astype(str),
    ).sort_values(["owner_id", "_order", "account_name", "account_id"], kind="stable")
    owner_ids, kinds = rows["owner_id"].to_numpy(), rows["_order"].to_numpy()
    headings = [f"{h}:" for h in KIND_HEADINGS.values()]
    lines = rows["_line"].to_numpy(dtype=object)
    digests = []
    for start, stop in runs(owner_ids):
        text = []
        for a, b in runs(kinds[start:stop]):  # one section per kind
            text += [headings[kinds[start + a]], *lines[start + a : start + b]]
        owner = str(rows["owner"].iat[start])
        digests.append(
            OwnerDigest(
                owner_id=str(owner_ids[start]),
                owner=owner,
                event_keys=rows["event_key"].iloc[start:stop].tolist(),
                title=f"Segment digest for {owner}: {stop - start} update(s)",
                text="\n".join(text),
            )
        )
    return digests


def revops_at_risk(events: pd.DataFrame, settings: Notifications) -> pd.DataFrame:
    """The newly at-risk accounts RevOps hears about: ARR at least the framework's floor."""
    arr = pd.to_numeric(events["arr"], errors="coerce")
    keep = events["kind"].eq(AT_RISK) & arr.ge(settings.at_risk_arr_floor)
    return events[keep.to_numpy(dtype=bool)].reset_index(drop=True)
