"""The numbers an operator judges an enrichment run by.

Coverage per field before and after, match rate and credits per provider, the cost of
each newly filled field, and how many accounts the budget left waiting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from segmentation_pipeline.core.enrich.answers import Answer, Outcome
from segmentation_pipeline.core.enrich.plan import missing_mask
from segmentation_pipeline.core.governance import field_completeness

LOOKUP_COLUMNS = (
    "domain", "provider", "outcome", "from_cache", "confidence", "credits", "fetched_at",
    "reason",
)  # fmt: skip
PROVIDER_STAT_COLUMNS = (
    "provider", "lookups", "cache_hits", "hits", "misses", "failed", "skipped", "match_rate",
    "credits",
)  # fmt: skip


def coverage(accounts: pd.DataFrame, fields: Sequence[str]) -> dict[str, float]:
    """Share of accounts with a usable value, per field; a field the frame lacks is 0."""
    return field_completeness(accounts.reindex(columns=list(fields)), list(fields))


def newly_filled(before: pd.DataFrame, after: pd.DataFrame, fields: Sequence[str]) -> int:
    """Cells empty before enrichment and holding a value after it."""
    count = 0
    for field in fields:
        was = missing_mask(field, before[field]) if field in before.columns else True
        count += int((was & ~missing_mask(field, after[field])).sum())
    return count


def lookup_table(lookups: Iterable[Answer]) -> pd.DataFrame:
    rows = [
        (
            a.domain,
            a.provider,
            a.outcome.value,
            a.from_cache,
            a.confidence,
            a.credits,
            a.fetched_at,
            a.reason,
        )
        for a in lookups
    ]
    return pd.DataFrame(rows, columns=list(LOOKUP_COLUMNS))


def provider_stats(lookups: pd.DataFrame, providers: Sequence[str]) -> pd.DataFrame:
    """One row per provider; match rate = hits / (hits + misses), cached answers included."""
    rows = []
    for provider in providers:
        mine = lookups[lookups["provider"] == provider]
        live = mine[~mine["from_cache"].astype(bool)]
        hits = int((mine["outcome"] == Outcome.HIT.value).sum())
        misses = int((mine["outcome"] == Outcome.MISS.value).sum())
        rows.append(
            (
                provider,
                int(len(live[live["outcome"] != Outcome.SKIPPED.value])),
                int(mine["from_cache"].astype(bool).sum()),
                hits,
                misses,
                int((mine["outcome"] == Outcome.FAILED.value).sum()),
                int((mine["outcome"] == Outcome.SKIPPED.value).sum()),
                hits / (hits + misses) if hits + misses else None,
                float(live["credits"].sum()),
            )
        )
    return pd.DataFrame(rows, columns=list(PROVIDER_STAT_COLUMNS))


def cost_per_filled_field(credits: float, filled: int) -> float | None:
    return credits / filled if filled else None
