"""Usage of merged duplicates, given to their survivors.

The usage export (and Salesforce's open cases) is keyed by the CRM record's own Id, so a
folded duplicate's rows would match no scored account and the survivor would be scored
"no usage: median". Each row is re-keyed to its survivor through the merge audit, and the
rows of one survivor and product become one row by the framework's `dedup.merged_usage`
rule, column by column: counts summed, features the larger, rates weighted by users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from segmentation_pipeline.framework.dedup import DedupConfig, UsageRule


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

    Rows of accounts that were not merged, and survivors without a duplicate's rows, pass
    through unchanged and in order; a combined row takes the place of its group's first."""
    if usage.empty or audit.empty:
        return usage
    folded = audit["account_id"].to_numpy(dtype=object)
    survivor_of = pd.Series(audit["survivor_id"].to_numpy(dtype=object), index=folded)
    survivor = usage["account_id"].map(survivor_of)
    if survivor.isna().all():
        return usage
    ids = survivor.where(survivor.notna(), usage["account_id"]).astype(usage["account_id"].dtype)
    usage = usage.assign(account_id=ids)
    usage = usage.reset_index(drop=True)
    key = usage[["account_id", "product"]].astype(object)
    shared = key.duplicated(keep=False).to_numpy()
    if not shared.any():
        return usage
    rows = usage[shared]
    groups = pd.MultiIndex.from_frame(key[shared].fillna("")).factorize()[0]
    first = pd.Series(np.flatnonzero(shared)).groupby(groups, sort=True).min()
    combined = rows.iloc[np.searchsorted(np.flatnonzero(shared), first.to_numpy())].copy()
    for name, rule in config.merged_usage.items():
        if name in rows:
            combined[name] = _combine(rows[name], rule, rows, groups).to_numpy()
    combined.index = first.to_numpy()
    kept = usage[~shared]
    return pd.concat([kept, combined]).sort_index().reset_index(drop=True)
