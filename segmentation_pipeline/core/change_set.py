"""The night's change set, and the one rule that says when a step must redo everything.

The extract compares each account with last night's snapshot once (`core.changes.
merge_extract`); `account_changes` turns that into a frame naming every account that is
new, changed (with which inputs: match fields, scoring fields, enrichment inputs) or
deleted; an account it does not name is unchanged. The pipeline's own write-backs coming
back are no change. On a night that must be computed whole (`full_pass_reason`), the frame
names every account, with the reason.

A step that carries work over keeps its rows in the state store keyed by account id and
input hash (`carry_over`): a row is reused only under the same code and framework
(the store's stamp) and the same input, so a night a step missed, or a row the change set
could not see change, is computed again rather than trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation_pipeline.core.changes import SOURCE_HASH, ChangeSet, frame_hashes
from segmentation_pipeline.core.columns import member_of, take_frame
from segmentation_pipeline.core.dedup.keys import MATCH_INPUTS
from segmentation_pipeline.core.dedup.resolve import ClusterFinding

# CRM fields by what reads them. Matching reads the standardized name, domain, city,
# country, phone and industry (`core.dedup.keys.MATCH_INPUTS`); enrichment fills the
# firmographic fields from the domain; everything else only moves scores.
MATCH_FIELDS = ("Name", "Website", "BillingCity", "BillingCountry", "Phone", "Industry")
ENRICHMENT_FIELDS = ("Website", "Industry", "NumberOfEmployees", "AnnualRevenue", "BillingCountry")
INPUT_FLAGS = {"match_fields": MATCH_FIELDS, "enrichment_inputs": ENRICHMENT_FIELDS}
INPUT_HASH = "_input_hash"  # of everything a carried row was computed from
CONTENT_HASH = "_content_hash"  # of an enriched account row, made with the row
CHANGE_COLUMNS = ("account_id", "change", "match_fields", "enrichment_inputs",
                  "scoring_fields", "full_pass_reason")  # fmt: skip


def account_changes(
    previous: pd.DataFrame | None,
    snapshot: pd.DataFrame,
    changes: ChangeSet,
    own_write_backs: Sequence[str] = (),
    full_pass: str | None = None,
    key: str = "Id",
    ignore: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per new, changed or deleted account (CHANGE_COLUMNS), or, when `full_pass`
    gives a reason, one per account of the snapshot. An account whose only change is the
    pipeline's own write-back (`own_write_backs`) is not named."""
    if full_pass is not None:
        ids = snapshot[key].dropna().astype(str)
        return _frame(ids, "full pass", True, True, True, full_pass)
    echoed = set(own_write_backs)
    updated = [i for i in changes.updated if i not in echoed]
    before = _rows(previous, updated, key)
    after = _rows(snapshot, updated, key)
    compared = [c for c in after.columns if c in before.columns and c not in ignore]
    moved = ~(
        (before[compared].isna() & after[compared].isna()) | before[compared].eq(after[compared])
    )
    flags = {
        name: moved[[c for c in fields if c in compared]].any(axis=1).to_numpy(dtype=bool)
        for name, fields in INPUT_FLAGS.items()
    }
    others = [c for c in compared if c not in MATCH_FIELDS and c not in ENRICHMENT_FIELDS]
    flags["scoring_fields"] = moved[others].any(axis=1).to_numpy(dtype=bool)
    frames = [
        _frame(pd.Series(changes.new, dtype=object), "new", True, True, True),
        _frame(pd.Series(updated, dtype=object), "changed", **flags),
        _frame(pd.Series(changes.deleted, dtype=object), "deleted", True, True, True),
    ]
    return pd.concat(frames, ignore_index=True)


def _rows(frame: pd.DataFrame | None, ids: list[str], key: str) -> pd.DataFrame:
    if frame is None or not ids:
        return pd.DataFrame(index=pd.Index(ids, dtype=object))
    rows = frame[member_of(frame[key], pd.Series(ids, dtype=object)).to_numpy()]
    rows = rows.drop_duplicates(key).set_index(key)
    return rows.reindex(ids)


