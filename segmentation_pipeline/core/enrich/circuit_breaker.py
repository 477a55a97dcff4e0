"""Park a provider that keeps failing, so its queue falls through to the next one.

Closed: requests flow and consecutive failures are counted. After `failure_threshold`
in a row the breaker opens and nothing is sent for `reset_after` seconds; then one
probe is let through (half-open): a success closes the breaker, a failure opens it
again. A breaker tripped for good (bad credentials, no credits) never lets a probe out.
"""

from __future__ import annotations

from enum import StrEnum

from segmentation_pipeline.framework.enrichment import CircuitBreakerSettings


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failure_threshold: int = 5, reset_after: float = 60.0):
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False
        self.reason: str | None = None
        self.permanent = False
        self.trips = 0

    @classmethod
    def from_settings(cls, settings: CircuitBreakerSettings) -> CircuitBreaker:
        return cls(settings.failure_threshold, settings.reset_after_seconds)

    def state(self, now: float) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self.permanent or now - self.opened_at < self.reset_after:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self, now: float) -> bool:
        """May a request go now? In half-open state only one probe at a time."""
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def record_success(self) -> None:
        if not self.permanent:
            self.failures = 0
            self.opened_at = None
            self.probing = False
            self.reason = None

    def record_failure(self, now: float, reason: str) -> None:
        self.failures += 1
        self.reason = reason
        if self.probing or self.failures >= self.failure_threshold:
            if self.opened_at is None or self.probing:
                self.trips += 1
            self.opened_at = now
            self.probing = False

    def trip(self, now: float, reason: str) -> None:
        """Open for the rest of the run: retrying cannot help (credentials, credits)."""
        self.permanent = True
        self.reason = reason
        self.opened_at = now
        self.trips += 1
