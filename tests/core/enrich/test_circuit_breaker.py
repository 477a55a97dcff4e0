"""A provider that keeps failing is parked, then probed, then trusted again."""

from segmentation_pipeline.core.enrich.circuit_breaker import (
    Admission,
    BreakerState,
    CircuitBreaker,
)


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
    breaker.record_failure(10, "timeout", probe=True)
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


def test_an_open_breaker_says_how_long_to_wait_for_the_probe():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60)
    breaker.record_failure(100, "HTTP 503")
    assert breaker.admit(130) is Admission.WAIT
    assert breaker.seconds_until_probe(130) == 30
    assert breaker.admit(160) is Admission.PROBE
    assert breaker.admit(160) is Admission.WAIT  # the probe is out
    assert breaker.seconds_until_probe(160) == 0  # wait for its outcome, not the clock


def test_failed_probes_in_a_row_park_the_provider_for_the_run():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60, max_failed_probes=2)
    breaker.record_failure(0, "HTTP 503")
    assert breaker.admit(60) is Admission.PROBE
    breaker.record_failure(61, "HTTP 503", probe=True)
    assert breaker.seconds_until_probe(62) == 59
    assert breaker.admit(121) is Admission.PROBE
    breaker.record_failure(121, "HTTP 503", probe=True)
    assert breaker.admit(10_000) is Admission.PARKED
    assert breaker.seconds_until_probe(10_000) is None
    assert breaker.reason == "HTTP 503; still failing after 2 probes"


def test_a_good_probe_resets_the_count_of_failed_probes():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, max_failed_probes=2)
    breaker.record_failure(0, "timeout")
    assert breaker.admit(10) is Admission.PROBE
    breaker.record_failure(10, "timeout", probe=True)
    assert breaker.admit(20) is Admission.PROBE
    breaker.record_success()
    breaker.record_failure(30, "timeout")
    assert breaker.admit(40) is Admission.PROBE
    breaker.record_failure(40, "timeout", probe=True)
    assert breaker.admit(50) is Admission.PROBE  # one failed probe since the good one


def test_a_probe_that_told_nothing_hands_the_probe_on():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10)
    breaker.record_failure(0, "timeout")
    assert breaker.admit(10) is Admission.PROBE
    breaker.release_probe()  # rate limited: neither a success nor a failure
    assert breaker.admit(11) is Admission.PROBE


def test_a_stale_failure_while_the_probe_is_out_is_not_the_probes_answer():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60)
    breaker.record_failure(0, "HTTP 503")
    assert breaker.admit(60) is Admission.PROBE
    breaker.record_failure(61, "HTTP 503")  # sent before the breaker opened
    assert breaker.admit(200) is Admission.WAIT  # still waiting for the probe
    breaker.record_success()
    assert breaker.state(200) is BreakerState.CLOSED and breaker.failed_probes == 0
