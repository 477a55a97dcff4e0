"""Admission control against a vendor's documented limits; time is passed in, never read.

Two shapes of limit, because vendors publish two kinds:

* per second / per minute are throughput limits: a token bucket paces requests at
  `(1 - headroom)` of the limit with at most `burst` back to back, so any window of the
  limit's length holds at most `burst + (1 - headroom) * limit` requests;
* per hour / per day are quotas: a sliding window lets requests go as fast as the
  shorter limits allow until the quota is used, then waits for the window to slide.

`reserve` books the earliest moment every limit allows and returns how long the caller
must wait for it; bookings queue in order, so concurrent callers are served FIFO. A
caller that wakes late must not bunch up with the callers after it, so `admit` checks
the moments requests really leave against the same windows (at `(1 - headroom)` of each
limit) just before sending: the booked schedule sets the pace, the admitted log is the
guarantee.
"""

from __future__ import annotations

import math
from collections import deque

from segmentation_pipeline.framework.enrichment import RateLimit

_WINDOWS = {"per_second": 1.0, "per_minute": 60.0, "per_hour": 3600.0, "per_day": 86400.0}


class TokenBucket:
    """A bucket of `capacity` tokens refilled at `rate` per second, one token a request.

    Kept as a virtual schedule (the time the bucket would be full again), which is the
    same bucket arithmetic but lets a booking be made for a moment in the future.
    """

    def __init__(self, rate: float, capacity: int = 1):
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and a capacity of at least 1")
        self.interval = 1.0 / rate
        self.tolerance = (capacity - 1) * self.interval
        self._theoretical = -math.inf

    def earliest(self, now: float) -> float:
        return max(now, self._theoretical - self.tolerance)

    def commit(self, at: float) -> None:
        self._theoretical = max(self._theoretical, at) + self.interval


class WindowQuota:
    """At most `limit` requests in any `window` seconds."""

    def __init__(self, limit: int, window: float):
        if limit < 1 or window <= 0:
            raise ValueError("a window quota needs a limit of at least 1 and a positive window")
        self.limit = limit
        self.window = window
        self._sent: deque[float] = deque(maxlen=limit)

    def earliest(self, now: float) -> float:
        if len(self._sent) < self.limit:
            return now
        return max(now, self._sent[0] + self.window)

    def commit(self, at: float) -> None:
        self._sent.append(at)


class RateLimiter:
    def __init__(
        self,
        limits: list[TokenBucket | WindowQuota] | None = None,
        guards: list[WindowQuota] | None = None,
    ):
        self.limits = list(limits or [])
        self.guards = list(guards or [])
        self._paused_until = -math.inf

    @classmethod
    def from_settings(cls, settings: RateLimit) -> RateLimiter:
        limits: list[TokenBucket | WindowQuota] = []
        guards: list[WindowQuota] = []
        share = 1.0 - settings.headroom
        for name, window in _WINDOWS.items():
            allowed = getattr(settings, name)
            if allowed is None:
                continue
            quota = max(1, math.floor(allowed * share))
            guards.append(WindowQuota(quota, window))
            if window <= 60.0:
                limits.append(TokenBucket(allowed * share / window, settings.burst))
            else:
                limits.append(WindowQuota(quota, window))
        return cls(limits, guards)

    def pause_until(self, moment: float) -> None:
        """Hold every request until `moment` (a vendor said 429, Retry-After ...)."""
        self._paused_until = max(self._paused_until, moment)

    def reserve(self, now: float) -> float:
        """Book the next request; returns the seconds to wait before sending it."""
        start = max(now, self._paused_until)
        # Each limit allows "from some moment on", so the latest of those suits them all.
        at = max((limit.earliest(start) for limit in self.limits), default=start)
        for limit in self.limits:
            limit.commit(at)
        return at - now

    def admit(self, now: float) -> float:
        """Send now (returns 0, logged) or wait the returned seconds and ask again."""
        start = max(now, self._paused_until)
        at = max((guard.earliest(start) for guard in self.guards), default=start)
        if at > now:
            return at - now
        for guard in self.guards:
            guard.commit(now)
        return 0.0
