"""A CSM's book of business: their accounts by segment, with what needs their attention."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation_pipeline.core.columns import join, map_by_key, take_frame

UNASSIGNED_OWNER = "(unassigned)"
TRANSITION_COLUMNS: tuple[str, ...] = ("account_id", "from_segment", "to_segment", "status")
PENDING_STATUS = "pending"

CSM_ACCOUNT_COLUMNS: tuple[str, ...] = (
    "owner_id",
    "account_id",
    "name",
    "segment",
    "tier_label",
    "service_model_label",
    "composite_score",
    "arr",
    "status",
    "at_risk",
    "pending_transition",
    "explanation",
)


# What `csm_book` reads: a `csm_accounts` frame without the name and explanation.
BOOK_INPUT_COLUMNS: tuple[str, ...] = tuple(
    c for c in CSM_ACCOUNT_COLUMNS if c not in ("name", "explanation")
)
# What `pending_moves` reads of the assignments besides the account id.
PENDING_MOVE_COLUMNS: tuple[str, ...] = ("transition_status", "transition_from", "transition_to")


class TransitionsTableError(ValueError):
    """The segment_transitions table does not have the columns the CSM views read."""


def pending_transitions(transitions: pd.DataFrame) -> pd.Series:
    """account_id -> 'Tier 2 -> Tier 1' for every transition still waiting for review.

    Reads the review queue's columns account_id, from_segment, to_segment and status;
    a row is pending when its status is 'pending' (any case). An account with several
    pending rows gets them joined with '; '.
    """
    if transitions.empty and not len(transitions.columns):
        return pd.Series(dtype="object")
    missing = [c for c in TRANSITION_COLUMNS if c not in transitions.columns]
    if missing:
        raise TransitionsTableError(
            "segment_transitions lacks column(s) "
            + ", ".join(missing)
            + f" (has: {', '.join(map(str, transitions.columns))})"
        )
    pending = transitions[transitions["status"].astype(str).str.lower().eq(PENDING_STATUS)]
    text = pending["from_segment"].astype(str) + " -> " + pending["to_segment"].astype(str)
    ids = pending["account_id"]
    # A groupby join calls Python once per account (seconds at a million); nearly every
    # account has one pending row, so only the repeated ones go through the join.
    repeated = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    single = ids.notna().to_numpy() & ~repeated
    joined = text[repeated].groupby(ids[repeated]).agg("; ".join)
    alone = pd.Series(text[single].to_numpy(), index=pd.Index(ids[single], name=ids.name))
    result = pd.concat([alone, joined]) if len(joined) else alone
    return result.astype(joined.dtype if len(joined) else text.dtype).sort_index(kind="stable")


def pending_moves(assignments: pd.DataFrame) -> pd.Series:
    """account_id -> 'Tier 2 -> Tier 1' for every account whose boundary crossing is
    waiting for review in this run's assignments (the same rows the review queue holds
    as pending once segment_operations has written them). A frame without the gate's
    columns has none."""
    if not set(PENDING_MOVE_COLUMNS) <= set(assignments):
        return pd.Series(dtype=object)
    status = pa.array(assignments["transition_status"], type=pa.string(), from_pandas=True)
    waiting = pc.fill_null(pc.equal(status, PENDING_STATUS), False).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(waiting)
    parts = [
        pa.array(assignments[c].take(rows), type=pa.string(), from_pandas=True)
        for c in ("transition_from", "transition_to")
    ]
    text = join(parts[0], " -> ", parts[1]).to_numpy(zero_copy_only=False)
    return pd.Series(text, index=pd.Index(assignments["account_id"].take(rows)), dtype=object)


def _owners(assignments: pd.DataFrame) -> pd.Series:
    """Each account's owner; missing or blank ones are UNASSIGNED_OWNER. A book has few
    owners: a text column is worked out once per distinct owner, not once per account."""
    owner = assignments["owner_id"]
    if not pd.api.types.is_string_dtype(owner.dtype) or (
        owner.dtype == object and pd.api.types.infer_dtype(owner, skipna=True) != "string"
    ):
        owner = owner.astype("object")
        return owner.where(owner.notna() & owner.astype(str).str.strip().ne(""), UNASSIGNED_OWNER)
    codes, uniques = pd.factorize(owner, use_na_sentinel=True)
    labels = pd.Series(uniques, dtype=object)
    blank = labels.str.strip().eq("").to_numpy(dtype=bool)
    named = np.where(blank, UNASSIGNED_OWNER, labels.to_numpy(dtype=object)).astype(object)
    table = np.append(named, UNASSIGNED_OWNER)  # the last: missing owners (code -1)
    return pd.Series(table[codes], index=owner.index, dtype=object)


def _sort_codes(values: pd.Series) -> np.ndarray:
    """Integer codes that sort like `values` ascending, missing values last."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def csm_accounts(
    assignments: pd.DataFrame,
    pending: pd.Series | None = None,
    columns: Sequence[str] = CSM_ACCOUNT_COLUMNS,
) -> pd.DataFrame:
    """Every account with its owner and the fields a CSM works from, in the order of the
    owner's page: by owner; within an owner, at-risk accounts first, then those with a
    pending transition, then by segment and composite score (highest first). `columns`
    narrows the frame when only the book is wanted (BOOK_INPUT_COLUMNS): reordering the
    long names and explanations is most of the cost, so it is done once."""
    lookup = pending if pending is not None else pd.Series(dtype="object")
    accounts = assignments.assign(
        owner_id=_owners(assignments),
        at_risk=assignments["at_risk"].fillna(False).astype(bool),
        pending_transition=map_by_key(assignments["account_id"], lookup),
    ).reindex(columns=list(columns))
    # One stable lexsort over integer keys (missing segments and scores last): sorting
    # the wide frame by its string columns took seconds at a million accounts.
    score = pd.to_numeric(accounts["composite_score"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    missing_score = np.isnan(score)
    order = np.lexsort(
        (
            np.where(missing_score, 0.0, -score),
            missing_score,
            _sort_codes(accounts["segment"]),
            accounts["pending_transition"].isna().to_numpy(),
            ~accounts["at_risk"].to_numpy(dtype=bool),
            _sort_codes(accounts["owner_id"]),
        )
    )
    return take_frame(accounts, order).reset_index(drop=True)


def csm_book(accounts: pd.DataFrame) -> pd.DataFrame:
    """Per owner and segment: accounts, ARR, at-risk, pending transitions, mean composite.
    `accounts` is a `csm_accounts` frame."""
    frame = accounts.assign(
        arr=pd.to_numeric(accounts["arr"], errors="coerce"),
        has_pending=accounts["pending_transition"].notna(),
        provisional=accounts["status"].eq("provisional"),
        service_model_label=accounts["service_model_label"].fillna("-"),
        tier_label=accounts["tier_label"].fillna("-"),
    )
    book = (
        frame.groupby(["owner_id", "segment", "tier_label", "service_model_label"], sort=True)
        .agg(
            accounts=("account_id", "size"),
            arr=("arr", "sum"),
            at_risk=("at_risk", "sum"),
            provisional=("provisional", "sum"),
            pending_transitions=("has_pending", "sum"),
            mean_composite=("composite_score", "mean"),
        )
        .reset_index()
    )
    owner_totals = book.groupby("owner_id")["accounts"].transform("sum")
    book["share_of_book"] = (book["accounts"] / owner_totals).astype("float64")
    return book
