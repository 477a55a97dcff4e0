"""People Data Labs Company Enrichment API v5.

Documented shapes (docs.peopledatalabs.com, "Company Enrichment API" and "Bulk Company
Enrichment API"):

* `GET /v5/company/enrich?website=...&min_likelihood=N`, key in the `X-Api-Key` header.
  A match is HTTP 200 with the company profile at the top level (not under `data`) plus
  `status` and `likelihood` (1-10, how sure PDL is it matched the right company). No
  match is HTTP 404. Only 200s are billed. Below `min_likelihood` PDL answers 404, so
  asking with our own threshold means never paying for a match we would reject.
* `POST /v5/company/enrich/bulk` with `{"requests": [{"params": {...}, "metadata": {...}}]}`
  (1-100 requests): an array in request order, one object per request with its own
  `status` (200 or 404 ...), the profile, `likelihood`, and our `metadata` echoed back.
* Fields used: `industry` (LinkedIn taxonomy, lower case), `employee_count` (or the
  `size` band), `inferred_revenue` (a band such as "$50M-$100M"), `location.country`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from segmentation_pipeline.core.enrich.normalize import (
    canonical_industry,
    country_code,
    normalize_domain,
    positive_number,
    range_midpoint,
)
from segmentation_pipeline.io.vendors.base import (
    ItemResult,
    MalformedResponse,
    VendorRecord,
    VendorRequest,
    read_json,
)


class PeopleDataLabs:
    name = "pdl"
    default_base_url = "https://api.peopledatalabs.com"
    max_batch_size = 100

    def __init__(self, min_likelihood: int = 2, industry_map: Mapping[str, str] | None = None):
        self.min_likelihood = min_likelihood
        self.industry_map = industry_map or {}

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {"X-Api-Key": api_key}

    def _params(self, domain: str) -> dict[str, object]:
        return {"website": domain, "min_likelihood": self.min_likelihood}

    def single_request(self, domain: str) -> VendorRequest:
        params = [(k, str(v)) for k, v in self._params(domain).items()]
        return VendorRequest("GET", "/v5/company/enrich", params=params)

    def batch_request(self, domains: Sequence[str]) -> VendorRequest:
        body = {
            "requests": [{"params": self._params(d), "metadata": {"domain": d}} for d in domains]
        }
        return VendorRequest("POST", "/v5/company/enrich/bulk", json=body)

    def record(self, profile: Mapping[str, object]) -> VendorRecord:
        likelihood = positive_number(profile.get("likelihood"))
        if likelihood is None or likelihood > 10:
            raise MalformedResponse("match without a likelihood between 1 and 10")
        location = profile.get("location")
        country = location.get("country") if isinstance(location, Mapping) else None
        employees = positive_number(profile.get("employee_count"))
        if employees is None:
            employees = range_midpoint(profile.get("size"))
        industry = canonical_industry(profile.get("industry"), self.industry_map)
        if industry is None:
            industry = canonical_industry(profile.get("industry_v2"), self.industry_map)
        values = {
            "industry": industry,
            "employees": employees,
            "annual_revenue": range_midpoint(profile.get("inferred_revenue")),
            "country_code": country_code(country),
        }
        return VendorRecord(values, confidence=likelihood / 10.0)

    def parse_single(self, status: int, body: bytes, domain: str) -> ItemResult:
        if status == 404:
            return None
        profile = read_json(body)
        if not isinstance(profile, dict):
            raise MalformedResponse("company enrichment answer is not an object")
        return self.record(profile)

    def parse_batch(
        self, status: int, body: bytes, domains: Sequence[str]
    ) -> Mapping[str, ItemResult]:
        items = read_json(body)
        if not isinstance(items, list) or len(items) != len(domains):
            raise MalformedResponse("bulk answer is not one object per request")
        out: dict[str, ItemResult] = {}
        for asked, item in zip(domains, items, strict=True):
            if not isinstance(item, dict):
                raise MalformedResponse("bulk answer item is not an object")
            metadata = item.get("metadata")
            echoed = metadata.get("domain") if isinstance(metadata, dict) else None
            domain = normalize_domain(echoed) or asked
            item_status = item.get("status")
            if item_status == 200:
                try:
                    out[domain] = self.record(item)
                except MalformedResponse as exc:  # its domain fails, not the whole batch
                    out[domain] = f"bulk item unreadable ({exc})"
            elif item_status == 404:
                out[domain] = None
            else:
                out[domain] = f"bulk item status {item_status}"
        return out
