"""A provider that keeps failing is parked, then probed, then trusted again."""

from segmentation_pipeline.core.enrich.circuit_breaker import BreakerState, CircuitBreaker


def test_opens_after_consecutive_failures_only():
    breaker = CircuitBreaker(failure_threshold=3, reset_after=10)
    breaker.record_failure(0, "HTTP 503")
    breaker.record_failure(0, "HTTP 503")
    breaker.record_success()  # the streak is broken
    breaker.record_failure(1, "HTTP 503")
    breaker.record_failure(1, "HTTP 503")
    assert breaker.allow(1)
    breaker.record_failure(2, "HTTP 503")
    assert breaker.state(2) is BreakerState.OPEN
    assert not breaker.allow(5)
    assert (breaker.trips, breaker.reason) == (1, "HTTP 503")


def test_half_open_lets_a_single_probe_through():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10)
    breaker.record_failure(0, "timeout")
    assert breaker.state(10) is BreakerState.HALF_OPEN
    assert breaker.allow(10)
    assert not breaker.allow(10)  # the probe is out, everyone else waits


def test_a_good_probe_closes_a_bad_one_reopens():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10)
    breaker.record_failure(0, "timeout")
    assert breaker.allow(10)
    breaker.record_failure(10, "timeout")
    assert breaker.state(15) is BreakerState.OPEN and breaker.trips == 2
    assert breaker.allow(20)
    breaker.record_success()
    assert breaker.state(20) is BreakerState.CLOSED and breaker.allow(20)


def test_tripped_for_good_never_probes():
    breaker = CircuitBreaker(failure_threshold=5, reset_after=1)
    breaker.trip(0, "authentication failed (HTTP 401)")
    breaker.record_success()
    assert not breaker.allow(1000)
    assert breaker.reason == "authentication failed (HTTP 401)"
