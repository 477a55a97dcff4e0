"""Carry last run's enrichment over for the accounts it would come out the same for.

An account's enrichment is a function of its row, the answers the cache holds for its
domain, the settings and the clock (the stale cut-off, the cache's TTLs). On a night
where 1% of accounts changed, nearly every row, answer and setting is the one the last
run saw, so its result is last night's result. `EnrichmentMemo` keeps that result (rows
tagged with the hash of the input row they came from, and each account's review rows);
`rows_to_enrich` says which rows must be enriched again; `fold` puts the fresh and the
carried-over parts back together in input order.

A row is enriched again when it is new or edited, when the cache's answers for its
domain changed or expired since the memo, when it crossed the stale cut-off since the
memo, or when its last result was provisional: a lookup that failed or was skipped
(budget, rate limit, open circuit) is retried every run. Accounts sharing a domain
share their lookup, so they are enriched together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import carry_rows
from segmentation_pipeline.core.changes import INPUT_HASH
from segmentation_pipeline.core.columns import isin_by_hash, member_of
from segmentation_pipeline.core.enrich.normalize import normalize_domains
from segmentation_pipeline.core.enrich.plan import stale_mask
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

# The memo's accounts carry each row's normalized domain, so a carried row is not
# normalized again.
LOOKUP_DOMAIN = "_lookup_domain"
# Non-match reasons that a later run may resolve without any input changing.
RETRIED_REASONS = frozenset({"budget", "failed"})


@dataclass(frozen=True)
class EnrichmentMemo:
    """One run's enrichment, to be carried over by the next run with the same fingerprint."""

    fingerprint: str
    enriched_at: datetime  # the run's `now`: stale cut-off and TTLs were judged from it
    accounts: pd.DataFrame  # enriched rows, with INPUT_HASH and LOOKUP_DOMAIN
    provenance: pd.DataFrame  # review rows, each with its account row's INPUT_HASH
    conflicts: pd.DataFrame
    non_matches: pd.DataFrame
    # domain, provider, fetched_at: the answers this run fetched (not from the cache); a
    # later cache answer for the domain is news to the memo.
    fetched: pd.DataFrame
    partition: str | None = None  # the month whose review tables this memo wrote
    # Normalized domains a provider failed on or skipped (budget, rate, circuit breaker):
    # their accounts are enriched again next run, whatever else holds.
    retry_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reuse:
    """Which input rows to enrich again, and where the others' results are in the memo."""

    enrich: np.ndarray  # bool per input row
    memo_rows: np.ndarray  # per input row: its memo row, -1 when it has none
    domains: pd.Series  # per input row: its normalized (lookup) domain

    @property
    def carried(self) -> int:
        return int((~self.enrich).sum())


def rows_to_enrich(
    accounts: pd.DataFrame,
    hashes: np.ndarray,
    memo: EnrichmentMemo | None,
    settings: EnrichmentSettings,
    now: datetime,
    changed_domains: Collection[str],
) -> Reuse:
    """Rows whose enrichment may differ from the memo's (see the module docstring).

    `changed_domains` are the normalized domains whose cache answers were written or
    expired since the memo was made; the caller asks the cache."""
    size = len(accounts)
    if memo is None or memo.accounts.empty or now < memo.enriched_at:
        domains = normalize_domains(accounts["domain"]).reset_index(drop=True)
        return Reuse(np.ones(size, bool), np.full(size, -1), domains)
    known = memo.accounts[INPUT_HASH]
    at = pd.Index(known).get_indexer(hashes) if known.is_unique else _first_index(known, hashes)
    enrich = at < 0
    domains = _lookup_domains(accounts, memo, at)
    non_matches = memo.non_matches
    retried = non_matches["account_id"][non_matches["reason"].isin(RETRIED_REASONS)]
    provisional = member_of(memo.accounts["account_id"].astype(str), retried.astype(str))
    enrich |= (at >= 0) & provisional.to_numpy()[np.maximum(at, 0)]

    again = set(changed_domains) | set(memo.retry_domains)
    if again:
        enrich |= member_of(domains, pd.Series(sorted(again), dtype=object)).to_numpy()
    verified = accounts.get(settings.verified_at_column)
    if verified is not None:
        days = timedelta(days=settings.stale_after_days)
        enrich |= stale_mask(verified, now - days) != stale_mask(verified, memo.enriched_at - days)

    # Review rows are kept per account: an account without an id of its own is never
    # carried over (its review rows could not be told apart).
    enrich |= ~uniquely_identified(accounts)

    in_play = domains[enrich].dropna()
    enrich |= (domains.notna() & member_of(domains, in_play)).to_numpy()
    return Reuse(enrich, np.where(enrich, -1, at), domains)


