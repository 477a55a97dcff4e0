"""Apollo.io Organization Enrichment.

Documented shapes (docs.apollo.io, "Organization Enrichment", "Bulk Organization
Enrichment", "Rate Limits"):

* `GET /api/v1/organizations/enrich?domain=apollo.io`, key in the `x-api-key` header;
  a match is `{"organization": {...}}`. Apollo signals "no match" by a 200 whose body
  holds no organization, so an empty `organization` is a miss, not an error.
* `POST /api/v1/organizations/bulk_enrich?domains[]=a.com&domains[]=b.com` (at most 10):
  `{"status": "success", "organizations": [...], "missing_records": n, ...}`; domains
  with no organization in the list are misses.
* Credits are charged per organization enriched; the bulk endpoint's rate limit is a
  tenth of the single one. Apollo returns no match score, so every answer gets the
  provider's configured confidence.
* A 200 whose body reports an error (the bulk answer's `status`, `error_code`,
  `error_message`) answered nothing: it is retried like an unreadable body, never read as
  a miss for every domain asked.
* Fields used: `industry` (LinkedIn taxonomy, lower case), `estimated_num_employees`,
  `annual_revenue` (a number), `country` (full name), `primary_domain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from segmentation_pipeline.core.enrich.normalize import (
    canonical_industry,
    country_code,
    normalize_domain,
    positive_number,
)
from segmentation_pipeline.io.vendors.base import (
    ItemResult,
    MalformedResponse,
    VendorRecord,
    VendorRequest,
    read_json,
)


class Apollo:
    name = "apollo"
    default_base_url = "https://api.apollo.io"
    max_batch_size = 10

    def __init__(self, confidence: float = 0.8, industry_map: Mapping[str, str] | None = None):
        self.confidence = confidence
        self.industry_map = industry_map or {}

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key}

    def single_request(self, domain: str) -> VendorRequest:
        return VendorRequest("GET", "/api/v1/organizations/enrich", params=[("domain", domain)])

    def batch_request(self, domains: Sequence[str]) -> VendorRequest:
        return VendorRequest(
            "POST", "/api/v1/organizations/bulk_enrich", params=[("domains[]", d) for d in domains]
        )

    def record(self, organization: Mapping[str, object]) -> VendorRecord:
        values = {
            "industry": canonical_industry(organization.get("industry"), self.industry_map),
            "employees": positive_number(organization.get("estimated_num_employees")),
            "annual_revenue": positive_number(organization.get("annual_revenue")),
            "country_code": country_code(organization.get("country")),
        }
        return VendorRecord(values, confidence=self.confidence)

    def parse_single(self, status: int, body: bytes, domain: str) -> ItemResult:
        if status == 404:
            return None
        payload = read_json(body)
        if not isinstance(payload, dict):
            raise MalformedResponse("organization enrichment answer is not an object")
        _refuse_reported_error(payload)
        organization = payload.get("organization")
        if organization is None or organization == {}:
            return None
        if not isinstance(organization, dict):
            raise MalformedResponse("organization is not an object")
        return self.record(organization)

    def parse_batch(
        self, status: int, body: bytes, domains: Sequence[str]
    ) -> Mapping[str, ItemResult]:
        if status == 404:
            return dict.fromkeys(domains)
        payload = read_json(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("organizations"), list):
            raise MalformedResponse("bulk answer has no organizations list")
        _refuse_reported_error(payload)
        found: dict[str, ItemResult] = {}
        for organization in payload["organizations"]:
            if not isinstance(organization, dict):
                continue
            domain = normalize_domain(organization.get("primary_domain")) or normalize_domain(
                organization.get("website_url")
            )
            if domain is not None:
                found[domain] = self.record(organization)
        return {d: found.get(d) for d in domains}


def _refuse_reported_error(payload: Mapping[str, object]) -> None:
    """A 200 whose body reports an error (`error`, `error_code`, `error_message`, or a
    `status` other than "success") answered nothing: its empty organization or list must
    not turn every domain asked into a miss, cached for `miss_days`."""
    status = payload.get("status", "success")
    if status == "success" and not any(
        payload.get(key) for key in ("error", "error_code", "error_message")
    ):
        return
    code = payload.get("error_code")
    named = f" {code}" if isinstance(code, str) and code.isidentifier() and len(code) < 64 else ""
    raise MalformedResponse(f"answer reports an error{named}")
