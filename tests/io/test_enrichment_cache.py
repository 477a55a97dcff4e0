"""The enrichment_cache table remembers hits and misses for their own TTLs."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from segmentation_pipeline.core.enrich.answers import Outcome, failed, hit, miss
from segmentation_pipeline.framework.enrichment import CacheTtl
from segmentation_pipeline.io.enrichment_cache import EnrichmentCache

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = CacheTtl(hit_days=90, miss_days=14)


@pytest.fixture(params=["sqlite", "postgresql"])
def cache(request, tmp_path):
    if request.param == "sqlite":
        return EnrichmentCache(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    store = EnrichmentCache(request.getfixturevalue("enrichment_pg_url"))
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "TRUNCATE enrichment_cache, enrichment_credit_ledger, enrichment_failing"
        )
    return store


def test_hits_and_misses_come_back_until_their_ttl(cache):
    cache.store(
        [
            hit("pdl", "acme.com", {"industry": "Software", "employees": 120.0}, 0.9, T, credits=1),
            miss("pdl", "nobody.org", T),
            failed("pdl", "flaky.io", T, "timeout"),
        ]
    )
    domains = ["acme.com", "nobody.org", "flaky.io"]
    fresh = cache.fresh(domains, ["pdl"], T + timedelta(days=10), TTL)
    acme = fresh["acme.com"]["pdl"]
    assert (acme.outcome, acme.values, acme.confidence, acme.from_cache, acme.credits) == (
        Outcome.HIT,
        {"industry": "Software", "employees": 120.0},
        0.9,
        True,
        0.0,
    )
    assert acme.fetched_at == T
    assert fresh["nobody.org"]["pdl"].outcome is Outcome.MISS
    assert "flaky.io" not in fresh  # failures are retried next run, never remembered
    later = cache.fresh(["acme.com", "nobody.org"], ["pdl"], T + timedelta(days=15), TTL)
    assert list(later) == ["acme.com"]  # the miss expired after 14 days, the hit did not
    assert cache.fresh(["acme.com"], ["pdl"], T + timedelta(days=91), TTL) == {}


def test_a_newer_answer_replaces_the_old_one(cache):
    cache.store([miss("apollo", "acme.com", T)])
    cache.store([hit("apollo", "acme.com", {"country_code": "US"}, 0.8, T + timedelta(days=20))])
    answer = cache.fresh(["acme.com"], ["apollo"], T + timedelta(days=21), TTL)["acme.com"]
    assert answer["apollo"].values == {"country_code": "US"}
    assert len(cache.table()) == 1


def test_answers_served_from_the_cache_are_not_written_back(cache):
    cached = hit("pdl", "acme.com", {"industry": "Software"}, 0.9, T).cached()
    assert cache.store([cached]) == 0


def test_only_the_asked_providers_are_read(cache):
    cache.store([miss("pdl", "acme.com", T), miss("apollo", "acme.com", T)])
    assert list(cache.fresh(["acme.com"], ["apollo"], T, TTL)["acme.com"]) == ["apollo"]


def test_ledger_sums_the_credits_spent_since_a_date(cache):
    cache.record_spend({"pdl": 3.0, "apollo": 0.0}, T - timedelta(days=40))
    cache.record_spend({"pdl": 2.0, "apollo": 5.0}, T)
    assert cache.spent_since(T.replace(day=1)) == 7.0
    assert cache.spent_since(T - timedelta(days=60)) == 10.0


def test_many_domains_are_read_at_once(cache):
    cache.store([miss("pdl", f"d{i}.com", T) for i in range(1200)])
    domains = [f"d{i}.com" for i in range(1200)] + ["unknown.com", "d0.com"]
    assert len(cache.fresh(domains, ["pdl"], T, TTL)) == 1200


def test_the_last_answer_for_a_domain_in_one_batch_wins(cache):
    cache.store(
        [miss("pdl", "acme.com", T), hit("pdl", "acme.com", {"industry": "Software"}, 0.9, T)]
    )
    answer = cache.fresh(["acme.com"], ["pdl"], T, TTL)["acme.com"]["pdl"]
    assert answer.outcome is Outcome.HIT and answer.values == {"industry": "Software"}
    assert answer.fetched_at == T


def _own(*answers) -> pd.DataFrame:
    return pd.DataFrame(
        [(a.domain, a.provider, a.fetched_at) for a in answers],
        columns=["domain", "provider", "fetched_at"],
    )


def test_a_runs_own_answers_are_no_news_to_it_later_ones_are(cache):
    """What an enrichment memo made at T needs redone: domains answered since by
    someone else, and answers that aged out of their TTL since T."""
    old_hit = hit("file", "old.com", {"industry": "Retail"}, 1.0, T - timedelta(days=89))
    old_miss = miss("file", "gone.org", T - timedelta(days=13))
    cache.store([old_hit, old_miss, hit("file", "steady.com", {}, 1.0, T - timedelta(days=5))])
    own = [hit("file", "acme.com", {"industry": "Software"}, 1.0, T + timedelta(minutes=1))]
    cache.store(own)
    tomorrow = T + timedelta(days=1)
    assert cache.domains_changed(["file"], T, T, TTL, _own(*own)) == set()
    # a day on: the 89-day-old hit and the 13-day-old miss aged out
    assert cache.domains_changed(["file"], T, tomorrow, TTL, _own(*own)) == {"old.com", "gone.org"}
    # another run answers for acme.com again, and for a new domain
    cache.store(
        [
            hit("file", "acme.com", {"industry": "Media"}, 1.0, T + timedelta(hours=2)),
            miss("file", "new.io", T + timedelta(hours=2)),
        ]
    )
    assert cache.domains_changed(["file"], T, T, TTL, _own(*own)) == {"acme.com", "new.io"}
    assert cache.domains_changed(["pdl"], T, T, TTL, _own(*own)) == set()


def test_a_domain_that_failed_alone_is_remembered_until_its_provider_answers_it(cache):
    cache.note_failing(
        [
            failed("pdl", "flaky.io", T, "server error (HTTP 503)", alone=True),
            failed("pdl", "batched.io", T, "server error (HTTP 503)"),  # not alone
            failed("apollo", "flaky.io", T, "timed out", alone=True),
            miss("pdl", "nobody.org", T),
        ],
        {},
    )
    assert cache.failing(["pdl", "apollo"]) == {"pdl": {"flaky.io"}, "apollo": {"flaky.io"}}
    later = T + timedelta(days=1)
    again = [failed("pdl", "flaky.io", later, "server error (HTTP 503)", alone=True)]
    cache.note_failing(again, cache.failing(["pdl"]))
    assert cache.failing(["pdl"]) == {"pdl": {"flaky.io"}}
    known = cache.failing(["pdl", "apollo"])
    cache.note_failing([hit("pdl", "flaky.io", {"industry": "Software"}, 0.9, later)], known)
    assert cache.failing(["pdl", "apollo"]) == {"apollo": {"flaky.io"}}
