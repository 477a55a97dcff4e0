"""API usage as Salesforce reports it in the `Sforce-Limit-Info` response header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import requests

_API_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """`api-usage=18/5000` -> (18, 5000); None when the header is absent or unreadable."""
    if not header:
        return None
    match = _API_USAGE.search(header)
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass
class ApiUsage:
    """Calls this client made to the data API, and the org's usage as last reported."""

    calls: int = 0
    used: int | None = None
    total: int | None = None
    # The org's clock as of the last answer (its HTTP `Date` header, whole seconds).
    server_time: datetime | None = None

    @property
    def share(self) -> float | None:
        if self.used is None or not self.total:
            return None
        return self.used / self.total

    def observe(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """A `requests` response hook: sees REST and Bulk calls alike."""
        if "/services/data/" not in urlparse(response.url).path:
            return
        self.calls += 1
        reported = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if reported:
            self.used, self.total = reported
        self.server_time = _http_date(response.headers.get("Date")) or self.server_time


def _http_date(header: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        return None
