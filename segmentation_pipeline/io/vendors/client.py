"""Ask one vendor about many domains as fast as its limits allow, and never faster.

One pooled async httpx client per call to `lookup`; `concurrency` workers take the
domains batch by batch, so at most that many requests are in flight. Every request
first books a slot with the rate limiter and reserves its worst-case cost with the
budget. A 429 pauses the whole provider for the vendor's `Retry-After`; 5xx, timeouts
and unreadable bodies are retried with jittered backoff and count towards the circuit
breaker; bad credentials or exhausted credits park the provider for the rest of the
run. A batch may hold one domain the vendor always fails on: its failures do not count
towards the breaker (unless it is the probe of an open one), and once it has given up
each of its domains is asked once alone, so the others are answered and that one fails
with its own reason. A domain that failed alone on an earlier run (`failing`, kept by
the enrichment cache) is asked last, once and alone, after every other domain had its
turn; its failure counts towards the breaker only as the probe, so such domains can
neither park the provider before the others are asked nor cost a batch its retries.
Every domain comes back as exactly one `Answer`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from segmentation_pipeline.core.enrich.answers import (
    Answer,
    Keep,
    Outcome,
    failed,
    hit,
    miss,
    skipped,
)
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.circuit_breaker import Admission, CircuitBreaker
from segmentation_pipeline.core.enrich.rate_limit import RateLimiter
from segmentation_pipeline.core.enrich.retry import RetryPolicy, parse_retry_after
from segmentation_pipeline.framework.enrichment import ProviderSettings
from segmentation_pipeline.io.vendors.base import (
    ItemResult,
    MalformedResponse,
    VendorAdapter,
    VendorRecord,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Reply:
    """How one request went: parsed items, or why not and whether trying again helps."""

    items: Mapping[str, ItemResult] | None = None
    problem: str | None = None
    retry: bool = False
    rate_limited: bool = False
    fatal: bool = False
    retry_after: float | None = None


class VendorClient:
    def __init__(
        self,
        adapter: VendorAdapter,
        settings: ProviderSettings,
        api_key: SecretStr | None,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        *,
        base_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ):
        self.adapter = adapter
        self.name = adapter.name
        self.settings = settings
        self._api_key = api_key
        self.retry = retry
        self.breaker = breaker
        self.base_url = base_url or settings.base_url or adapter.default_base_url
        self.limiter = RateLimiter.from_settings(settings.rate_limit)
        self.batch_size = min(settings.batch_size, adapter.max_batch_size)
        self.requests = 0
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        # Notified whenever a probe settles; made per `lookup`, inside its event loop.
        self._probe_settled = asyncio.Condition()

    def __repr__(self) -> str:
        return f"VendorClient({self.name!r}, base_url={self.base_url!r})"

    async def lookup(
        self,
        domains: Sequence[str],
        budget: CreditBudget,
        keep: Keep | None = None,
        failing: Collection[str] = (),
    ) -> list[Answer]:
        """One answer per domain: hit, miss, failed (with why) or skipped (with why);
        `keep` is given each batch's answers as they arrive. `failing`: domains that
        failed alone on an earlier run, asked last and alone."""
        if not domains:
            return []
        self._probe_settled = asyncio.Condition()
        headers = {"Accept": "application/json"}
        if self._api_key is not None:
            headers.update(self.adapter.auth_headers(self._api_key.get_secret_value()))
        pool = httpx.Limits(
            max_connections=self.settings.concurrency,
            max_keepalive_connections=self.settings.concurrency,
        )
        size, failing = self.batch_size, frozenset(failing)
        first = [d for d in domains if d not in failing]
        batches = [first[i : i + size] for i in range(0, len(first), size)]
        last = [[d] for d in domains if d in failing]

        async def work(chunks: list[list[str]], failed_before: bool) -> list[Answer]:
            queue = iter(chunks)

            async def worker() -> list[Answer]:
                answers: list[Answer] = []
                for chunk in queue:
                    got = await self._chunk(http, chunk, budget, failed_before)
                    if keep is not None:
                        keep(got)
                    answers += got
                return answers

            workers = min(self.settings.concurrency, len(chunks))
            done = await asyncio.gather(*(worker() for _ in range(workers)))
            return [answer for answers in done for answer in answers]

        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=self.settings.timeout_seconds,
            limits=pool,
        ) as http:
            # The domains that failed alone before go once the others have all been asked.
            return await work(batches, False) + await work(last, True)

    def _parked(self, domains: Sequence[str]) -> list[Answer]:
        why = f"provider parked ({self.breaker.reason or 'circuit open'})"
        return [skipped(self.name, d, self._wall_clock(), why) for d in domains]

    async def _chunk(
        self,
        http: httpx.AsyncClient,
        domains: list[str],
        budget: CreditBudget,
        failed_before: bool = False,
    ) -> list[Answer]:
        unit = max(self.settings.cost_per_match, self.settings.cost_per_miss)
        granted = budget.reserve(len(domains), unit)
        now = self._wall_clock()
        why = f"budget: {budget.limit_reached() or 'no credits left'}"
        refused = [skipped(self.name, d, now, why) for d in domains[granted:]]
        asking = domains[:granted]
        if not asking:
            return refused
        reserved = granted * unit
        if failed_before:
            why = "asked last and alone as it failed so on an earlier run"
            answers = await self._ask(http, asking, alone=why, counts=False)
        else:
            answers = await self._ask(http, asking)
        if (
            len(asking) > 1
            and not self.breaker.permanent
            and all(a.outcome is Outcome.FAILED for a in answers)
        ):
            why = "also asked alone after its batch failed"
            answers = [a for d in asking for a in await self._ask(http, [d], alone=why)]
        budget.settle(reserved, sum(a.credits for a in answers))
        return answers + refused

    async def _ask(
        self,
        http: httpx.AsyncClient,
        domains: list[str],
        alone: str | None = None,
        counts: bool = True,
    ) -> list[Answer]:
        """`alone`: why one domain is asked once (its batch got no answer, or it failed
        alone on an earlier run): a failure (not a 429) ends it. `counts`: whether the
        failure of a request for one domain counts towards the breaker; the probe's
        always does."""
        attempt = 0
        while True:
            attempt += 1
            booked = self.limiter.reserve(self._clock())
            if booked > 0:
                await self._sleep(booked)
            while (late := self.limiter.admit(self._clock())) > 0:
                await self._sleep(late)
            admission = await self._admitted()
            probe = self.breaker.probes
            if admission is Admission.PARKED:
                return self._parked(domains)
            try:
                reply = await self._send(http, domains)
                if reply.items is not None:
                    self.breaker.record_success()
                    return self._answers(domains, reply.items)
                if reply.fatal:
                    self.breaker.trip(self._clock(), reply.problem or "refused")
                    log.warning("%s: %s; provider parked for this run", self.name, reply.problem)
                    return self._failed(domains, reply.problem, own=False)
                if not reply.retry:
                    self.breaker.record_success()
                    return self._failed(domains, reply.problem)
                probing = admission is Admission.PROBE
                if not reply.rate_limited and (probing or (len(domains) == 1 and counts)):
                    self.breaker.record_failure(
                        self._clock(), reply.problem or "error", probe=probing
                    )
            finally:
                if admission is Admission.PROBE:
                    await self._settle_probe(probe)
            if alone and not reply.rate_limited:
                why = f"{reply.problem}, {alone}"
                log.warning("%s: %s", self.name, why)
                return self._failed(domains, why)
            delay = self.retry.delay(attempt, reply.retry_after, self._rng)
            if delay is None:
                why = f"{reply.problem}; gave up after {attempt} attempts"
                log.warning("%s: %s (%d domains)", self.name, why, len(domains))
                return self._failed(domains, why)
            if reply.rate_limited:
                self.limiter.pause_until(self._clock() + delay)
            else:
                await self._sleep(delay)

    async def _admitted(self) -> Admission:
        """Wait while the breaker is open, then go (as the probe, or once a probe closed
        it); PARKED when the provider is parked for the run."""
        while True:
            admission = self.breaker.admit(self._clock())
            if admission is Admission.PROBE:
                log.info("%s: circuit half-open, sending one probe", self.name)
            if admission is not Admission.WAIT:
                return admission
            wait = self.breaker.seconds_until_probe(self._clock())
            if wait is None:
                return Admission.PARKED
            if wait > 0:
                await self._sleep(wait)
            else:  # a probe is out: ask again once one settles
                async with self._probe_settled:
                    await self._probe_settled.wait()

    async def _settle_probe(self, probe: int) -> None:
        """Wake every waiting request. A probe that told nothing (rate limited,
        cancelled) hands the next probe to whoever asks first; a probe that is no longer
        the breaker's latest (a stale reply reopened it and a newer probe went out)
        leaves the newer one alone."""
        if self.breaker.probes == probe:
            self.breaker.release_probe()
        async with self._probe_settled:
            self._probe_settled.notify_all()

    async def _send(self, http: httpx.AsyncClient, domains: list[str]) -> _Reply:
        batched = self.batch_size > 1
        request = (
            self.adapter.batch_request(domains)
            if batched
            else self.adapter.single_request(domains[0])
        )
        self.requests += 1
        try:
            response = await http.request(
                request.method, request.path, params=list(request.params), json=request.json
            )
        except httpx.TimeoutException:
            return _Reply(problem=f"timed out after {self.settings.timeout_seconds:g}s", retry=True)
        except httpx.TransportError as exc:
            return _Reply(problem=f"connection failed ({type(exc).__name__})", retry=True)
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return _Reply(
                problem="rate limited (HTTP 429)",
                retry=True,
                rate_limited=True,
                retry_after=retry_after,
            )
        if status in (401, 403):
            return _Reply(problem=f"authentication failed (HTTP {status})", fatal=True)
        if status == 402:
            return _Reply(problem="out of credits (HTTP 402)", fatal=True)
        if status in (200, 404):
            try:
                body = response.content
                if batched:
                    items = self.adapter.parse_batch(status, body, domains)
                else:
                    items = {domains[0]: self.adapter.parse_single(status, body, domains[0])}
            except MalformedResponse as exc:
                return _Reply(problem=f"malformed response ({exc})", retry=True)
            return _Reply(items=items)
        if status >= 500 or status == 408:
            return _Reply(problem=f"server error (HTTP {status})", retry=True)
        return _Reply(problem=f"request rejected (HTTP {status})")

    def _answers(self, domains: Sequence[str], items: Mapping[str, ItemResult]) -> list[Answer]:
        now = self._wall_clock()
        out = []
        for domain in domains:
            item = items.get(domain)
            if isinstance(item, VendorRecord):
                out.append(
                    hit(
                        self.name,
                        domain,
                        item.values,
                        item.confidence,
                        now,
                        self.settings.cost_per_match,
                    )
                )
            elif isinstance(item, str):
                out.append(failed(self.name, domain, now, item))
            else:
                out.append(miss(self.name, domain, now, self.settings.cost_per_miss))
        return out

    def _failed(self, domains: Sequence[str], why: str | None, own: bool = True) -> list[Answer]:
        """Failed answers; one domain asked alone fails for itself, unless the fault is
        nobody's own (`own`: a refused key, no credits)."""
        now = self._wall_clock()
        alone = own and len(domains) == 1
        return [failed(self.name, d, now, why or "failed", alone) for d in domains]
