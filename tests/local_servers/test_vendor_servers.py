"""The local vendor servers answer like the real APIs and misbehave on demand."""

import time

import httpx


def test_pdl_answers_a_match_and_a_documented_404(pdl_server):
    headers = {"X-Api-Key": pdl_server.api_key}
    url = f"{pdl_server.url}/v5/company/enrich"
    found = httpx.get(url, params={"website": "https://www.acme.com"}, headers=headers).json()
    assert (
        found["status"],
        found["likelihood"],
        found["industry"],
        found["employee_count"],
        found["size"],
        found["inferred_revenue"],
        found["location"]["country"],
    ) == (200, 9, "computer software", 120, "51-200", "$1M-$10M", "united states")
    missing = httpx.get(url, params={"website": "nobody.org"}, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found"
    weak = httpx.get(url, params={"website": "initech.co.uk", "min_likelihood": 4}, headers=headers)
    assert weak.status_code == 404  # likelihood 3 is under the asked minimum


def test_pdl_bulk_answers_in_request_order_and_echoes_metadata(pdl_server):
    body = {
        "requests": [
            {"params": {"website": "globex.io"}, "metadata": {"id": 1}},
            {"params": {"website": "nobody.org"}, "metadata": {"id": 2}},
        ]
    }
    items = httpx.post(
        f"{pdl_server.url}/v5/company/enrich/bulk",
        json=body,
        headers={"X-Api-Key": pdl_server.api_key},
    ).json()
    assert [(i["status"], i["metadata"]["id"]) for i in items] == [(200, 1), (404, 2)]
    too_many = {"requests": [{"params": {"website": "a.com"}}] * 101}
    assert (
        httpx.post(
            f"{pdl_server.url}/v5/company/enrich/bulk",
            json=too_many,
            headers={"X-Api-Key": pdl_server.api_key},
        ).status_code
        == 400
    )


def test_apollo_says_no_match_with_an_empty_200(apollo_server):
    headers = {"x-api-key": apollo_server.api_key}
    url = f"{apollo_server.url}/api/v1/organizations/enrich"
    assert httpx.get(url, params={"domain": "nobody.org"}, headers=headers).json() == {}
    organization = httpx.get(url, params={"domain": "globex.io"}, headers=headers).json()
    assert organization["organization"]["estimated_num_employees"] == 800
    bulk = httpx.post(
        f"{apollo_server.url}/api/v1/organizations/bulk_enrich",
        params=[("domains[]", "globex.io"), ("domains[]", "nobody.org")],
        headers=headers,
    ).json()
    assert (bulk["unique_enriched_records"], bulk["missing_records"]) == (1, 1)


def test_wrong_key_is_refused(pdl_server, apollo_server):
    assert (
        httpx.get(
            f"{pdl_server.url}/v5/company/enrich",
            params={"website": "acme.com"},
            headers={"X-Api-Key": "nope"},
        ).status_code
        == 401
    )
    assert (
        httpx.get(
            f"{apollo_server.url}/api/v1/organizations/enrich", params={"domain": "acme.com"}
        ).status_code
        == 401
    )


def test_rate_limit_answers_429_with_retry_after_and_the_log_shows_the_window(pdl_server):
    pdl_server.faults.rate_limit_per_second = 2
    with httpx.Client(base_url=pdl_server.url, headers={"X-Api-Key": pdl_server.api_key}) as c:
        replies = [c.get("/v5/company/enrich", params={"website": "acme.com"}) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[2].headers["retry-after"] == "1"
    assert replies[2].json()["error"]["type"] == "rate_limit_error"
    assert pdl_server.max_in_window(1.0) == 3  # the log counts refused requests too
    assert pdl_server.count(429) == 1


def test_latency_and_reset(apollo_server):
    apollo_server.faults.latency = 0.2
    started = time.monotonic()
    httpx.get(
        f"{apollo_server.url}/api/v1/organizations/enrich",
        params={"domain": "acme.com"},
        headers={"x-api-key": apollo_server.api_key},
    )
    assert time.monotonic() - started >= 0.2
    apollo_server.reset()
    assert apollo_server.log == [] and apollo_server.faults.latency == 0.0


def test_known_companies_can_be_switched_to_misses(pdl_server, apollo_server):
    pdl_server.faults.miss_domains = {"acme.com"}
    apollo_server.faults.miss_domains = {"globex.io"}
    assert (
        httpx.get(
            f"{pdl_server.url}/v5/company/enrich",
            params={"website": "acme.com"},
            headers={"X-Api-Key": pdl_server.api_key},
        ).status_code
        == 404
    )
    bulk = httpx.post(
        f"{apollo_server.url}/api/v1/organizations/bulk_enrich",
        params=[("domains[]", "globex.io"), ("domains[]", "acme.com")],
        headers={"x-api-key": apollo_server.api_key},
    ).json()
    assert [o["primary_domain"] for o in bulk["organizations"]] == ["acme.com"]
