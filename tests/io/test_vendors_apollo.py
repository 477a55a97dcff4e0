"""Apollo adapter: documented shapes in, pipeline fields out; then over the wire."""

import asyncio
import json

import pytest
from pydantic import SecretStr

from segmentation_pipeline.core.enrich.answers import Outcome
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.circuit_breaker import CircuitBreaker
from segmentation_pipeline.core.enrich.retry import RetryPolicy
from segmentation_pipeline.framework.enrichment import ProviderSettings
from segmentation_pipeline.io.vendors.apollo import Apollo
from segmentation_pipeline.io.vendors.base import MalformedResponse, VendorRecord
from segmentation_pipeline.io.vendors.client import VendorClient

# Trimmed from Apollo's documented Organization Enrichment example.
DOCUMENTED_ORGANIZATION = {
    "id": "5e66b6381e05b4008c8331b8",
    "name": "Apollo.io",
    "website_url": "http://www.apollo.io",
    "primary_domain": "apollo.io",
    "industry": "information technology & services",
    "estimated_num_employees": 1600,
    "annual_revenue_printed": "100M",
    "annual_revenue": 100000000,
    "country": "United States",
}
APOLLO = Apollo(confidence=0.8)


def body(payload) -> bytes:
    return json.dumps(payload).encode()


def test_documented_organization_maps_onto_pipeline_fields():
    record = APOLLO.parse_single(200, body({"organization": DOCUMENTED_ORGANIZATION}), "apollo.io")
    assert record == VendorRecord(
        {"industry": "Software", "employees": 1600.0, "annual_revenue": 1e8, "country_code": "US"},
        confidence=0.8,
    )


@pytest.mark.parametrize("payload", [{}, {"organization": None}, {"organization": {}}])
def test_a_200_without_an_organization_is_a_miss(payload):
    assert APOLLO.parse_single(200, body(payload), "x.com") is None


def test_unreadable_answers_are_malformed():
    with pytest.raises(MalformedResponse):
        APOLLO.parse_single(200, b"{", "x.com")
    with pytest.raises(MalformedResponse):
        APOLLO.parse_single(200, body({"organization": "apollo"}), "x.com")
    with pytest.raises(MalformedResponse):
        APOLLO.parse_batch(200, body({"status": "success"}), ["x.com"])


# Apollo's bulk answer carries `status`, `error_code` and `error_message`; an answer that
# fills them in says nothing about the domains, and must not count each one as a miss.
FAILED_BULK = {"status": "failed", "error_code": "internal_error", "organizations": []}


@pytest.mark.parametrize(
    "payload",
    [
        FAILED_BULK,
        {**FAILED_BULK, "status": "success", "error_message": "temporarily unavailable"},
    ],
)
def test_a_bulk_200_that_reports_an_error_is_no_answer(payload):
    with pytest.raises(MalformedResponse, match="internal_error|reports an error"):
        APOLLO.parse_batch(200, body(payload), ["apollo.io", "nobody.org"])


def test_a_single_200_that_reports_an_error_is_no_answer():
    payload = {"error": "Something went wrong", "error_code": "internal_error"}
    with pytest.raises(MalformedResponse):
        APOLLO.parse_single(200, body(payload), "apollo.io")


def test_requests_follow_the_documented_endpoints():
    single = APOLLO.single_request("acme.com")
    assert (single.method, single.path, list(single.params)) == (
        "GET",
        "/api/v1/organizations/enrich",
        [("domain", "acme.com")],
    )
    bulk = APOLLO.batch_request(["a.com", "b.com"])
    assert (bulk.method, bulk.path, list(bulk.params)) == (
        "POST",
        "/api/v1/organizations/bulk_enrich",
        [("domains[]", "a.com"), ("domains[]", "b.com")],
    )


def test_bulk_domains_missing_from_the_list_are_misses():
    payload = {
        "status": "success",
        "missing_records": 1,
        "organizations": [DOCUMENTED_ORGANIZATION],
    }
    parsed = APOLLO.parse_batch(200, body(payload), ["apollo.io", "nobody.org"])
    assert parsed["apollo.io"].values["employees"] == 1600.0
    assert parsed["nobody.org"] is None


@pytest.mark.parametrize("batch_size", [1, 10])
def test_live_lookup(apollo_server, batch_size):
    settings = ProviderSettings(kind="apollo", batch_size=batch_size, timeout_seconds=2)
    vendor = VendorClient(
        APOLLO,
        settings,
        SecretStr(apollo_server.api_key),
        RetryPolicy(max_attempts=2),
        CircuitBreaker(),
        base_url=apollo_server.url,
    )
    budget = CreditBudget(per_run=None, per_month=None)
    answers = {a.domain: a for a in asyncio.run(vendor.lookup(["globex.io", "nobody.org"], budget))}
    assert answers["globex.io"].values == {
        "industry": "Manufacturing",
        "employees": 800.0,
        "annual_revenue": 120_000_000.0,
        "country_code": "DE",
    }
    assert answers["nobody.org"].outcome is Outcome.MISS
    assert budget.spent == 1.0
    assert apollo_server.calls() == (2 if batch_size == 1 else 1)
