"""What one provider said about one domain: the unit the waterfall, the cache and the
statistics all speak in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    HIT = "hit"  # the provider knows the company
    MISS = "miss"  # the provider answered that it does not
    FAILED = "failed"  # asked, but no usable answer came back (errors, timeouts, junk)
    SKIPPED = "skipped"  # not asked: budget spent or provider parked


@dataclass(frozen=True)
class Answer:
    provider: str
    domain: str
    outcome: Outcome
    fetched_at: datetime
    # Field -> value in the pipeline's schema; only fields the provider knows.
    values: Mapping[str, object] = field(default_factory=dict)
    confidence: float | None = None
    credits: float = 0.0
    reason: str | None = None
    from_cache: bool = False
    # Failed when asked by itself: the failure is the domain's own, not its batch's.
    alone: bool = False

    @property
    def answered(self) -> bool:
        """A hit or a miss: the provider gave its word (worth remembering)."""
        return self.outcome in (Outcome.HIT, Outcome.MISS)

    def value(self, field_name: str) -> object | None:
        return self.values.get(field_name) if self.outcome is Outcome.HIT else None

    def cached(self) -> Answer:
        """The same answer served again from the cache: free this time."""
        return replace(self, from_cache=True, credits=0.0)


def hit(
    provider: str,
    domain: str,
    values: Mapping[str, object],
    confidence: float,
    fetched_at: datetime,
    credits: float = 0.0,
) -> Answer:
    known = {k: v for k, v in values.items() if v is not None}
    return Answer(provider, domain, Outcome.HIT, fetched_at, known, confidence, credits)


def miss(
    provider: str, domain: str, fetched_at: datetime, credits: float = 0.0, reason: str = "no match"
) -> Answer:
    return Answer(provider, domain, Outcome.MISS, fetched_at, credits=credits, reason=reason)


def failed(
    provider: str, domain: str, fetched_at: datetime, reason: str, alone: bool = False
) -> Answer:
    return Answer(provider, domain, Outcome.FAILED, fetched_at, reason=reason, alone=alone)


def skipped(provider: str, domain: str, fetched_at: datetime, reason: str) -> Answer:
    return Answer(provider, domain, Outcome.SKIPPED, fetched_at, reason=reason)


# Called by a provider with each batch of answers as it arrives, so what was paid for is
# kept (cache, ledger) even when the run stops before the provider's last batch.
Keep = Callable[[list[Answer]], None]
