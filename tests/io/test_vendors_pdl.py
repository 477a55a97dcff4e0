"""People Data Labs adapter: documented shapes in, pipeline fields out; then over the wire."""

import asyncio
import json

import pytest
from pydantic import SecretStr

from segmentation_pipeline.core.enrich.answers import Outcome
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.circuit_breaker import CircuitBreaker
from segmentation_pipeline.core.enrich.retry import RetryPolicy
from segmentation_pipeline.framework.enrichment import ProviderSettings
from segmentation_pipeline.io.vendors.base import MalformedResponse, VendorRecord
from segmentation_pipeline.io.vendors.client import VendorClient
from segmentation_pipeline.io.vendors.pdl import PeopleDataLabs

# Trimmed from PDL's documented example company record.
DOCUMENTED_MATCH = {
    "status": 200,
    "id": "tnHcNHbCv8MKeLh92946LAkX6PKg",
    "name": "people data labs",
    "size": "51-200",
    "employee_count": 84,
    "inferred_revenue": "$50M-$100M",
    "industry": "computer software",
    "location": {"name": "san francisco, california, united states", "country": "united states"},
    "likelihood": 6,
}
PDL = PeopleDataLabs(min_likelihood=5)


def body(payload) -> bytes:
    return json.dumps(payload).encode()


def test_documented_match_maps_onto_pipeline_fields():
    record = PDL.parse_single(200, body(DOCUMENTED_MATCH), "peopledatalabs.com")
    assert record == VendorRecord(
        {
            "industry": "Software",
            "employees": 84.0,
            "annual_revenue": 75_000_000.0,
            "country_code": "US",
        },
        confidence=0.6,
    )


def test_size_band_stands_in_for_a_missing_head_count():
    profile = {**DOCUMENTED_MATCH, "employee_count": None}
    assert PDL.parse_single(200, body(profile), "x.com").values["employees"] == 125.5


def test_404_is_a_miss():
    not_found = {"status": 404, "error": {"type": "not_found", "message": "No records"}}
    assert PDL.parse_single(404, body(not_found), "x.com") is None


@pytest.mark.parametrize(
    "raw", [b"<html>gateway</html>", body([1, 2]), body({**DOCUMENTED_MATCH, "likelihood": None})]
)
def test_unreadable_answers_are_malformed(raw):
    with pytest.raises(MalformedResponse):
        PDL.parse_single(200, raw, "x.com")


def test_requests_ask_with_our_confidence_as_min_likelihood():
    single = PDL.single_request("acme.com")
    assert (single.method, single.path, dict(single.params)) == (
        "GET",
        "/v5/company/enrich",
        {"website": "acme.com", "min_likelihood": "5"},
    )
    bulk = PDL.batch_request(["acme.com", "b.io"])
    assert (bulk.method, bulk.path) == ("POST", "/v5/company/enrich/bulk")
    assert bulk.json["requests"][1] == {
        "params": {"website": "b.io", "min_likelihood": 5},
        "metadata": {"domain": "b.io"},
    }


def test_bulk_items_are_matched_by_echoed_metadata():
    items = [
        {**DOCUMENTED_MATCH, "metadata": {"domain": "a.com"}},
        {"status": 404, "error": {"type": "not_found"}, "metadata": {"domain": "b.com"}},
        {"status": 500, "error": {"type": "api_error"}, "metadata": {"domain": "c.com"}},
    ]
    parsed = PDL.parse_batch(200, body(items), ["a.com", "b.com", "c.com"])
    assert parsed["a.com"].values["industry"] == "Software"
    assert parsed["b.com"] is None
    assert parsed["c.com"] == "bulk item status 500"
    with pytest.raises(MalformedResponse):
        PDL.parse_batch(200, body(items[:2]), ["a.com", "b.com", "c.com"])


def test_one_unreadable_bulk_item_fails_its_domain_not_the_whole_batch():
    """Retried, the same item spoils the same batch every night: one odd profile would
    keep 99 other accounts from ever being enriched."""
    items = [
        {**DOCUMENTED_MATCH, "metadata": {"domain": "a.com"}},
        {"status": 200, "name": "odd", "metadata": {"domain": "b.com"}},  # no likelihood
    ]
    parsed = PDL.parse_batch(200, body(items), ["a.com", "b.com"])
    assert parsed["a.com"].values["industry"] == "Software"
    assert isinstance(parsed["b.com"], str) and "likelihood" in parsed["b.com"]


def client(server, batch_size: int) -> VendorClient:
    settings = ProviderSettings(kind="pdl", batch_size=batch_size, timeout_seconds=2)
    return VendorClient(
        PDL,
        settings,
        SecretStr(server.api_key),
        RetryPolicy(max_attempts=2),
        CircuitBreaker(),
        base_url=server.url,
    )


@pytest.mark.parametrize("batch_size", [1, 100])
def test_live_lookup_hits_misses_and_charges_only_matches(pdl_server, batch_size):
    vendor = client(pdl_server, batch_size)
    budget = CreditBudget(per_run=None, per_month=None)
    domains = ["acme.com", "initech.co.uk", "nobody.org"]  # initech's likelihood is 3
    answers = {a.domain: a for a in asyncio.run(vendor.lookup(domains, budget))}
    assert answers["acme.com"].outcome is Outcome.HIT
    assert answers["acme.com"].values == {
        "industry": "Software",
        "employees": 120.0,
        "annual_revenue": 5_500_000.0,
        "country_code": "US",
    }
    assert answers["acme.com"].confidence == 0.9
    assert [answers[d].outcome for d in domains[1:]] == [Outcome.MISS, Outcome.MISS]
    assert budget.spent == 1.0
    expected_calls = 3 if batch_size == 1 else 1
    assert pdl_server.calls() == vendor.requests == expected_calls
