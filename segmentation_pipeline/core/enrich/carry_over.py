"""Which accounts a night enriches again; the others keep last night's result.

An account's enrichment is a function of its row, the answers the cache holds for its
domain, the settings and the clock (the stale cut-off, the cache's TTLs). Last night's
result (`LastEnrichment`, kept in the state store under the code and framework stamp) is
carried by account id and input hash (`core.change_set.carried_positions`). An account is
enriched again when it is new or edited, when the cache's answers for its domain changed
or expired since, when it crossed the stale cut-off since, or when its last result was
provisional: a lookup that failed or was skipped (budget, rate limit, open circuit) is
retried every night. Accounts sharing a domain share their lookup, so they are enriched
together or not at all; an account without an id of its own is enriched every night (its
review rows could not be told apart).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import CONTENT_HASH, carried_positions, carry_rows
from segmentation_pipeline.core.changes import frame_hashes
from segmentation_pipeline.core.columns import member_of
from segmentation_pipeline.core.enrich.answers import Outcome
from segmentation_pipeline.core.enrich.merge import RETRIED_REASONS
from segmentation_pipeline.core.enrich.normalize import normalize_domains
from segmentation_pipeline.core.enrich.plan import stale_mask
from segmentation_pipeline.core.enrich.result import EnrichmentResult
from segmentation_pipeline.core.enrich.stats import coverage, newly_filled
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

INPUT_HASH = "_input_hash"  # of the account row an enriched row came from
LOOKUP_DOMAIN = "_lookup_domain"  # its normalized domain, so a carried row is not normalized again
REVIEW_TABLES = ("provenance", "conflicts", "non_matches")


@dataclass(frozen=True)
class LastEnrichment:
    """One night's enrichment, for the next night to carry over."""

    enriched_at: datetime  # the night's `now`: stale cut-off and TTLs were judged from it
    accounts: pd.DataFrame  # enriched rows of uniquely identified accounts, with INPUT_HASH
    provenance: pd.DataFrame  # review rows, by account_id
    conflicts: pd.DataFrame
    non_matches: pd.DataFrame
    # domain, provider, fetched_at: the answers the night fetched (not from the cache); a
    # later cache answer for the domain is news.
    fetched: pd.DataFrame
    partition: str | None = None  # the month whose review tables it wrote
    # Normalized domains a provider failed on or skipped: enriched again next night.
    retry_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reuse:
    """Which input rows to enrich again, and where the others' results are."""

    enrich: np.ndarray  # bool per input row
    last_rows: np.ndarray  # per input row: its row in last night's accounts, -1 when none
    domains: pd.Series  # per input row: its normalized (lookup) domain

    @property
    def carried(self) -> int:
        return int((~self.enrich).sum())


def uniquely_identified(accounts: pd.DataFrame) -> np.ndarray:
    """Per row: it has an account id that no other row has."""
    ids = accounts["account_id"]
    return (ids.notna() & ~ids.duplicated(keep=False)).to_numpy(dtype=bool)


def rows_to_enrich(
    accounts: pd.DataFrame,
    hashes: np.ndarray,
    last: LastEnrichment | None,
    settings: EnrichmentSettings,
    now: datetime,
    changed_domains: Collection[str],
) -> Reuse:
    """Rows whose enrichment may differ from last night's (see the module docstring).
    `changed_domains`: normalized domains whose cache answers were written or expired
    since last night; the caller asks the cache."""
    size = len(accounts)
    if last is None or last.accounts.empty or now < last.enriched_at:
        domains = normalize_domains(accounts["domain"]).reset_index(drop=True)
        return Reuse(np.ones(size, bool), np.full(size, -1), domains)
    at = carried_positions(accounts["account_id"], hashes, last.accounts, "account_id", INPUT_HASH)
    at = np.where(uniquely_identified(accounts), at, -1)
    enrich = at < 0
    domains = _lookup_domains(accounts, last, at)
    non_matches = last.non_matches
    retried = non_matches.loc[non_matches["reason"].isin(RETRIED_REASONS), "account_id"]
    enrich |= member_of(accounts["account_id"], retried).to_numpy()
    again = set(changed_domains) | set(last.retry_domains)
    if again:
        enrich |= member_of(domains, pd.Series(sorted(again), dtype=object)).to_numpy()
    verified = accounts.get(settings.verified_at_column)
    if verified is not None:
        days = timedelta(days=settings.stale_after_days)
        enrich |= stale_mask(verified, now - days) != stale_mask(verified, last.enriched_at - days)
    in_play = domains[enrich].dropna()
    enrich |= (domains.notna() & member_of(domains, in_play)).to_numpy()
    return Reuse(enrich, np.where(enrich, -1, at), domains)