def _frame(ids, change, match_fields, enrichment_inputs, scoring_fields, reason=None):
    return pd.DataFrame(
        {
            "account_id": pd.Series(ids, dtype=object).to_numpy(),
            "change": change,
            "match_fields": match_fields,
            "enrichment_inputs": enrichment_inputs,
            "scoring_fields": scoring_fields,
            "full_pass_reason": reason,
        },
        columns=list(CHANGE_COLUMNS),
    ).astype({"match_fields": bool, "enrichment_inputs": bool, "scoring_fields": bool})


def extract_full_pass(
    extract_reason: str | None, requested: bool, snapshot_held: bool, same_source: bool
) -> str | None:
    """Which of the extract's reasons for reading everything make every account count as
    changed: a request, a new source, or no snapshot to compare with. A month's first
    night re-reads the whole CRM to catch deletions, but compared with the held snapshot
    that still says exactly what changed, so later steps carry their work over (and a
    finished month run again changes nothing)."""
    if extract_reason is None:
        return None
    if requested or not snapshot_held or not same_source:
        return extract_reason
    return None


def full_pass_reason(
    changes: pd.DataFrame, state_kept: bool, match_sensitive: bool = False
) -> str | None:
    """Why a step must compute every account tonight, or None when it may carry last
    night's work over. The one place these rules live:

    * the extract forced it (`extract_full_pass`: a requested full refresh, the first run,
      a new CRM source, a lost snapshot; the change set names every account);
    * the step holds no state under tonight's code and framework versions (`state_kept`
      False): a new release or framework, or a first run of the step;
    * for matching (`match_sensitive`): an account was added or deleted, or a match field
      of one changed, since clusters are found over the whole base."""
    reasons = changes["full_pass_reason"].dropna()
    if len(reasons):
        return str(reasons.iloc[0])
    if not state_kept:
        return "no state under tonight's code and framework versions"
    if match_sensitive:
        added = int(changes["change"].isin(["new", "deleted"]).sum())
        if added:
            return f"{added} accounts added or deleted"
        moved = int(changes["match_fields"].sum())
        if moved:
            return f"match fields of {moved} accounts changed"
    return None


def carried_positions(
    keys: pd.Series, hashes: np.ndarray, stored: pd.DataFrame | None, key: str, hash_column: str
) -> np.ndarray:
    """Per current row: the position of its stored row when one has the same key and input
    hash, else -1 (to compute). Rows are found by their hash (integers: much cheaper to
    index than a million ids), then their keys compared."""
    if stored is None or stored.empty:
        return np.full(len(keys), -1)
    stored_hashes = pd.Index(stored[hash_column].to_numpy(dtype=np.uint64))
    if stored_hashes.is_unique:
        at = stored_hashes.get_indexer(np.asarray(hashes, dtype=np.uint64))
        found = np.flatnonzero(at >= 0)
        stored_keys = stored[key].to_numpy(dtype=object)[at[found]]
        same = stored_keys == keys.to_numpy(dtype=object)[found]
        at[found[~same]] = -1
        return at
    at = pd.Index(stored[key]).get_indexer(keys)
    same = (at >= 0) & (
        stored_hashes.to_numpy()[np.maximum(at, 0)] == np.asarray(hashes, np.uint64)
    )
    return np.where(same, at, -1)


def carry_rows(stored: pd.DataFrame | None, at: np.ndarray, fresh: pd.DataFrame) -> pd.DataFrame:
    """Rows in order: `stored`'s row at[i] where at[i] >= 0, else the next row of `fresh`
    (same columns), with `stored`'s dtypes. One take over both frames: on Arrow-backed
    text a take costs as much as the copy, so it is done once; when every row is stored
    and in place (a night that changed nothing), `stored` is the answer as it is."""
    if stored is None or not (at >= 0).any():
        return fresh.reset_index(drop=True)
    if (at >= 0).all():
        if len(at) == len(stored) and np.array_equal(at, np.arange(len(at))):
            return stored
        return take_frame(stored, at).reset_index(drop=True)
    fresh_rows = at < 0
    positions = at.copy()
    positions[fresh_rows] = len(stored) + np.arange(int(fresh_rows.sum()))
    combined = pd.concat([stored, fresh[stored.columns]], ignore_index=True)
    outputs = take_frame(combined, positions).reset_index(drop=True)
    differing = {c: stored[c].dtype for c in outputs if outputs[c].dtype != stored[c].dtype}
    return outputs.astype(differing)


