"""The vendor client survives what real vendors do, over real sockets on 127.0.0.1."""

import asyncio
import logging
import time

from pydantic import SecretStr

from segmentation_pipeline.core.enrich.answers import Outcome
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.circuit_breaker import Admission, CircuitBreaker
from segmentation_pipeline.core.enrich.retry import RetryPolicy
from segmentation_pipeline.framework.enrichment import ProviderSettings, RateLimit
from segmentation_pipeline.io.vendors.client import VendorClient
from segmentation_pipeline.io.vendors.pdl import PeopleDataLabs

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


def client(server, key=None, breaker=None, retry=FAST_RETRY, url=None, **settings):
    options = {"kind": "pdl", "timeout_seconds": 2.0, "concurrency": 4, **settings}
    return VendorClient(
        PeopleDataLabs(min_likelihood=5),
        ProviderSettings(**options),
        SecretStr(key or server.api_key),
        retry,
        breaker or CircuitBreaker(failure_threshold=100),
        base_url=url or server.url,
    )


def lookup(vendor, domains, budget=None):
    answers = asyncio.run(vendor.lookup(domains, budget or CreditBudget(None, None)))
    return {a.domain: a for a in answers}


def test_429_waits_for_retry_after_then_succeeds(pdl_server):
    pdl_server.faults.storm, pdl_server.faults.storm_retry_after = 1, 1
    started = time.monotonic()
    answers = lookup(client(pdl_server), ["acme.com"])
    assert time.monotonic() - started >= 1.0
    assert answers["acme.com"].outcome is Outcome.HIT
    assert [r.status for r in pdl_server.log] == [429, 200]


def test_5xx_burst_is_retried(pdl_server):
    pdl_server.faults.errors = 2
    answers = lookup(client(pdl_server), ["acme.com"])
    assert answers["acme.com"].outcome is Outcome.HIT
    assert [r.status for r in pdl_server.log] == [503, 503, 200]


def test_lasting_5xx_gives_up_with_a_reason(pdl_server):
    pdl_server.faults.error_domains = {"acme.com"}
    answer = lookup(client(pdl_server), ["acme.com"])["acme.com"]
    assert answer.outcome is Outcome.FAILED
    assert answer.reason == "server error (HTTP 503); gave up after 3 attempts"


def test_timeout_is_retried(pdl_server):
    pdl_server.faults.timeouts, pdl_server.faults.hang_seconds = 1, 1.0
    answers = lookup(client(pdl_server, timeout_seconds=0.3), ["acme.com"])
    assert answers["acme.com"].outcome is Outcome.HIT


def test_malformed_body_is_retried_then_reported(pdl_server):
    pdl_server.faults.malformed = 1
    assert lookup(client(pdl_server), ["acme.com"])["acme.com"].outcome is Outcome.HIT
    pdl_server.faults.malformed_domains = {"globex.io"}
    answer = lookup(client(pdl_server), ["globex.io"])["globex.io"]
    assert answer.outcome is Outcome.FAILED
    assert answer.reason.startswith("malformed response (body is not JSON")


