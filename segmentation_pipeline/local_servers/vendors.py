"""Local firmographic vendors on 127.0.0.1 that answer like People Data Labs and Apollo.

Tests, benchmarks and the demo point the production clients at these servers instead
of the real APIs. Each server speaks its vendor's documented shapes (paths, auth
header, single and bulk endpoints, the vendor's way of saying "no match") and can be
made to misbehave at runtime through `server.faults`: latency, rate limits answered
with 429 + `Retry-After`, storms of 429s, bursts of 5xx, hanging requests, malformed
bodies, per-domain errors and misses. Every request is logged with its arrival time, so a test
can count calls and check that no window of time ever held more than the limit.

    with start_pdl_server(companies, api_key="k") as pdl:
        pdl.faults.latency = 0.05
        ...  # point the client at pdl.url
        assert pdl.max_in_window(1.0) <= 10
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from segmentation_pipeline.core.enrich.normalize import VENDOR_INDUSTRIES, normalize_domain
from segmentation_pipeline.local_servers.loopback import ServerThread

# PDL's canonical bands (employee `size`, `inferred_revenue`).
_PDL_SIZES = (
    (1, 10),
    (11, 50),
    (51, 200),
    (201, 500),
    (501, 1000),
    (1001, 5000),
    (5001, 10000),
)
_PDL_REVENUE = (
    (0, 1e6, "$0-$1M"),
    (1e6, 10e6, "$1M-$10M"),
    (10e6, 25e6, "$10M-$25M"),
    (25e6, 50e6, "$25M-$50M"),
    (50e6, 100e6, "$50M-$100M"),
    (100e6, 250e6, "$100M-$250M"),
    (250e6, 500e6, "$250M-$500M"),
    (500e6, 1e9, "$500M-$1B"),
    (1e9, 10e9, "$1B-$10B"),
)
_VENDOR_LABEL = {}
for _label, _industry in VENDOR_INDUSTRIES.items():
    _VENDOR_LABEL.setdefault(_industry, _label)


@dataclass(frozen=True)
class Company:
    """The truth a local vendor knows about one company, in plain terms."""

    domain: str
    name: str
    industry: str  # the pipeline's industry, e.g. "Software"
    employees: int
    annual_revenue: float
    country: str  # full English name, e.g. "United States"
    likelihood: int = 8  # PDL's match score for this company

    @property
    def vendor_industry(self) -> str:
        return _VENDOR_LABEL.get(self.industry, self.industry.lower())


@dataclass
class Faults:
    """Switchable misbehaviour; counters (`storm`, `errors`, ...) count down per request."""

    latency: float = 0.0
    rate_limit_per_second: int | None = None
    rate_limit_per_minute: int | None = None
    storm: int = 0  # next N requests get 429
    storm_retry_after: int = 0
    errors: int = 0  # next N requests get `error_status`
    error_status: int = 503
    timeouts: int = 0  # next N requests hang for `hang_seconds`
    hang_seconds: float = 5.0
    malformed: int = 0  # next N requests get a 200 whose body is not what the API returns
    error_domains: set[str] = field(default_factory=set)  # always `error_status`
    malformed_domains: set[str] = field(default_factory=set)  # always a malformed body
    miss_domains: set[str] = field(default_factory=set)  # known companies answered "no match"


@dataclass(frozen=True)
class LoggedRequest:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    domains: tuple[str, ...]
    status: int


class _Limits:
    """Server-side sliding windows: a request is refused when a window is full."""

    def __init__(self) -> None:
        self.windows: dict[float, deque[float]] = {1.0: deque(), 60.0: deque()}

    def admit(self, now: float, per_second: int | None, per_minute: int | None) -> float | None:
        """None when admitted (and counted), else the seconds until a slot frees up."""
        waits = []
        for limit, window in ((per_second, 1.0), (per_minute, 60.0)):
            accepted = self.windows[window]
            while accepted and now - accepted[0] >= window:
                accepted.popleft()
            if limit is not None and len(accepted) >= limit:
                waits.append(accepted[-limit] + window - now)
        if waits:
            return max(waits)
        for accepted in self.windows.values():
            accepted.append(now)
        return None


class VendorServer:
    """One vendor API on a free loopback port, served from a background thread."""

    vendor = "vendor"

    def __init__(self, companies: Iterable[Company], api_key: str):
        self.companies = {c.domain: c for c in companies}
        self.api_key = api_key
        self.faults = Faults()
        self.log: list[LoggedRequest] = []
        self._limits = _Limits()
        self._lock = threading.Lock()
        self._thread: ServerThread | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> VendorServer:
        self._thread = ServerThread(Starlette(routes=self.routes()))
        self._thread.start()
        self.port = self._thread.port
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
        self._thread = None

    def __enter__(self) -> VendorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget the log, the rate windows and every fault."""
        with self._lock:
            self.faults = Faults()
            self.log.clear()
            self._limits = _Limits()

    # --- the request log ---------------------------------------------------------
    def calls(self, path: str | None = None) -> int:
        return sum(1 for r in self.log if path is None or r.path == path)

    def domains_asked(self) -> list[str]:
        return [d for r in self.log for d in r.domains]

    def count(self, status: int) -> int:
        return sum(1 for r in self.log if r.status == status)

    def max_in_window(self, seconds: float) -> int:
        """Most requests that arrived within any `seconds`-long stretch of time."""
        times = sorted(r.at for r in self.log)
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    # --- shared request handling -------------------------------------------------
    def routes(self) -> list[Route]:
        raise NotImplementedError

    def known(self, domain: str | None) -> Company | None:
        """The company behind `domain`, unless it is unknown or switched to a miss."""
        if domain is None or domain in self.faults.miss_domains:
            return None
        return self.companies.get(domain)

    def api_key_of(self, request: Request) -> str | None:
        raise NotImplementedError

    def error(self, status: int, message: str) -> Response:
        return JSONResponse({"error": message}, status_code=status)

    def rate_limit_headers(self) -> dict[str, str]:
        return {}

    def _take(self, counter: str) -> bool:
        with self._lock:
            left = getattr(self.faults, counter)
            if left > 0:
                setattr(self.faults, counter, left - 1)
                return True
            return False

    async def serve(
        self, request: Request, domains: Sequence[str], answer: Callable[[], Response]
    ) -> Response:
        """Auth, limits and faults in the order a real gateway applies them, then `answer`."""
        arrived = time.monotonic()
        faults = self.faults
        response = await self._gate(request, domains, arrived, faults)
        if response is None:
            if faults.latency > 0:
                await asyncio.sleep(faults.latency)
            response = answer()
        with self._lock:
            self.log.append(
                LoggedRequest(
                    arrived, request.method, request.url.path, tuple(domains), response.status_code
                )
            )
        return response

    async def _gate(
        self, request: Request, domains: Sequence[str], arrived: float, faults: Faults
    ) -> Response | None:
        if self.api_key_of(request) != self.api_key:
            return self.error(401, "invalid API key")
        with self._lock:
            wait = self._limits.admit(
                arrived, faults.rate_limit_per_second, faults.rate_limit_per_minute
            )
        if wait is not None:
            return JSONResponse(
                self.rate_limited_body(),
                status_code=429,
                headers={"Retry-After": str(max(1, math.ceil(wait))), **self.rate_limit_headers()},
            )
        if self._take("storm"):
            return JSONResponse(
                self.rate_limited_body(),
                status_code=429,
                headers={"Retry-After": str(faults.storm_retry_after)},
            )
        if self._take("timeouts"):
            await asyncio.sleep(faults.hang_seconds)
        if self._take("errors") or any(d in faults.error_domains for d in domains):
            return self.error(faults.error_status, "internal error")
        if self._take("malformed") or any(d in faults.malformed_domains for d in domains):
            return Response(
                b'{"status": 200, "likelihood": ', status_code=200, media_type="application/json"
            )
        return None

    def rate_limited_body(self) -> dict:
        return {"error": "rate limit exceeded"}