@dataclass(frozen=True)
class Carried:
    """A step's rows tonight, some carried over from the stored ones."""

    rows: pd.DataFrame  # in input order, each with its input hash
    computed: np.ndarray  # bool per row: computed tonight
    changed: list  # keys whose stored rows were replaced or left (`StateStore.save`)


def carry_over(
    keys: pd.Series,
    hashes: np.ndarray,
    stored: pd.DataFrame | None,
    compute: Callable[[np.ndarray], pd.DataFrame],
    key: str = "account_id",
    hash_column: str = INPUT_HASH,
    moved: Callable[[pd.DataFrame, np.ndarray], np.ndarray] | None = None,
) -> Carried:
    """The one way a step carries work over: a row whose key and input hash have a stored
    row (`carried_positions`) takes it, the others are computed (`compute`, given their
    positions, returns their rows in that order). A key held by more than one row is
    always computed: its rows may read shared per-account state in a way a subset does
    not. `moved(stored, at)` may name more rows to compute: those whose stored result
    depends on something besides the hashed input that changed since."""
    at = carried_positions(keys, hashes, stored, key, hash_column)
    if stored is not None and not keys.is_unique:
        at[(keys.duplicated(keep=False) | keys.isna()).to_numpy(dtype=bool)] = -1
    if moved is not None and stored is not None and (at >= 0).any():
        at[moved(stored, at)] = -1
    todo = at < 0
    fresh = compute(np.flatnonzero(todo)) if todo.any() or stored is None else stored.iloc[:0]
    rows = carry_rows(stored, at, fresh.assign(**{hash_column: hashes[todo]}))
    kept = np.zeros(0 if stored is None else len(stored), dtype=bool)
    kept[at[~todo]] = True
    gone = [] if stored is None else stored[key].to_numpy(dtype=object)[~kept].tolist()
    return Carried(rows, todo, [*keys[todo], *gone])


@dataclass(frozen=True)
class CarriedMatching:
    """Last night's matching with what its rows were, position by position: account id,
    the hash of the CRM record behind the row (SOURCE_HASH) and of its match inputs."""

    finding: ClusterFinding
    account_ids: np.ndarray
    source_hashes: np.ndarray
    match_hashes: np.ndarray


def match_hashes(frame: pd.DataFrame) -> np.ndarray:
    """Per row: a hash of the columns matching reads."""
    return frame_hashes(frame.loc[:, list(MATCH_INPUTS)])


def carried_matching(
    carried: CarriedMatching | None, accounts: pd.DataFrame
) -> tuple[CarriedMatching | None, int]:
    """`carried` when every row of `accounts` (with SOURCE_HASH) matches as its rows did
    (same accounts in the same places; a changed record keeps its match inputs), else
    None; and how many rows had their match inputs hashed to know. A safety net under the
    change set, which already sent every named match edit to a full pass."""
    if carried is None or len(carried.account_ids) != len(accounts):
        return None, 0
    if not np.array_equal(carried.account_ids, accounts["account_id"].to_numpy(dtype=object)):
        return None, 0
    sources = accounts[SOURCE_HASH].to_numpy(dtype=np.uint64)
    moved = np.flatnonzero(sources != carried.source_hashes)
    if not len(moved):
        return carried, 0
    same = np.array_equal(match_hashes(accounts.iloc[moved]), carried.match_hashes[moved])
    if not same:
        return None, len(moved)
    return CarriedMatching(
        carried.finding, carried.account_ids, sources, carried.match_hashes
    ), len(moved)


def matching_of(finding: ClusterFinding, accounts: pd.DataFrame) -> CarriedMatching:
    """What to keep of a matching done afresh tonight."""
    return CarriedMatching(
        finding,
        accounts["account_id"].to_numpy(dtype=object),
        accounts[SOURCE_HASH].to_numpy(dtype=np.uint64),
        match_hashes(accounts),
    )
