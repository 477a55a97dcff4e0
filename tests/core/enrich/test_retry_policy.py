"""Jittered exponential backoff, and the vendor's Retry-After above all."""

import random
from datetime import UTC, datetime

from segmentation_pipeline.core.enrich.retry import RetryPolicy, parse_retry_after

POLICY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0, jitter=0.5)


def test_backoff_doubles_is_capped_and_jittered_downwards():
    rng = random.Random(7)
    for attempt, full in ((1, 1.0), (2, 2.0), (3, 3.0)):
        delays = [POLICY.delay(attempt, rng=rng) for _ in range(200)]
        assert all(full * 0.5 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full * 0.3  # really spread out


def test_gives_up_after_the_last_attempt():
    assert POLICY.delay(4) is None


def test_retry_after_outranks_the_backoff():
    assert POLICY.delay(1, retry_after=12.0) == 12.0
    assert POLICY.delay(4, retry_after=1.0) is None


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0


def test_junk_retry_after_is_ignored():
    for junk in (None, "", "soon", "-5"):
        assert parse_retry_after(junk) is None