class PdlServer(VendorServer):
    """People Data Labs: `/v5/company/enrich` and `/v5/company/enrich/bulk`."""

    vendor = "pdl"

    def routes(self) -> list[Route]:
        return [
            Route("/v5/company/enrich", self.enrich, methods=["GET"]),
            Route("/v5/company/enrich/bulk", self.bulk, methods=["POST"]),
        ]

    def api_key_of(self, request: Request) -> str | None:
        return request.headers.get("x-api-key") or request.query_params.get("api_key")

    def error(self, status: int, message: str) -> Response:
        kinds = {
            400: "invalid_request_error",
            401: "authentication_error",
            402: "payment_required",
            404: "not_found",
            429: "rate_limit_error",
        }
        body = {
            "status": status,
            "error": {"type": kinds.get(status, "api_error"), "message": message},
        }
        return JSONResponse(body, status_code=status)

    def rate_limited_body(self) -> dict:
        return {
            "status": 429,
            "error": {"type": "rate_limit_error", "message": "You have hit your rate limit"},
        }

    def rate_limit_headers(self) -> dict[str, str]:
        limit = self.faults.rate_limit_per_minute or self.faults.rate_limit_per_second
        return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": "0"}

    def profile(self, company: Company) -> dict:
        size = next(
            (f"{lo}-{hi}" for lo, hi in _PDL_SIZES if lo <= company.employees <= hi), "10001+"
        )
        revenue = next(
            (band for lo, hi, band in _PDL_REVENUE if lo <= company.annual_revenue < hi), "$10B+"
        )
        return {
            "id": f"pdl-{company.domain}",
            "name": company.name.lower(),
            "display_name": company.name,
            "website": company.domain,
            "size": size,
            "employee_count": company.employees,
            "industry": company.vendor_industry,
            "inferred_revenue": revenue,
            "location": {"name": company.country.lower(), "country": company.country.lower()},
        }

    def item(self, params: dict) -> tuple[int, dict]:
        domain = normalize_domain(params.get("website") or params.get("profile") or "")
        if domain is None:
            return 400, {
                "status": 400,
                "error": {"type": "invalid_request_error", "message": "website is required"},
            }
        try:
            min_likelihood = int(params.get("min_likelihood", 2))
        except (TypeError, ValueError):
            min_likelihood = 2
        company = self.known(domain)
        if company is None or company.likelihood < min_likelihood:
            return 404, {
                "status": 404,
                "error": {
                    "type": "not_found",
                    "message": "No records were found matching your request",
                },
            }
        return 200, {**self.profile(company), "status": 200, "likelihood": company.likelihood}

    async def enrich(self, request: Request) -> Response:
        params = dict(request.query_params)
        domain = normalize_domain(params.get("website") or "")

        def answer() -> Response:
            status, body = self.item(params)
            return JSONResponse(body, status_code=status)

        return await self.serve(request, [domain] if domain else [], answer)

    async def bulk(self, request: Request) -> Response:
        try:
            payload = await request.json()
            requests = payload["requests"]
            assert isinstance(requests, list) and 1 <= len(requests) <= 100
        except Exception:
            return self.error(400, "requests must hold 1 to 100 request objects")
        domains = [
            normalize_domain((r.get("params") or {}).get("website") or "") or "" for r in requests
        ]

        def answer() -> Response:
            items = []
            for entry in requests:
                _, body = self.item(entry.get("params") or {})
                if "metadata" in entry:
                    body["metadata"] = entry["metadata"]
                items.append(body)
            return JSONResponse(items)

        return await self.serve(request, domains, answer)


