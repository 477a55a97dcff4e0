"""Which accounts are worth a lookup, and for which fields.

Credits are spent only where they buy something: a key field is missing, the account's
firmographics were last verified too long ago, or someone flagged it for re-validation.
Fields outside `key_fields` never trigger a lookup; they are filled for free from
answers bought for a key field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from segmentation_pipeline.core.enrich.normalize import normalize_domains
from segmentation_pipeline.core.schema import UNKNOWN_INDUSTRY
from segmentation_pipeline.core.standardize.text import per_distinct
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

MISSING = "missing"
STALE = "stale"
REVALIDATE = "revalidate"
_TRUE = {"true", "1", "yes", "y", "t"}


def is_missing(field: str, value: object) -> bool:
    """Empty, NaN, or the standardizer's 'Unknown' industry: nothing the CRM knows."""
    if isinstance(value, str):
        text = value.strip()
        return not text or (field == "industry" and text == UNKNOWN_INDUSTRY)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array is a value, not a gap
        return False


def missing_mask(field: str, values: pd.Series) -> np.ndarray:
    """`is_missing` for every value of a column: numbers and text column-wise, columns of
    mixed values once per distinct value."""
    values = pd.Series(values)
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values.isna().to_numpy(dtype=bool)
    if isinstance(values.dtype, pd.StringDtype):
        text = values.str.strip()
        empty = text.eq("")
        if field == "industry":
            empty |= text.eq(UNKNOWN_INDUSTRY)
        return (values.isna() | empty.fillna(False)).to_numpy(dtype=bool)
    return per_distinct(values, lambda v: is_missing(field, v)).astype(bool)


@dataclass(frozen=True)
class AccountNeed:
    row: int  # position in the input frame
    account_id: str
    domain: str | None
    reason: str
    # Fields whose waterfall is run for this account (may cost credits).
    lookup_fields: frozenset[str]
    # Empty fields to fill from whatever answers come back (costs nothing extra).
    fill_fields: frozenset[str]


@dataclass(frozen=True)
class EnrichmentPlan:
    needs: tuple[AccountNeed, ...]

    @cached_property
    def lookups(self) -> dict[str, frozenset[str]]:
        """Domain -> fields to look up; accounts sharing a domain share the lookup."""
        out: dict[str, set[str]] = {}
        for need in self.needs:
            if need.domain is not None and need.lookup_fields:
                out.setdefault(need.domain, set()).update(need.lookup_fields)
        return {domain: frozenset(fields) for domain, fields in out.items()}

    @property
    def without_domain(self) -> tuple[AccountNeed, ...]:
        return tuple(n for n in self.needs if n.domain is None)

    def count(self, reason: str) -> int:
        return sum(1 for n in self.needs if n.reason == reason)


def _flagged(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE


def stale_mask(values: pd.Series, cutoff: datetime) -> np.ndarray:
    """Verified before the cut-off; a stamp that does not parse is not stale."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    stamps = pd.to_datetime(pd.Series(uniques, dtype=object), errors="coerce", utc=True,
                            format="mixed")  # fmt: skip
    older = (stamps < pd.Timestamp(cutoff)).to_numpy(dtype=bool)
    return np.append(older, False)[codes]


def plan_enrichment(
    accounts: pd.DataFrame, settings: EnrichmentSettings, now: datetime
) -> EnrichmentPlan:
    """One need per account that warrants a lookup, in input order."""
    filled = settings.filled_fields
    key = [f for f in filled if f in settings.key_fields]
    cutoff = now - timedelta(days=settings.stale_after_days)
    frame = accounts.reindex(columns=["account_id", "domain", *filled])
    size = len(accounts)
    empty = {f: missing_mask(f, frame[f]) for f in filled}
    flags = accounts.get(settings.revalidate_column)
    flagged = np.zeros(size, bool) if flags is None else per_distinct(flags, _flagged).astype(bool)
    verified = accounts.get(settings.verified_at_column)
    stale = np.zeros(size, bool) if verified is None else stale_mask(verified, cutoff)
    key_gap = np.zeros(size, bool)
    for f in key:
        key_gap |= empty[f]
    rows = np.flatnonzero(flagged | stale | key_gap)
    domains = normalize_domains(frame["domain"].take(rows)).tolist()
    ids = frame["account_id"].take(rows).astype(str).tolist()
    all_keys = frozenset(key)
    needs = []
    for position, account_id, domain in zip(rows.tolist(), ids, domains, strict=True):
        gaps = frozenset(f for f in filled if empty[f][position])
        if flagged[position]:
            reason, lookup = REVALIDATE, all_keys
        elif stale[position]:
            reason, lookup = STALE, all_keys
        else:
            reason, lookup = MISSING, gaps & all_keys
        needs.append(AccountNeed(position, account_id, domain, reason, lookup, gaps))
    return EnrichmentPlan(tuple(needs))