class FakeTime:
    """An injected clock: sleeping moves it on at once; every sleep is kept."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def timed_client(server, breaker, time_, **settings):
    vendor = client(server, breaker=breaker, **settings)
    vendor._clock, vendor._sleep = time_.clock, time_.sleep
    return vendor


def test_an_open_breaker_waits_then_probes_and_parks_after_failed_probes(pdl_server):
    pdl_server.faults.errors = 1000
    time_ = FakeTime()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=60, max_failed_probes=2)
    vendor = timed_client(pdl_server, breaker, time_, concurrency=1)
    answers = lookup(vendor, [f"company{i}.com" for i in range(20)])
    # three failures open it; after 60 s one probe, after 60 s more a second: parked
    assert pdl_server.calls() == 3 + 2
    assert sum(1 for s in time_.sleeps if s >= 59) == 2
    parked = [a for a in answers.values() if a.outcome is Outcome.SKIPPED]
    assert len(parked) == 19  # left for the next run
    assert parked[0].reason == (
        "provider parked (server error (HTTP 503); still failing after 2 probes)"
    )


def test_a_good_probe_after_reset_after_closes_the_breaker_and_the_queue_flows(pdl_server):
    pdl_server.faults.errors = 1000
    time_ = FakeTime()

    async def vendor_back_while_open(seconds):
        if seconds >= 59:  # the breaker's wait: the vendor recovers meanwhile
            pdl_server.faults.errors = 0
        await FakeTime.sleep(time_, seconds)

    breaker = CircuitBreaker(failure_threshold=3, reset_after=60)
    vendor = timed_client(pdl_server, breaker, time_, concurrency=4)
    vendor._sleep = vendor_back_while_open
    domains = ["acme.com", "globex.io", "initech.co.uk", "umbrella.org"] * 5
    answers = lookup(vendor, domains)
    assert breaker.probes == 1 and breaker.state(time_.now).value == "closed"
    assert not [a for a in answers.values() if a.outcome is Outcome.SKIPPED]
    outcomes = {d: a.outcome.value for d, a in answers.items()}
    assert outcomes == {  # initech's match score is under the cut-off: a miss
        "acme.com": "hit", "globex.io": "hit", "initech.co.uk": "miss", "umbrella.org": "hit"
    }  # fmt: skip


def test_a_batch_holding_domains_the_vendor_always_fails_on_frees_the_others(pdl_server):
    """With the bundled retries (5) and breaker (5 in a row, 3 probes), the failing batch
    neither opens the breaker nor takes its other domains down with it: each of its
    domains is asked once alone, and only those the vendor fails on fail, each with
    its own reason."""
    pdl_server.faults.error_domains = {"globex.io", "umbrella.org"}
    time_ = FakeTime()
    breaker = CircuitBreaker(failure_threshold=5, reset_after=60, max_failed_probes=3)
    retry = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05)
    vendor = timed_client(pdl_server, breaker, time_, retry=retry, batch_size=10)
    answers = lookup(vendor, ["globex.io", "umbrella.org", "acme.com", "nobody.org"])
    assert {d: a.outcome.value for d, a in answers.items()} == {
        "globex.io": "failed", "umbrella.org": "failed", "acme.com": "hit", "nobody.org": "miss"
    }  # fmt: skip
    assert answers["globex.io"].reason == (
        "server error (HTTP 503), also asked alone after its batch failed"
    )
    assert [len(r.domains) for r in pdl_server.log] == [4] * 5 + [1] * 4
    assert breaker.trips == 0 and not [s for s in time_.sleeps if s >= 59]


def test_batches_failing_in_an_outage_still_open_the_breaker_and_park_the_provider(pdl_server):
    """Every request fails: the domains of the first batches, asked alone, fail in a row
    and open the breaker; failed probes park the provider and the rest is left for the
    next run, as with one domain per request."""
    pdl_server.faults.errors = 1000
    time_ = FakeTime()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=60, max_failed_probes=2)
    vendor = timed_client(pdl_server, breaker, time_, concurrency=1, batch_size=2)
    answers = lookup(vendor, [f"company{i}.com" for i in range(20)])
    # batch 1: 3 attempts, then its 2 domains alone; batch 2: 3 attempts, company2 alone
    # opens it, company3 is the first probe; batch 3 is the second: parked
    assert [len(r.domains) for r in pdl_server.log] == [2] * 3 + [1] * 2 + [2] * 3 + [1] * 2 + [2]
    assert breaker.permanent and sum(1 for s in time_.sleeps if s >= 59) == 2
    parked = [a for a in answers.values() if a.outcome is Outcome.SKIPPED]
    assert len(parked) == 16  # company4 on; company0-3 failed
    assert parked[0].reason == (
        "provider parked (server error (HTTP 503); still failing after 2 probes)"
    )


def test_domains_that_failed_alone_before_are_asked_last_once_alone_and_not_counted(
    pdl_server,
):
    """A breaker that opens at the first failure it counts: the domains that failed alone
    on an earlier run go after the others' batch, each once, and open nothing."""
    pdl_server.faults.error_domains = {"globex.io", "umbrella.org"}
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60)
    vendor = client(pdl_server, breaker=breaker, batch_size=10)
    domains = ["globex.io", "acme.com", "umbrella.org", "nobody.org"]
    answers = asyncio.run(
        vendor.lookup(domains, CreditBudget(None, None), failing={"globex.io", "umbrella.org"})
    )
    assert [r.domains for r in pdl_server.log] == [
        ("acme.com", "nobody.org"), ("globex.io",), ("umbrella.org",)
    ]  # fmt: skip
    globex = next(a for a in answers if a.domain == "globex.io")
    assert (globex.outcome, globex.alone, globex.reason) == (
        Outcome.FAILED,
        True,
        "server error (HTTP 503), asked last and alone as it failed so on an earlier run",
    )
    assert breaker.trips == 0 and breaker.failures == 0