class ApolloServer(VendorServer):
    """Apollo: `/api/v1/organizations/enrich` and `/api/v1/organizations/bulk_enrich`."""

    vendor = "apollo"

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/organizations/enrich", self.enrich, methods=["GET"]),
            Route("/api/v1/organizations/bulk_enrich", self.bulk, methods=["POST"]),
        ]

    def api_key_of(self, request: Request) -> str | None:
        return request.headers.get("x-api-key")

    def rate_limit_headers(self) -> dict[str, str]:
        limit = self.faults.rate_limit_per_minute
        return {"x-rate-limit-minute": str(limit), "x-minute-requests-left": "0"} if limit else {}

    def organization(self, company: Company) -> dict:
        return {
            "id": f"apollo-{company.domain}",
            "name": company.name,
            "website_url": f"http://www.{company.domain}",
            "primary_domain": company.domain,
            "industry": company.vendor_industry,
            "estimated_num_employees": company.employees,
            "annual_revenue": company.annual_revenue,
            "annual_revenue_printed": f"{company.annual_revenue / 1e6:.0f}M",
            "country": company.country,
        }

    async def enrich(self, request: Request) -> Response:
        domain = normalize_domain(request.query_params.get("domain") or "")

        def answer() -> Response:
            company = self.known(domain)
            return JSONResponse(
                {} if company is None else {"organization": self.organization(company)}
            )

        return await self.serve(request, [domain] if domain else [], answer)

    async def bulk(self, request: Request) -> Response:
        asked = request.query_params.getlist("domains[]")
        if not 1 <= len(asked) <= 10:
            return self.error(422, "domains[] must hold 1 to 10 domains")
        domains = [normalize_domain(d) or "" for d in asked]

        def answer() -> Response:
            unique = list(dict.fromkeys(domains))
            found = [self.organization(c) for c in map(self.known, unique) if c is not None]
            return JSONResponse(
                {
                    "status": "success",
                    "error_code": None,
                    "error_message": None,
                    "total_requested_domains": len(asked),
                    "unique_domains": len(unique),
                    "unique_enriched_records": len(found),
                    "missing_records": len(unique) - len(found),
                    "organizations": found,
                }
            )

        return await self.serve(request, domains, answer)


@contextlib.contextmanager
def start_pdl_server(companies: Iterable[Company], api_key: str) -> Iterator[PdlServer]:
    with PdlServer(companies, api_key) as server:
        yield server


@contextlib.contextmanager
def start_apollo_server(companies: Iterable[Company], api_key: str) -> Iterator[ApolloServer]:
    with ApolloServer(companies, api_key) as server:
        yield server
