"""Usage of merged duplicates, given to their survivors.

The usage export (and Salesforce's open cases) is keyed by the CRM record's own Id, so a
folded duplicate's rows would match no scored account and the survivor would be scored
"no usage: median". Each row is re-keyed to its survivor through the merge audit, and the
rows of one survivor and product become one row by the framework's `dedup.merged_usage`
rule, column by column: counts summed, features the larger, rates weighted by users.

A merge made in the CRM is treated the same way: the export still names the loser, and
the CRM source marks those rows with the account that absorbed it (MASTER_COLUMN, from
Salesforce's MasterRecordId); they count for that master before the dedup survivors are
applied (`attributed_usage`).

It runs at scoring, after dedup, and lives outside `core.dedup`: that package's code is
part of the dedup and enrichment memos' keys, which a change here must not invalidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from segmentation_pipeline.core.columns import AccountIndex
from segmentation_pipeline.core.products import standardize_usage
from segmentation_pipeline.core.record_ids import in_known_form
from segmentation_pipeline.core.standardize.text import as_text

if TYPE_CHECKING:
    from segmentation_pipeline.framework.dedup import DedupConfig, UsageRule

# A raw usage column the CRM source adds: on the rows of an account merged away in the CRM,
# the account holding its records now.
MASTER_COLUMN = "MasterRecordId"


def _weighted_mean(values: pd.Series, weights: pd.Series, groups: np.ndarray) -> pd.Series:
    """Per group: the mean of the values weighted by a positive weight; a group with no
    positively weighted value takes the plain mean of its values."""
    w = weights.to_numpy(dtype=float)
    v = values.to_numpy(dtype=float)
    counted = ~np.isnan(v) & (w > 0)
    frame = pd.DataFrame(
        {"vw": np.where(counted, v * w, np.nan), "w": np.where(counted, w, np.nan), "v": v}
    )
    sums = frame.groupby(groups, sort=True).agg({"vw": "sum", "w": "sum", "v": "mean"})
    return (sums["vw"] / sums["w"].where(sums["w"] > 0)).fillna(sums["v"])


def _combine(column: pd.Series, rule: UsageRule, rows: pd.DataFrame, groups: np.ndarray):
    if rule.how == "sum":
        return column.groupby(groups, sort=True).sum(min_count=1)
    if rule.how == "max":
        return column.groupby(groups, sort=True).max()
    return _weighted_mean(column, rows[rule.weight], groups)


def survivor_usage(usage: pd.DataFrame, audit: pd.DataFrame, config: DedupConfig) -> pd.DataFrame:
    """The standardized usage rows with each merged duplicate's rows given to its survivor
    (`audit`: account_id -> survivor_id), one row per survivor and product.

    Rows of accounts that were neither merged nor a survivor pass through unchanged; the
    order is kept, a combined row taking the place of its group's first."""
    if usage.empty or audit.empty:
        return usage
    m = len(audit)
    ids = pd.concat([audit["account_id"], audit["survivor_id"]], ignore_index=True)
    index = AccountIndex(ids)
    canonical = index.find(audit["survivor_id"])  # each survivor's first place in `ids`
    survivor_at = np.concatenate([canonical, canonical])
    at = index.find(usage["account_id"])
    involved = np.flatnonzero(at >= 0)  # rows of a folded account or of a survivor
    moved = involved[at[involved] < m]
    if not len(moved):
        return usage
    survivor = survivor_at[at[involved]]
    account_id = usage["account_id"].copy()
    account_id.iloc[moved] = ids.take(survivor_at[at[moved]]).to_numpy(dtype=object)
    usage = usage.assign(account_id=account_id).reset_index(drop=True)

    product, _ = pd.factorize(usage["product"].take(involved), use_na_sentinel=True)
    groups, _ = pd.factorize(survivor * (int(product.max(initial=0)) + 2) + product + 1)
    sizes = np.bincount(groups)
    together = sizes[groups] > 1
    if not together.any():
        return usage
    shared = involved[together]
    groups, _ = pd.factorize(groups[together])
    rows = usage.take(shared)
    first = pd.Series(shared).groupby(groups, sort=True).min().to_numpy()
    for name, rule in config.merged_usage.items():
        if name in rows:
            column = usage[name].copy()
            column.iloc[first] = _combine(rows[name], rule, rows, groups).to_numpy()
            usage[name] = column
    keep = np.ones(len(usage), dtype=bool)
    keep[shared] = False
    keep[first] = True
    return usage.take(np.flatnonzero(keep)).reset_index(drop=True)


# --- merges made in the CRM ------------------------------------------------------------
def still_merged(
    held: Mapping[str, str], merged: Mapping[str, str], live: Iterable[str]
) -> dict[str, str]:
    """The CRM's merges known so far (loser -> master): those `held`, with tonight's
    `merged` added, less any loser the CRM lists as a live account again (restored from
    the recycle bin)."""
    alive = set(live)
    return {loser: master for loser, master in {**held, **merged}.items() if loser not in alive}


def final_masters(merged: Mapping[str, str]) -> dict[str, str]:
    """Loser -> the account holding its records now, through chains (B merged into A, A
    later into C: B -> C). A loop, which no CRM writes, ends before its first repeat."""
    final = {}
    for loser in merged:
        seen, master = {loser}, merged[loser]
        while master in merged and merged[master] not in seen | {master}:
            seen.add(master)
            master = merged[master]
        final[loser] = master
    return final


def mark_masters(raw_usage: pd.DataFrame, masters: Mapping[str, str]) -> pd.DataFrame:
    """The raw usage with MASTER_COLUMN set on the rows of a merged-away account
    (`masters`: loser -> master); unchanged when no row names one."""
    if not masters or raw_usage.empty:
        return raw_usage
    # The export may give a loser's Id in its other form (15 or 18 characters).
    ids, _ = in_known_form(raw_usage["AccountId"], pd.Series(list(masters), dtype=object))
    master = as_text(ids).map(dict(masters))
    if master.isna().all():
        return raw_usage
    return raw_usage.assign(**{MASTER_COLUMN: master.astype(object).where(master.notna(), None)})


def attributed_usage(
    raw_usage: pd.DataFrame, audit: pd.DataFrame, config: DedupConfig
) -> pd.DataFrame:
    """The standardized usage, each row counted for the account that holds it now: a row
    of an account merged away in the CRM for its master (MASTER_COLUMN), then a folded
    duplicate's for its survivor (`audit`)."""
    usage = standardize_usage(raw_usage)
    if MASTER_COLUMN in raw_usage:
        marked = pd.DataFrame(
            {
                "account_id": as_text(raw_usage["AccountId"]),
                "survivor_id": as_text(raw_usage[MASTER_COLUMN]),
            }
        ).dropna()
        usage = survivor_usage(usage, marked.drop_duplicates("account_id"), config)
    return survivor_usage(usage, audit, config)