def test_an_outage_parks_the_provider_before_the_domains_that_failed_alone_are_asked(
    pdl_server,
):
    pdl_server.faults.errors = 1000
    time_ = FakeTime()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=60, max_failed_probes=2)
    vendor = timed_client(pdl_server, breaker, time_, concurrency=1)
    domains = [f"company{i}.com" for i in range(10)]
    failing = {"company0.com", "company1.com"}
    answers = asyncio.run(vendor.lookup(domains, CreditBudget(None, None), failing=failing))
    # company2's three attempts open it; company3's next two are the failed probes
    assert pdl_server.domains_asked() == ["company2.com"] * 3 + ["company3.com"] * 2
    assert breaker.permanent
    outcomes = {a.domain: a.outcome for a in answers}
    assert {outcomes[d] for d in failing} == {Outcome.SKIPPED}


def test_bad_credentials_park_the_provider_after_one_request(pdl_server):
    vendor = client(pdl_server, key="wrong-key", concurrency=1)
    answers = lookup(vendor, ["acme.com", "globex.io", "umbrella.org"])
    assert pdl_server.calls() == 1
    assert {a.reason for a in answers.values()} == {
        "authentication failed (HTTP 401)",
        "provider parked (authentication failed (HTTP 401))",
    }


def test_the_api_key_never_leaks_into_answers_logs_or_repr(pdl_server, caplog):
    secret = "sk-live-DO-NOT-LEAK-4242"
    caplog.set_level(logging.DEBUG)
    refused = client(pdl_server, key=secret)
    unreachable = client(pdl_server, key=secret, url="http://127.0.0.1:9")
    texts = [repr(refused), repr(unreachable)]
    for vendor in (refused, unreachable):
        texts += [a.reason or "" for a in lookup(vendor, ["acme.com"]).values()]
    texts.append(caplog.text)
    assert "connection failed (ConnectError); gave up after 3 attempts" in texts
    assert all(secret not in text for text in texts)


def test_budget_stops_requests_before_they_are_sent(pdl_server):
    vendor = client(pdl_server, concurrency=1)
    budget = CreditBudget(per_run=2, per_month=None)
    answers = lookup(vendor, ["acme.com", "globex.io", "umbrella.org", "nobody.org"], budget)
    assert pdl_server.domains_asked() == ["acme.com", "globex.io"]
    assert answers["umbrella.org"].reason == "budget: run budget of 2 credits reached"
    assert budget.spent == 2


def test_client_keeps_under_the_servers_rate_limit(pdl_server):
    pdl_server.faults.rate_limit_per_second = 5
    vendor = client(pdl_server, rate_limit=RateLimit(per_second=5))
    answers = lookup(vendor, [f"company{i}.com" for i in range(12)])
    assert all(a.outcome is Outcome.MISS for a in answers.values())
    assert pdl_server.count(429) == 0
    assert pdl_server.max_in_window(1.0) <= 5


def test_a_request_waiting_on_a_probe_wakes_when_that_probe_settles_after_a_newer_one_left():
    """While probe 1 is out, a request sent earlier succeeds (closing the breaker), the
    next fails (opening it again), and after reset_after probe 2 goes out. When probe 1
    settles, the request waiting on it must wake, and probe 2 must stay the one out."""
    time_ = FakeTime()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60)
    vendor = VendorClient(
        PeopleDataLabs(min_likelihood=5),
        ProviderSettings(kind="pdl"),
        None,
        FAST_RETRY,
        breaker,
        base_url="http://127.0.0.1:9",
        clock=time_.clock,
        sleep=time_.sleep,
    )

    async def night():
        breaker.record_failure(0, "HTTP 503")
        time_.now = 60
        assert await vendor._admitted() is Admission.PROBE
        first = breaker.probes
        waiting = asyncio.create_task(vendor._admitted())
        await asyncio.sleep(0)
        breaker.record_success()  # sent before the breaker opened
        breaker.record_failure(60, "HTTP 503")
        assert await vendor._admitted() is Admission.PROBE  # after another 60 s
        second = breaker.probes
        await vendor._settle_probe(first)
        await asyncio.sleep(0)
        assert breaker.probing and not waiting.done()  # probe 2 is still out
        breaker.record_success()
        await vendor._settle_probe(second)
        return await asyncio.wait_for(waiting, timeout=5)

    assert asyncio.run(night()) is Admission.SEND
