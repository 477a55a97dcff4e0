"""Run the enrichment waterfall against real providers: the one entry point.

`enrich_accounts(accounts, providers, cache, settings, now)` plans which accounts need
a lookup (core), serves what the cache remembers, then asks providers in rounds: each
round sends every domain to the next provider its waterfall wants, all providers in
parallel, each at its own rate limit. A domain is never sent to the same provider twice
in a run, so the rounds end after at most one per provider. Answers are written to the
cache and their spend to the ledger as they arrive (at most once a second), so a run
stopped mid-round keeps what it paid for and the monthly cap sees it. The domains a
provider failed on when asked alone are remembered with them, and the next run gives
that provider those domains to ask last (`EnrichmentCache.failing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import pandas as pd

from segmentation_pipeline.core.enrich.answers import Answer, failed
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.plan import plan_enrichment
from segmentation_pipeline.core.enrich.result import EnrichmentResult, assemble
from segmentation_pipeline.core.enrich.waterfall import next_providers
from segmentation_pipeline.framework.enrichment import EnrichmentSettings
from segmentation_pipeline.io.enrichment_cache import EnrichmentCache
from segmentation_pipeline.io.vendors import Provider


def month_start(now: datetime) -> datetime:
    moment = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def enrich_accounts_async(
    accounts: pd.DataFrame,
    providers: Mapping[str, Provider],
    cache: EnrichmentCache | None,
    settings: EnrichmentSettings,
    now: datetime,
) -> EnrichmentResult:
    plan = plan_enrichment(accounts, settings, now)
    requests_before = {name: provider.requests for name, provider in providers.items()}
    lookups = plan.lookups
    available = [p for p in settings.providers if p in providers]
    answers: dict[str, dict[str, Answer]] = {domain: {} for domain in lookups}
    spent_before = 0.0
    failing: dict[str, set[str]] = {}
    if cache is not None:
        failing = cache.failing(available)
        remembered = cache.fresh(list(lookups), available, now, settings.cache)
        for domain, by_provider in remembered.items():
            answers[domain].update(by_provider)
        spent_before = cache.spent_since(month_start(now))
    budget = CreditBudget(
        settings.budget.credits_per_run, settings.budget.credits_per_month, spent_before
    )
    keep = _Keeper(cache, now, failing) if cache is not None else None
    try:
        for _ in range(len(available) + 1):
            asks: dict[str, list[str]] = {}
            for domain, fields in lookups.items():
                ordered = [f for f in settings.filled_fields if f in fields]
                for provider in next_providers(ordered, settings, answers[domain], available):
                    asks.setdefault(provider, []).append(domain)
            if not asks:
                break
            rounds = await asyncio.gather(
                *(
                    providers[p].lookup(domains, budget, keep, failing.get(p, set()))
                    for p, domains in asks.items()
                )
            )
            for (provider, domains), got in zip(asks.items(), rounds, strict=True):
                by_domain = {a.domain: a for a in got}
                for domain in domains:
                    answers[domain][provider] = by_domain.get(domain) or failed(
                        provider, domain, now, "provider returned no answer for this domain"
                    )
    finally:  # the run ends, fails or is stopped: what arrived since the last write
        if keep is not None:
            keep.flush()
    requests = {
        name: provider.requests - requests_before[name] for name, provider in providers.items()
    }
    return assemble(accounts, plan, answers, settings, available, budget, requests)


class _Keeper:
    """Writes arriving answers to the cache, their spend to the ledger and which
    domains failed alone (or answered again, of those in `failing`) at most once
    every `every` seconds, and what is left when the run ends. Each write holds up the
    event loop the requests are paced on (a write per answer halved the request rate
    in benchmarks/enrichment.py), so a run killed outright loses at most the last
    `every` seconds of answers from the ledger."""

    def __init__(
        self,
        cache: EnrichmentCache,
        now: datetime,
        failing: Mapping[str, set[str]],
        every: float = 1.0,
    ):
        self.cache, self.now, self.failing, self.every = cache, now, failing, every
        self.waiting: list[Answer] = []
        self.written_at = time.monotonic()

    def __call__(self, batch: list[Answer]) -> None:
        self.waiting += batch
        if time.monotonic() - self.written_at >= self.every:
            self.flush()

    def flush(self) -> None:
        batch, self.waiting = self.waiting, []
        self.written_at = time.monotonic()
        if not batch:
            return
        self.cache.store(batch)
        self.cache.note_failing(batch, self.failing)
        credits: dict[str, float] = {}
        for answer in batch:
            credits[answer.provider] = credits.get(answer.provider, 0.0) + answer.credits
        self.cache.record_spend(credits, self.now)


@contextlib.contextmanager
def _collector_kept_off_the_critical_path() -> Iterator[None]:
    """A full garbage collection over everything pandas, SQLAlchemy and httpx keep alive
    stalls the event loop for 100-250 ms; requests paced behind the stall then reach
    the vendor together, over its per-second limit. Objects alive before the run are
    frozen out of collection for its duration, so collections stay short."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def enrich_accounts(
    accounts: pd.DataFrame,
    providers: Mapping[str, Provider],
    cache: EnrichmentCache | None,
    settings: EnrichmentSettings,
    now: datetime | None = None,
) -> EnrichmentResult:
    """Fill the accounts' firmographic gaps; see `EnrichmentResult` for what comes back."""
    moment = now or datetime.now(UTC)
    with _collector_kept_off_the_critical_path():
        return asyncio.run(enrich_accounts_async(accounts, providers, cache, settings, moment))
