"""Which account of a cluster survives, and what it inherits from the others.

The survivor is the first account of its cluster under the configured rules, in order
(crm_master: the CRM-designated master; most_complete: most filled fields; oldest /
newest: created / last-modified date; highest_arr), then input order. Its blank fields
are then filled field group by field group (a domain with its website, an employee count
with its raw text, reason and size band) from the best-ranked account that has them,
`latest_fields` (the contract end date) take the cluster's latest value, and the
`sum_fields` (ARR and open pipeline by default) become the cluster's total.

A sum is only as good as its parts: when a member's value is present but unreadable (ARR
`1,2e5`: a reason other than `missing`), the survivor's value is null with that reason
(`unparseable`, or `duplicate_unparseable` when it is a duplicate's), its raw text the
offending one, so the account ends Unsegmented with `invalid_arr:...` instead of being
scored on a silently smaller total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from segmentation_pipeline.core.standardize.bands import band_names

if TYPE_CHECKING:
    from segmentation_pipeline.framework.dedup import DedupConfig
    from segmentation_pipeline.framework.models import NamedBand

# Anchor field -> the columns that travel with it from one account.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "domain": ("website", "domain"),
    "industry": ("industry", "industry_raw", "industry_status"),
    "employees": ("employees", "employees_raw", "employees_reason", "company_size_band"),
    "annual_revenue": ("annual_revenue",),
    "arr": ("arr", "arr_raw", "arr_reason", "arr_tier"),
    "country_code": ("country", "country_code", "region"),
    "city": ("city",),
    "phone_e164": ("phone", "phone_e164"),
    "owner_id": ("owner_id", "owner_name"),
    "contract_term": ("contract_term",),
    "contract_end_date": ("contract_end_date",),
    "expansion_pipeline": ("expansion_pipeline",),
    "strategic_importance": ("strategic_importance",),
    "growth_stage": ("growth_stage",),
    "crm_tier": ("crm_tier",),
    "segment_override": ("segment_override",),
}
_LATEST = np.iinfo(np.int64).max


def has_value(accounts: pd.DataFrame, anchor: str) -> np.ndarray:
    """Does each account hold a usable value of the anchor field."""
    values = accounts[anchor]
    if anchor == "industry" and "industry_status" in accounts:
        return accounts["industry_status"].isin(["matched", "fuzzy"]).to_numpy()
    if anchor == "segment_override":
        return values.fillna(False).astype(bool).to_numpy()
    return values.notna().to_numpy()


def _instant(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values, utc=True, errors="coerce")
    return np.where(stamps.isna(), _LATEST, stamps.to_numpy(dtype="datetime64[us]").view(np.int64))


def _rule_key(accounts: pd.DataFrame, rule: str, config: DedupConfig) -> np.ndarray:
    """Ascending sort key of one survivorship rule (smaller ranks first)."""
    if rule == "crm_master":
        if config.master_column not in accounts:
            return np.zeros(len(accounts))
        return -accounts[config.master_column].fillna(False).astype(bool).to_numpy(dtype=float)
    if rule == "most_complete":
        fields = [f for f in config.completeness_fields if f in accounts]
        return -accounts[fields].notna().sum(axis=1).to_numpy(dtype=float)
    if rule == "oldest":
        return _instant(accounts["created_date"]).astype(float)
    if rule == "newest":
        recent = _instant(accounts["modstamp"])
        return np.where(recent == _LATEST, np.inf, -recent.astype(float))
    arr = pd.to_numeric(accounts["arr"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(arr), np.inf, -arr)


def survivorship_order(
    accounts: pd.DataFrame, labels: np.ndarray, config: DedupConfig
) -> np.ndarray:
    """Row positions grouped by cluster, each cluster's survivor first."""
    keys = [_rule_key(accounts, rule, config) for rule in config.survivorship]
    position = np.arange(len(accounts))
    return np.lexsort((position, *reversed(keys), labels))


@dataclass(frozen=True)
class Merge:
    survivors: pd.DataFrame  # one row per cluster, in input order, indexed by position
    survivor_of: np.ndarray  # per account: position of its cluster's survivor
    filled_from: dict[str, np.ndarray]  # field group -> positions of the accounts it came from