def _lookup_domains(accounts: pd.DataFrame, last: LastEnrichment, at: np.ndarray) -> pd.Series:
    """Normalized domains: a carried row has last night's; the others are normalized."""
    domains = last.accounts[LOOKUP_DOMAIN].to_numpy(dtype=object)[np.maximum(at, 0)]
    unknown = at < 0
    if unknown.any():
        fresh = normalize_domains(accounts["domain"].iloc[np.flatnonzero(unknown)])
        domains[unknown] = fresh.to_numpy(dtype=object)
    return pd.Series(domains, dtype=object)


def carry_over(
    accounts: pd.DataFrame,
    hashes: np.ndarray,
    reuse: Reuse,
    last: LastEnrichment | None,
    fresh: EnrichmentResult,
    fields: list[str],
) -> tuple[EnrichmentResult, pd.DataFrame]:
    """The whole night's result: fresh rows for the accounts enriched again (in input
    order), last night's for the others, measured over every account (what the night
    asked and spent stays its own); and the enriched rows with INPUT_HASH and
    LOOKUP_DOMAIN, for tomorrow. Each enriched row carries CONTENT_HASH, computed when
    the row is, so the steps after know an unchanged row without reading it."""
    fresh = replace(fresh, accounts=fresh.accounts.assign(
        **{CONTENT_HASH: frame_hashes(fresh.accounts)}
    ))  # fmt: skip
    fresh_rows = fresh.accounts.assign(
        **{
            INPUT_HASH: hashes[reuse.enrich],
            LOOKUP_DOMAIN: reuse.domains[reuse.enrich].to_numpy(dtype=object),
        }
    )
    if last is None or reuse.enrich.all():
        return fresh, fresh_rows
    rows = carry_rows(last.accounts, reuse.last_rows, fresh_rows)
    carried_ids = accounts["account_id"][~reuse.enrich]
    tables = {
        name: pd.concat(
            [
                _rows_of(getattr(last, name), carried_ids),
                getattr(fresh, name),
            ],
            ignore_index=True,
        )
        for name in REVIEW_TABLES
    }
    enriched = rows.drop(columns=[INPUT_HASH, LOOKUP_DOMAIN])
    budget_left = tables["non_matches"][tables["non_matches"]["reason"] == "budget"]
    stats = {
        **fresh.stats,
        "accounts": len(accounts),
        "coverage_before": coverage(accounts, fields),
        "coverage_after": coverage(enriched, fields),
        "fields_filled": newly_filled(accounts, enriched, fields),
        "conflicts": len(tables["conflicts"]),
        "non_matches": len(tables["non_matches"]),
        "accounts_left_by_budget": int(budget_left["account_id"].nunique()),
    }
    return replace(fresh, accounts=enriched, stats=stats, **tables), rows


def _rows_of(table: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    return table[member_of(table["account_id"], ids).to_numpy()]


def night_of(
    result: EnrichmentResult, rows: pd.DataFrame, now: datetime, partition: str
) -> LastEnrichment:
    """What to keep of tonight for tomorrow."""
    lookups = result.lookups
    kept = lookups[~lookups["from_cache"].astype(bool) & lookups["outcome"].isin(["hit", "miss"])]
    fetched = kept.groupby(["domain", "provider"], sort=False)["fetched_at"].max().reset_index()
    unanswered = lookups["outcome"].isin([Outcome.FAILED.value, Outcome.SKIPPED.value])
    return LastEnrichment(
        enriched_at=now,
        accounts=rows[uniquely_identified(rows)].reset_index(drop=True),
        provenance=result.provenance,
        conflicts=result.conflicts,
        non_matches=result.non_matches,
        fetched=fetched[["domain", "provider", "fetched_at"]],
        partition=partition,
        retry_domains=tuple(sorted(set(lookups.loc[unanswered, "domain"].dropna()))),
    )
