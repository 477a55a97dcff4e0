"""Which accounts are worth a lookup, and for which fields.

Credits are spent only where they buy something: a key field is missing, the account's
firmographics were last verified too long ago, or someone flagged it for re-validation.
Fields outside `key_fields` never trigger a lookup; they are filled for free from
answers bought for a key field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from segmentation_pipeline.core.enrich.normalize import normalize_domain
from segmentation_pipeline.core.schema import UNKNOWN_INDUSTRY
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

MISSING = "missing"
STALE = "stale"
REVALIDATE = "revalidate"
_TRUE = {"true", "1", "yes", "y", "t"}


def is_missing(field: str, value: object) -> bool:
    """Empty, NaN, or the standardizer's 'Unknown' industry: nothing the CRM knows."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or (field == "industry" and text == UNKNOWN_INDUSTRY)
    return False


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

    @property
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


def _stale(value: object, cutoff: datetime) -> bool:
    stamp = pd.to_datetime(value, errors="coerce", utc=True)
    return stamp is not pd.NaT and not pd.isna(stamp) and stamp.to_pydatetime() < cutoff


def _column(accounts: pd.DataFrame, name: str) -> Iterable[object]:
    return accounts[name] if name in accounts.columns else [None] * len(accounts)


def plan_enrichment(
    accounts: pd.DataFrame, settings: EnrichmentSettings, now: datetime
) -> EnrichmentPlan:
    """One need per account that warrants a lookup, in input order."""
    filled = settings.filled_fields
    key = [f for f in filled if f in settings.key_fields]
    cutoff = now - timedelta(days=settings.stale_after_days)
    frame = accounts.reindex(columns=["account_id", "domain", *filled])
    flags = _column(accounts, settings.revalidate_column)
    verified = _column(accounts, settings.verified_at_column)
    needs = []
    rows = zip(frame.itertuples(index=False), flags, verified, strict=True)
    for position, (row, flag, verified_at) in enumerate(rows):
        record = row._asdict()
        empty = frozenset(f for f in filled if is_missing(f, record[f]))
        if _flagged(flag):
            reason, lookup = REVALIDATE, frozenset(key)
        elif _stale(verified_at, cutoff):
            reason, lookup = STALE, frozenset(key)
        elif empty & set(key):
            reason, lookup = MISSING, empty & frozenset(key)
        else:
            continue
        needs.append(
            AccountNeed(
                row=position,
                account_id=str(record["account_id"]),
                domain=normalize_domain(record["domain"]),
                reason=reason,
                lookup_fields=lookup,
                fill_fields=empty,
            )
        )
    return EnrichmentPlan(tuple(needs))