def merge_clusters(
    accounts: pd.DataFrame,
    labels: np.ndarray,
    config: DedupConfig,
    arr_tiers: Sequence[NamedBand],
) -> Merge:
    frame = accounts.reset_index(drop=True)
    n = len(frame)
    sizes = np.bincount(labels, minlength=n)
    shared_rows = np.flatnonzero(sizes[labels] > 1)
    order = shared_rows[survivorship_order(frame.iloc[shared_rows], labels[shared_rows], config)]
    ordered_labels = labels[order]
    firsts = np.r_[True, ordered_labels[1:] != ordered_labels[:-1]] if len(order) else order
    survivor_by_label = np.arange(n, dtype=np.int64)
    survivor_by_label[ordered_labels[firsts]] = order[firsts]
    survivor_of = survivor_by_label[labels]
    survivor_rows = np.flatnonzero(survivor_of == np.arange(n))

    source_of = {name: survivor_rows for name in frame.columns}
    filled_from: dict[str, np.ndarray] = {}
    for anchor, group in FIELD_GROUPS.items():
        if anchor not in frame or not len(order):
            continue
        candidates = order[has_value(frame, anchor)[order]]
        if anchor in config.latest_fields:
            latest = -_instant(frame[anchor].take(candidates))
            candidates = candidates[
                np.lexsort((np.arange(len(candidates)), latest, labels[candidates]))
            ]
        found, first = np.unique(labels[candidates], return_index=True)
        source, target = candidates[first], survivor_by_label[found]
        moved = source != target
        if not moved.any():
            continue
        picked = survivor_rows.copy()
        picked[np.searchsorted(survivor_rows, target[moved])] = source[moved]
        for name in group:
            if name in frame:
                source_of[name] = picked
        filled_from[anchor] = source[moved]
    survivors = pd.DataFrame(
        {name: frame[name].take(rows).reset_index(drop=True) for name, rows in source_of.items()}
    )
    survivors.index = survivor_rows

    multi = sizes[labels[survivor_rows]] > 1
    for name in config.sum_fields:
        if name in frame:
            untrusted = _sum_over_clusters(survivors, frame, name, labels, order, multi, arr_tiers)
            if name in filled_from:  # a value left null was not given by anyone
                given = filled_from[name]
                filled_from[name] = given[~np.isin(labels[given], untrusted)]
    return Merge(survivors, survivor_of, filled_from)


DUPLICATE_REASON = "duplicate_{}"  # a duplicate's unreadable value, as the survivor's reason


def invalid_values(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Per account: is its value of `name` present but unreadable (a reason, not missing)."""
    reasons = frame.get(f"{name}_reason")
    if reasons is None:
        return np.zeros(len(frame), dtype=bool)
    return (reasons.notna() & reasons.ne("missing")).to_numpy()


def _sum_over_clusters(
    survivors: pd.DataFrame,
    frame: pd.DataFrame,
    name: str,
    labels: np.ndarray,
    order: np.ndarray,
    multi: np.ndarray,
    arr_tiers: Sequence[NamedBand],
) -> np.ndarray:
    """Each multi-account survivor's `name` becomes its cluster's total (the ARR tier
    follows), or null with a reason when a member's value is unreadable; returns the
    labels of those clusters."""
    n = len(frame)
    cluster = labels[survivors.index.to_numpy()]
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(values)
    totals = np.bincount(labels[known], weights=values[known], minlength=n)
    counts = np.bincount(labels[known], minlength=n)
    summed = np.where(counts[cluster] > 0, totals[cluster], np.nan)

    # The first unreadable member of each cluster, the survivor's own first.
    bad = order[invalid_values(frame, name)[order]]
    bad_labels, first = np.unique(labels[bad], return_index=True)
    culprit = np.full(n, -1, dtype=np.int64)
    culprit[bad_labels] = bad[first]
    culprit = np.where(multi, culprit[cluster], -1)
    untrusted = culprit >= 0
    summed[untrusted] = np.nan

    survivors[name] = np.where(multi, summed, survivors[name].to_numpy(dtype=float))
    if name == "arr" and "arr_tier" in survivors:
        survivors["arr_tier"] = survivors["arr_tier"].where(
            ~multi, band_names(survivors["arr"], arr_tiers)
        )
    reason_column = f"{name}_reason"
    if reason_column not in survivors:
        return cluster[untrusted]
    reasons = survivors[reason_column].where(~multi | np.isnan(summed), None)
    if untrusted.any():
        own = culprit[untrusted] == survivors.index.to_numpy()[untrusted]
        why = frame[reason_column].to_numpy(dtype=object)[culprit[untrusted]]
        why = np.where(own, why, [DUPLICATE_REASON.format(w) for w in why])
        reasons = reasons.mask(untrusted, pd.Series(why, index=survivors.index[untrusted]))
        raw_column = f"{name}_raw"
        if raw_column in survivors:
            raw = frame[raw_column].to_numpy(dtype=object)[culprit[untrusted]]
            survivors[raw_column] = survivors[raw_column].mask(
                untrusted, pd.Series(raw, index=survivors.index[untrusted])
            )
    survivors[reason_column] = reasons
    return cluster[untrusted]
