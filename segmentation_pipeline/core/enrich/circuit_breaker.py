"""Park a provider that keeps failing, so its queue falls through to the next one.

Closed: requests flow and consecutive failures are counted. After `failure_threshold`
in a row the breaker opens: nothing is sent for `reset_after` seconds, and the
provider's queue waits (`seconds_until_probe`) instead of being skipped. Then one probe
is let through (half-open) while the rest keep waiting: a success closes the breaker
and the queue flows again; a failure opens it for another `reset_after`. After
`max_failed_probes` failed probes in a row, or at once for a fault retrying cannot
help (bad credentials, no credits), the provider is parked for the rest of the run:
what is left of its queue is skipped and retried on the next run.
"""

from __future__ import annotations

from enum import StrEnum

from segmentation_pipeline.framework.enrichment import CircuitBreakerSettings


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Admission(StrEnum):
    """What a request may do now."""

    SEND = "send"  # closed: go
    PROBE = "probe"  # half-open: go, as the one probe
    WAIT = "wait"  # open, or a probe is out: wait `seconds_until_probe`
    PARKED = "parked"  # parked for the rest of the run: skip


class CircuitBreaker:
    def __init__(
        self, failure_threshold: int = 5, reset_after: float = 60.0, max_failed_probes: int = 3
    ):
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.max_failed_probes = max_failed_probes
        self.failures = 0
        self.failed_probes = 0
        self.opened_at: float | None = None
        self.probing = False
        self.reason: str | None = None
        self.permanent = False
        self.trips = 0
        self.probes = 0

    @classmethod
    def from_settings(cls, settings: CircuitBreakerSettings) -> CircuitBreaker:
        return cls(
            settings.failure_threshold, settings.reset_after_seconds, settings.max_failed_probes
        )

    def state(self, now: float) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        # The same sum as `seconds_until_probe`: `now - opened_at < reset_after` can hold in
        # floating point while `opened_at + reset_after - now` is 0, and a waiter told
        # "open" with 0 s to wait would spin.
        if self.permanent or self.probing or now < self.opened_at + self.reset_after:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def admit(self, now: float) -> Admission:
        """May a request go now? In half-open state only one probe at a time."""
        if self.permanent:
            return Admission.PARKED
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return Admission.SEND
        if state is BreakerState.HALF_OPEN:
            self.probing = True
            self.probes += 1
            return Admission.PROBE
        return Admission.WAIT

    def allow(self, now: float) -> bool:
        return self.admit(now) in (Admission.SEND, Admission.PROBE)

    def seconds_until_probe(self, now: float) -> float | None:
        """How long a waiting request should wait before asking again: None when parked
        for the run, 0 while a probe is out (wait for its outcome instead)."""
        if self.permanent:
            return None
        if self.opened_at is None or self.probing:
            return 0.0
        return max(0.0, self.opened_at + self.reset_after - now)

    def record_success(self) -> None:
        if not self.permanent:
            self.failures = 0
            self.failed_probes = 0
            self.opened_at = None
            self.probing = False
            self.reason = None

    def record_failure(self, now: float, reason: str, *, probe: bool = False) -> None:
        """Count a failed request; `probe` says it was the probe. A request sent before
        the breaker opened can fail while a probe is out: that is old news, and must not
        be taken for the probe's answer."""
        self.failures += 1
        self.reason = reason
        if probe and self.probing:
            self.probing = False
            self.failed_probes += 1
            if self.failed_probes >= self.max_failed_probes:
                self.trip(now, f"{reason}; still failing after {self.failed_probes} probes")
                return
            self.trips += 1
            self.opened_at = now
        elif self.failures >= self.failure_threshold and self.opened_at is None:
            self.trips += 1
            self.opened_at = now

    def release_probe(self) -> None:
        """The probe out told nothing (rate limited, cancelled): the next request probes."""
        self.probing = False

    def trip(self, now: float, reason: str) -> None:
        """Open for the rest of the run: retrying cannot help (credentials, credits)."""
        self.permanent = True
        self.probing = False
        self.reason = reason
        self.opened_at = now
        self.trips += 1
