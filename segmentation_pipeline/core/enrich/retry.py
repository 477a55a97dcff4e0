"""When to try a vendor request again, and after how long.

Exponential backoff with jitter spreads parallel workers apart after a shared failure;
a vendor's own `Retry-After` outranks any guess of ours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from segmentation_pipeline.framework.enrichment import RetryPolicySettings


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0
    jitter: float = 0.5

    @classmethod
    def from_settings(cls, settings: RetryPolicySettings) -> RetryPolicy:
        return cls(
            settings.max_attempts,
            settings.base_delay_seconds,
            settings.max_delay_seconds,
            settings.jitter,
        )

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based); None = give up."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return max(0.0, retry_after)
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        spread = (rng or random).random() * self.jitter
        return backoff * (1.0 - spread)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """HTTP Retry-After (delay-seconds or HTTP-date) in seconds; None when absent or junk."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return seconds if seconds >= 0 else None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
