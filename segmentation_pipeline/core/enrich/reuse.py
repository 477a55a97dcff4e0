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

from segmentation_pipeline.core.changes import INPUT_HASH
from segmentation_pipeline.core.columns import member_of
from segmentation_pipeline.core.enrich.normalize import normalize_domains
from segmentation_pipeline.core.enrich.plan import stale_mask
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

# Non-match reasons that a later run may resolve without any input changing.
RETRIED_REASONS = frozenset({"budget", "failed"})


@dataclass(frozen=True)
class EnrichmentMemo:
    """One run's enrichment, to be carried over by the next run with the same fingerprint."""

    fingerprint: str
    enriched_at: datetime  # the run's `now`: stale cut-off and TTLs were judged from it
    accounts: pd.DataFrame  # enriched rows, with INPUT_HASH
    provenance: pd.DataFrame
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
        return Reuse(np.ones(size, bool), np.full(size, -1))
    known = memo.accounts[INPUT_HASH]
    at = pd.Index(known).get_indexer(hashes) if known.is_unique else _first_index(known, hashes)
    enrich = at < 0
    non_matches = memo.non_matches
    retried = non_matches["account_id"][non_matches["reason"].isin(RETRIED_REASONS)]
    provisional = member_of(memo.accounts["account_id"].astype(str), retried.astype(str))
    enrich |= (at >= 0) & provisional.to_numpy()[np.maximum(at, 0)]

    domains = normalize_domains(accounts["domain"]).reset_index(drop=True)
    again = set(changed_domains) | set(memo.retry_domains)
    if again:
        enrich |= member_of(domains, pd.Series(sorted(again), dtype=object)).to_numpy()
    verified = accounts.get(settings.verified_at_column)
    if verified is not None:
        days = timedelta(days=settings.stale_after_days)
        enrich |= stale_mask(verified, now - days) != stale_mask(verified, memo.enriched_at - days)

    in_play = domains[enrich].dropna()
    enrich |= (domains.notna() & member_of(domains, in_play)).to_numpy()
    return Reuse(enrich, np.where(enrich, -1, at))


def _first_index(known: pd.Series, hashes: np.ndarray) -> np.ndarray:
    first = known.drop_duplicates()
    positions = pd.Index(first).get_indexer(hashes)
    return np.where(positions >= 0, first.index.to_numpy()[np.maximum(positions, 0)], -1)


def _carried_rows(table: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    return table[member_of(table["account_id"].astype(str), ids).to_numpy()]


@dataclass(frozen=True)
class Folded:
    accounts: pd.DataFrame  # with INPUT_HASH, in input order
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
    fresh_accounts = fresh_accounts.assign(**{INPUT_HASH: hashes[reuse.enrich]})
    if memo is None or reuse.enrich.all():
        return Folded(fresh_accounts, fresh_provenance, fresh_conflicts, fresh_non_matches)
    carried = memo.accounts.iloc[reuse.memo_rows[~reuse.enrich]].reset_index(drop=True)
    ids = carried["account_id"].astype(str)
    if not reuse.enrich.any():
        accounts = carried
    else:
        combined = pd.concat([carried, fresh_accounts[carried.columns]], ignore_index=True)
        order = np.concatenate([np.flatnonzero(~reuse.enrich), np.flatnonzero(reuse.enrich)])
        accounts = combined.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
        differing = {c: carried[c].dtype for c in accounts if accounts[c].dtype != carried[c].dtype}
        accounts = accounts.astype(differing)
    tables = [
        pd.concat([_carried_rows(old, ids), new], ignore_index=True) if len(new) else
        _carried_rows(old, ids).reset_index(drop=True)
        for old, new in (
            (memo.provenance, fresh_provenance),
            (memo.conflicts, fresh_conflicts),
            (memo.non_matches, fresh_non_matches),
        )
    ]  # fmt: skip
    return Folded(accounts, *tables)
