"""Enrichment end to end against local People Data Labs and Apollo servers over sockets."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from segmentation_pipeline.framework.enrichment import (
    Budget,
    CircuitBreakerSettings,
    FieldGroup,
    ProviderSettings,
    RetryPolicySettings,
)
from segmentation_pipeline.io.enrichment import enrich_accounts, enrich_accounts_async
from segmentation_pipeline.io.enrichment_cache import EnrichmentCache
from segmentation_pipeline.io.vendors import build_providers

NOW = datetime.now(UTC)
# Every field group asks PDL alone.
PDL_ALONE = {
    name: FieldGroup(fields=fields, providers=["pdl"], min_confidence=0.5)
    for name, fields in (
        ("industry", ["industry"]),
        ("size", ["employees", "annual_revenue"]),
        ("geography", ["country_code"]),
    )
}


def accounts(domains, **columns) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(len(domains))],
            "domain": domains,
            "industry": [None] * len(domains),
            "employees": [None] * len(domains),
            "annual_revenue": [None] * len(domains),
            "country_code": [None] * len(domains),
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


@pytest.fixture
def cache(tmp_path):
    return EnrichmentCache(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")


@pytest.fixture
def run(pdl_server, apollo_server, cache):
    def run_once(frame, settings, now=NOW):
        providers = build_providers(
            settings,
            {"pdl": pdl_server.api_key, "apollo": apollo_server.api_key},
            base_urls={"pdl": pdl_server.url, "apollo": apollo_server.url},
        )
        return enrich_accounts(frame, providers, cache, settings, now)

    return run_once


def test_waterfall_asks_in_order_and_stops_at_the_first_good_answer(
    run, make_enrichment_settings, pdl_server, apollo_server
):
    # acme and globex match at PDL; initech's likelihood (3) is under the 0.5 threshold,
    # so PDL answers 404 and Apollo is asked; nobody.org is known to neither.
    frame = accounts(["acme.com", "globex.io", "initech.co.uk", "nobody.org"])
    result = run(frame, make_enrichment_settings())
    assert sorted(pdl_server.domains_asked()) == sorted(frame["domain"])
    assert sorted(apollo_server.domains_asked()) == ["initech.co.uk", "nobody.org"]
    out = result.accounts.set_index("account_id")
    assert list(out["industry"]) == ["Software", "Manufacturing", "Financial Services", None]
    assert list(out["industry_source"]) == ["pdl", "pdl", "apollo", None]
    assert list(out["country_code"]) == ["US", "DE", "GB", None]
    assert result.non_matches["account_id"].tolist() == ["a3"]
    providers = result.providers.set_index("provider")
    assert providers.loc["pdl", "match_rate"] == 0.5
    assert providers.loc["apollo", "match_rate"] == 0.5
    assert result.stats["credits_by_provider"] == {"pdl": 2.0, "apollo": 1.0}
    assert result.stats["fields_filled"] == 12  # three accounts x four fields
    assert result.stats["cost_per_filled_field"] == 0.25
    assert result.stats["coverage_after"]["industry"] == 0.75


def test_second_run_is_served_from_the_cache_with_zero_vendor_calls(
    run, make_enrichment_settings, pdl_server, apollo_server
):
    frame = accounts(["acme.com", "globex.io", "initech.co.uk", "nobody.org"])
    settings = make_enrichment_settings()
    first = run(frame, settings)
    calls = pdl_server.calls() + apollo_server.calls()
    second = run(frame, settings, NOW + timedelta(days=1))
    assert pdl_server.calls() + apollo_server.calls() == calls
    assert second.stats["requests"] == 0 and second.stats["credits_spent"] == 0
    columns = ["industry", "employees", "annual_revenue", "country_code", "industry_source"]
    pd.testing.assert_frame_equal(first.accounts[columns], second.accounts[columns])
    assert second.lookups["from_cache"].all()


def test_a_remembered_miss_is_asked_again_only_after_its_ttl(
    run, make_enrichment_settings, pdl_server, apollo_server
):
    frame = accounts(["acme.com", "nobody.org"])
    settings = make_enrichment_settings()  # misses kept 14 days, hits 90
    run(frame, settings)
    run(frame, settings, NOW + timedelta(days=13))
    assert pdl_server.domains_asked() == ["acme.com", "nobody.org"]
    run(frame, settings, NOW + timedelta(days=15))
    assert pdl_server.domains_asked() == ["acme.com", "nobody.org", "nobody.org"]
    assert apollo_server.domains_asked() == ["nobody.org", "nobody.org"]


def test_budget_stops_the_run_and_says_how_many_accounts_are_left(
    run, make_enrichment_settings, pdl_server
):
    settings = make_enrichment_settings(budget=Budget(credits_per_run=2, credits_per_month=3))
    frame = accounts(["acme.com", "globex.io", "umbrella.org", "initech.co.uk"])
    first = run(frame, settings)
    assert first.stats["credits_spent"] == 2
    assert first.stats["budget_limit_reached"] == "run budget of 2 credits reached"
    assert first.stats["accounts_left_by_budget"] == 2
    assert set(first.non_matches["reason"]) == {"budget"}
    # the next run this month may only spend what the monthly cap has left (1 credit)
    second = run(frame, settings, NOW + timedelta(hours=1))
    assert second.stats["credits_spent"] == 1
    assert second.stats["budget_limit_reached"] == "monthly budget of 3 credits reached"
    assert second.stats["accounts_left_by_budget"] == 1


def test_conflict_with_the_crm_is_recorded_not_applied(run, make_enrichment_settings):
    frame = accounts(
        ["acme.com"],
        industry=["Retail"],
        employees=[118.0],
        country_code=["US"],
        revalidate_firmographics=[True],
    )
    result = run(frame, make_enrichment_settings())
    assert result.accounts.loc[0, "industry"] == "Retail"
    conflict = result.conflicts.iloc[0]
    assert (
        conflict["field"],
        conflict["crm_value"],
        conflict["vendor_value"],
        conflict["provider"],
        conflict["resolution"],
    ) == ("industry", "Retail", "Software", "pdl", "crm_kept")
    assert len(result.conflicts) == 1  # 118 vs 120 employees and US agree
    assert result.stats["by_reason"]["revalidate"] == 1


def test_429_storm_is_survived_every_account_enriched_or_failed_with_a_reason(
    run, make_enrichment_settings, pdl_server, apollo_server
):
    pdl_server.faults.storm = 12  # a storm PDL recovers from (13 attempts outlast 12 429s)
    apollo_server.faults.storm = 10_000  # and one Apollo never recovers from
    settings = make_enrichment_settings(
        retry=RetryPolicySettings(max_attempts=13, base_delay_seconds=0.01, max_delay_seconds=0.05)
    )
    frame = accounts(["acme.com", "globex.io", "umbrella.org", "initech.co.uk", "nobody.org"])
    result = run(frame, settings)
    status = result.accounts.set_index("account_id")["enrichment_status"]
    assert list(status[["a0", "a1", "a2"]]) == ["enriched"] * 3
    queued = result.non_matches.set_index("account_id")
    assert list(queued.index) == ["a3", "a4"]
    assert set(queued["reason"]) == {"failed"}
    assert all(
        "apollo: failed (rate limited (HTTP 429); gave up after 13 attempts)" in d
        for d in queued["detail"]
    )
    assert pdl_server.count(429) == 12


def test_breaker_parks_a_failing_provider_and_the_waterfall_falls_through(
    run, make_enrichment_settings, pdl_server, apollo_server
):
    pdl_server.faults.errors = 10_000
    breaker = CircuitBreakerSettings(
        failure_threshold=3, reset_after_seconds=0, max_failed_probes=2
    )
    settings = make_enrichment_settings(circuit_breaker=breaker)
    frame = accounts(["acme.com", "globex.io", "umbrella.org", "initech.co.uk"] * 3)
    result = run(frame, settings)
    assert result.accounts["enrichment_status"].eq("enriched").all()
    assert set(result.accounts["industry_source"]) == {"apollo"}
    # the failures that tripped it, those in flight, and two failed probes
    assert pdl_server.calls() <= 3 + 3 + 2
    assert result.non_matches.empty


def test_an_open_circuit_probes_after_reset_after_and_the_rest_of_the_queue_is_asked(
    run, make_enrichment_settings, pdl_server, apollo_server, cache
):
    """The vendor fails a burst of requests, long enough to open the circuit; the probe
    after reset_after finds it back, so nothing of the queue is skipped."""
    pdl_server.faults.errors = 3
    breaker = CircuitBreakerSettings(failure_threshold=3, reset_after_seconds=0.2)
    only_pdl = make_enrichment_settings(
        circuit_breaker=breaker,
        providers={"pdl": ProviderSettings(kind="pdl", concurrency=1, timeout_seconds=2)},
        groups=PDL_ALONE,
        retry=RetryPolicySettings(max_attempts=2, base_delay_seconds=0.01, max_delay_seconds=0.02),
    )
    domains = ["acme.com", "globex.io", "umbrella.org", "nobody.org"]
    result = run(accounts(domains), only_pdl)
    outcomes = result.lookups.set_index("domain")["outcome"].to_dict()
    # acme: two attempts failed; globex: one failed (the circuit opens), then the probe
    assert outcomes == {"acme.com": "failed", "globex.io": "hit", "umbrella.org": "hit",
                        "nobody.org": "miss"}  # fmt: skip
    assert [r.status for r in pdl_server.log] == [503, 503, 503, 200, 200, 404]
    # the failure is not remembered: acme is asked again on the next run
    assert set(cache.table()["domain"]) == {"globex.io", "umbrella.org", "nobody.org"}


def test_malformed_body_is_handled_and_the_next_provider_answers(
    run, make_enrichment_settings, pdl_server
):
    pdl_server.faults.malformed_domains = {"acme.com"}
    result = run(accounts(["acme.com", "globex.io"]), make_enrichment_settings())
    out = result.accounts.set_index("account_id")
    assert list(out["industry_source"]) == ["apollo", "pdl"]
    lookups = result.lookups.set_index(["domain", "provider"])
    assert lookups.loc[("acme.com", "pdl"), "outcome"] == "failed"
    assert lookups.loc[("acme.com", "pdl"), "reason"].startswith("malformed response")


def test_groups_with_different_orders_share_one_paid_answer(
    run, make_enrichment_settings, pdl_server, apollo_server
):
    groups = {
        "industry": FieldGroup(
            fields=["industry"], providers=["pdl", "apollo"], min_confidence=0.6
        ),
        "size": FieldGroup(
            fields=["employees", "annual_revenue"], providers=["apollo", "pdl"], min_confidence=0.6
        ),
        "geography": FieldGroup(
            fields=["country_code"], providers=["pdl", "apollo"], min_confidence=0.5
        ),
    }
    result = run(accounts(["acme.com"]), make_enrichment_settings(groups=groups))
    row = result.accounts.iloc[0]
    assert (row["industry_source"], row["employees_source"], row["country_code_source"]) == (
        "pdl",
        "apollo",
        "pdl",
    )
    assert pdl_server.calls() == apollo_server.calls() == 1


def test_a_run_stopped_mid_round_has_kept_and_counted_each_answer_it_received(
    make_enrichment_settings, pdl_server, cache
):
    """The monthly cap is judged on the ledger, so a run killed before the provider's last
    batch must already have recorded what it paid for: answers are written as they
    arrive (at most once a second), and what came since when the run is stopped."""
    pdl_server.faults.latency = 0.05
    only_pdl = make_enrichment_settings(
        providers={
            "pdl": ProviderSettings(kind="pdl", concurrency=1, timeout_seconds=2, cost_per_miss=0.5)
        },
        groups=PDL_ALONE,
    )
    domains = ["acme.com", "globex.io", "umbrella.org", *(f"nobody{i}.org" for i in range(60))]
    providers = build_providers(
        only_pdl, {"pdl": pdl_server.api_key}, base_urls={"pdl": pdl_server.url}
    )

    async def stopped_once_answers_are_kept() -> None:
        run = asyncio.create_task(
            enrich_accounts_async(accounts(domains), providers, cache, only_pdl, NOW)
        )
        for _ in range(400):  # at most 20 s
            if len(cache.table()) >= 3 or run.done():
                break
            await asyncio.sleep(0.05)
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run

    asyncio.run(stopped_once_answers_are_kept())
    kept = cache.table()
    assert 3 <= len(kept) < len(domains)  # stopped mid-round, answers kept
    paid = kept["outcome"].map({"hit": 1.0, "miss": 0.5}).sum()
    assert cache.spent_since(NOW - timedelta(days=31)) == paid