def uniquely_identified(accounts: pd.DataFrame) -> np.ndarray:
    """Per row: it has an account id that no other row has."""
    ids = accounts["account_id"]
    return (ids.notna() & ~ids.duplicated(keep=False)).to_numpy(dtype=bool)


def _lookup_domains(accounts: pd.DataFrame, memo: EnrichmentMemo, at: np.ndarray) -> pd.Series:
    """Normalized domains: a row the memo holds (same content) has the memo's; only the
    others are normalized afresh."""
    if LOOKUP_DOMAIN not in memo.accounts.columns:
        return normalize_domains(accounts["domain"]).reset_index(drop=True)
    domains = memo.accounts[LOOKUP_DOMAIN].to_numpy(dtype=object)[np.maximum(at, 0)]
    unknown = at < 0
    if unknown.any():
        fresh = normalize_domains(accounts["domain"].iloc[np.flatnonzero(unknown)])
        domains[unknown] = fresh.to_numpy(dtype=object)
    return pd.Series(domains, dtype=object)


def _first_index(known: pd.Series, hashes: np.ndarray) -> np.ndarray:
    first = known.drop_duplicates()
    positions = pd.Index(first).get_indexer(hashes)
    return np.where(positions >= 0, first.index.to_numpy()[np.maximum(positions, 0)], -1)


def _carried_rows(table: pd.DataFrame, hashes: np.ndarray) -> pd.DataFrame:
    """Review rows of the carried account rows (review rows carry their row's hash)."""
    keep = isin_by_hash(table[INPUT_HASH].to_numpy(dtype=np.uint64), hashes)
    return table[keep]


def _tagged(table: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Review rows tagged with the hash of their account's row (0 for an account without
    an id of its own: such rows are never carried over)."""
    unique = uniquely_identified(accounts)
    by_account = pd.Series(
        accounts[INPUT_HASH].to_numpy(dtype=np.uint64)[unique],
        index=accounts["account_id"][unique].astype(str),
    )
    at = by_account.index.get_indexer(table["account_id"].astype(str))
    known = np.append(by_account.to_numpy(), np.uint64(0))  # at == -1 picks the 0
    hashes = known[np.where(at >= 0, at, len(by_account))]
    return table.assign(**{INPUT_HASH: hashes.astype(np.uint64)})


@dataclass(frozen=True)
class Folded:
    accounts: pd.DataFrame  # with INPUT_HASH and LOOKUP_DOMAIN, in input order
    # The review tables, each row with the INPUT_HASH of its account's row.
    provenance: pd.DataFrame
    conflicts: pd.DataFrame
    non_matches: pd.DataFrame


def fold(
    reuse: Reuse,
    hashes: np.ndarray,
    memo: EnrichmentMemo | None,
    fresh_accounts: pd.DataFrame,
    fresh_provenance: pd.DataFrame,
    fresh_conflicts: pd.DataFrame,
    fresh_non_matches: pd.DataFrame,
) -> Folded:
    """The whole result: fresh rows for the re-enriched accounts (in their input order),
    the memo's rows for the others."""
    fresh_accounts = fresh_accounts.assign(
        **{
            INPUT_HASH: hashes[reuse.enrich],
            LOOKUP_DOMAIN: reuse.domains[reuse.enrich].to_numpy(dtype=object),
        }
    )
    fresh_tables = [
        _tagged(t, fresh_accounts) for t in (fresh_provenance, fresh_conflicts, fresh_non_matches)
    ]
    if memo is None or reuse.enrich.all():
        return Folded(fresh_accounts, *fresh_tables)
    carried = hashes[~reuse.enrich]
    accounts = carry_rows(memo.accounts, reuse.memo_rows, fresh_accounts)
    tables = [
        pd.concat([_carried_rows(old, carried), new], ignore_index=True)
        for old, new in zip(
            (memo.provenance, memo.conflicts, memo.non_matches), fresh_tables, strict=True
        )
    ]
    return Folded(accounts, *tables)
