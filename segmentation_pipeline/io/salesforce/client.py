"""A careful client over simple-salesforce: retries, re-authentication, quota, Bulk API 2.0.

Every call goes through `_call`, which
* stops before the org's API usage reaches `quota_stop_share` of the daily allocation
  (usage comes from the `Sforce-Limit-Info` header of each answer),
* turns 403 REQUEST_LIMIT_EXCEEDED into `RequestLimitExceeded` (callers end cleanly),
* re-authenticates once on 401 INVALID_SESSION_ID, then gives up,
* retries 5xx answers, timeouts and dropped connections with exponential backoff,
* scrubs credentials from every error message it raises.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import Operation
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)
from simple_salesforce.exceptions import SalesforceError as _SimpleSalesforceError

from segmentation_pipeline.core.crm_sync import CrmField
from segmentation_pipeline.io.salesforce.errors import (
    BulkJobFailed,
    BulkOutcomeUnknown,
    QuotaStopShareReached,
    RequestLimitExceeded,
    SalesforceApiError,
    SalesforceAuthError,
    SalesforceError,
    SalesforceFieldError,
    SalesforceNoAnswer,
    SalesforceUnavailable,
)
from segmentation_pipeline.io.salesforce.settings import SalesforceSettings
from segmentation_pipeline.io.salesforce.soql import identifier
from segmentation_pipeline.io.salesforce.usage import ApiUsage

log = logging.getLogger(__name__)
T = TypeVar("T")

BULK_NULL = "#N/A"


@dataclass
class RecordResult:
    """Outcome of writing one record."""

    record_id: str
    success: bool
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class BulkIngestResult:
    job_id: str
    state: str
    error_message: str | None
    results: list[RecordResult] = field(default_factory=list)
    unprocessed: list[str] = field(default_factory=list)


class _TimeoutSession(requests.Session):
    """A session that never waits forever: simple-salesforce's bulk calls take no timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def _first_error(content: Any) -> tuple[str | None, str]:
    """errorCode and message of Salesforce's `[{"message", "errorCode"}]` error body."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode"), str(content[0].get("message", ""))
    if isinstance(content, dict):
        return content.get("errorCode"), str(content.get("message", content))
    return None, str(content)[:500]


class SalesforceClient:
    """One authenticated connection to an org; cheap to create, connects on first use."""

    def __init__(self, settings: SalesforceSettings) -> None:
        self.settings = settings
        self.usage = ApiUsage()
        self.session = _TimeoutSession(settings.timeout_seconds)
        if settings.proxy_url or settings.ca_bundle:
            self.session.trust_env = False
        if settings.proxy_url:
            self.session.proxies = {"https": settings.proxy_url, "http": settings.proxy_url}
        if settings.ca_bundle:
            self.session.verify = settings.ca_bundle
        self.session.hooks["response"].append(self.usage.observe)
        self._sf: Salesforce | None = None
        self._describes: dict[str, dict[str, CrmField]] = {}
        self.reauthentications = 0
        self.retries = 0

    # --- connection ----------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        for secret in self.settings.secret_values():
            text = text.replace(secret, "***")
        return text

    def _connection(self) -> Salesforce:
        if self._sf is None:
            try:
                self._sf = Salesforce(session=self.session, **self.settings.login_kwargs())
            except SalesforceAuthenticationFailed as exc:
                raise SalesforceAuthError(
                    self._scrub(f"Salesforce login ({self.settings.auth_mode}) failed: {exc}")
                ) from None
            except requests.RequestException as exc:
                raise SalesforceUnavailable(
                    self._scrub(f"cannot reach the Salesforce login endpoint: {exc}")
                ) from None
        return self._sf

    def connect(self) -> SalesforceClient:
        self._connection()
        return self

    @property
    def instance(self) -> str:
        return self._connection().sf_instance

    # --- the one path every call takes -------------------------------------------------
    def _check_quota(self) -> None:
        share = self.usage.share
        if share is not None and share >= self.settings.quota_stop_share:
            raise QuotaStopShareReached(
                f"API usage {self.usage.used}/{self.usage.total} ({share:.0%}) reached the stop "
                f"share of {self.settings.quota_stop_share:.0%} of the daily allocation; "
                "stopping here, the rest is left for the next run"
            )

    def _backoff(self, attempt: int) -> float:
        return min(
            self.settings.backoff_max_seconds, self.settings.backoff_seconds * 2 ** (attempt - 1)
        )

    def _call(self, what: str, fn: Callable[[Salesforce], T]) -> T:
        attempt = 0
        reauthenticated = False
        while True:
            self._check_quota()
            try:
                return fn(self._connection())
            except SalesforceExpiredSession:
                if reauthenticated or self.settings.auth_mode == "session":
                    raise SalesforceAuthError(
                        f"{what}: session expired or invalid"
                        + (
                            " and a session-id login cannot renew it"
                            if self.settings.auth_mode == "session"
                            else " again right after re-authenticating"
                        )
                    ) from None
                reauthenticated = True
                self.reauthentications += 1
                self._sf = None
                log.info("Salesforce session expired during %s; logging in again", what)
            except SalesforceRefusedRequest as exc:
                code, message = _first_error(exc.content)
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise RequestLimitExceeded(
                        f"{what}: Salesforce refused the call, daily API limit exceeded "
                        f"({message}); stopping here, the rest is left for the next run"
                    ) from None
                raise SalesforceApiError(
                    self._scrub(f"{what}: refused (403 {code}): {message}"), 403, code
                ) from None
            except (SalesforceGeneralError, requests.Timeout, requests.ConnectionError) as exc:
                status = getattr(exc, "status", None)
                if isinstance(exc, SalesforceGeneralError) and (status is None or status < 500):
                    code, message = _first_error(exc.content)
                    raise SalesforceApiError(
                        self._scrub(f"{what}: HTTP {status} {code}: {message}"), status, code
                    ) from None
                attempt += 1
                reason = f"HTTP {status}" if status else type(exc).__name__
                if attempt > self.settings.max_retries:
                    raise SalesforceNoAnswer(
                        f"{what}: gave up after {attempt} attempts ({reason})"
                    ) from None
                self.retries += 1
                delay = self._backoff(attempt)
                log.warning("%s: %s, retry %d in %.1fs", what, reason, attempt, delay)
                time.sleep(delay)
            except _SimpleSalesforceError as exc:
                code, message = _first_error(exc.content)
                raise SalesforceApiError(
                    self._scrub(f"{what}: HTTP {exc.status} {code}: {message}"), exc.status, code
                ) from None

    # --- metadata ------------------------------------------------------------------------
    def describe(self, sobject: str) -> dict[str, CrmField]:
        """Fields of `sobject` by API name (cached per client)."""
        name = identifier(sobject)
        if name not in self._describes:
            try:
                raw = self._call(
                    f"describe {name}", lambda sf: sf.restful(f"sobjects/{name}/describe")
                )
            except SalesforceApiError as exc:
                if exc.status == 404:
                    raise SalesforceFieldError(f"the org has no object named {name!r}") from None
                raise
            self._describes[name] = {
                f["name"]: CrmField(
                    name=f["name"],
                    type=f.get("type", "string"),
                    updateable=bool(f.get("updateable")),
                    length=int(f.get("length") or 0),
                    scale=int(f.get("scale") or 0),
                    picklist_values=frozenset(
                        p["value"] for p in f.get("picklistValues") or [] if p.get("active", True)
                    ),
                    restricted_picklist=bool(f.get("restrictedPicklist")),
                )
                for f in raw["fields"]
            }
        return self._describes[name]

    def limits(self) -> dict[str, Any]:
        return self._call("read limits", lambda sf: sf.restful("limits"))

    # --- REST query ----------------------------------------------------------------------
    def count(self, count_soql: str, include_deleted: bool = False) -> int:
        """Rows a `SELECT COUNT() ...` query matches."""
        result = self._call(
            "count", lambda sf: sf.query(count_soql, include_deleted=include_deleted)
        )
        return int(result["totalSize"])

    def query_pages(self, soql: str, include_deleted: bool = False) -> Iterator[list[dict]]:
        """Pages of records (without `attributes`), following `nextRecordsUrl`."""
        headers = {"Sforce-Query-Options": f"batchSize={self.settings.query_batch_size}"}
        result = self._call(
            "query",
            lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers),
        )
        while True:
            yield [{k: v for k, v in r.items() if k != "attributes"} for r in result["records"]]
            if result.get("done", True):
                return
            next_url = result["nextRecordsUrl"]
            result = self._call(
                "query more",
                lambda sf, url=next_url: sf.query_more(
                    url, identifier_is_url=True, headers=headers
                ),
            )

    # --- Bulk API 2.0 --------------------------------------------------------------------
    @staticmethod
    def _bulk2(sf: Salesforce, sobject: str) -> Any:
        # Step-by-step access to simple-salesforce's Bulk 2.0 client, so each step
        # (create, upload, close, poll, results) is retried on its own and a job is
        # never submitted twice.
        return getattr(sf.bulk2, sobject)._client

    def _wait_for_job(self, sobject: str, job_id: str, is_query: bool) -> dict[str, Any]:
        deadline = time.monotonic() + self.settings.bulk_timeout_seconds
        delay = min(0.1, self.settings.bulk_poll_seconds)
        while True:
            info = self._call(
                "poll bulk job", lambda sf: self._bulk2(sf, sobject).get_job(job_id, is_query)
            )
            if info["state"] in ("JobComplete", "Failed", "Aborted"):
                return info
            if time.monotonic() > deadline:
                raise SalesforceUnavailable(f"Bulk job {job_id} still {info['state']} at timeout")
            time.sleep(delay)
            delay = min(self.settings.bulk_poll_seconds, delay * 2 or 0.1)

    def bulk_query_pages(self, soql: str, include_deleted: bool = False) -> Iterator[str]:
        """CSV pages of a Bulk API 2.0 query job, following `Sforce-Locator`."""
        sobject = _sobject_of(soql)
        operation = Operation.query_all if include_deleted else Operation.query
        job = self._call(
            "create bulk query job",
            lambda sf: self._bulk2(sf, sobject).create_job(operation, query=soql),
        )
        info = self._wait_for_job(sobject, job["id"], is_query=True)
        if info["state"] != "JobComplete":
            raise BulkJobFailed(job["id"], info.get("errorMessage") or info["state"])
        locator = ""
        while True:
            page = self._call(
                "read bulk query results",
                lambda sf, loc=locator: self._bulk2(sf, sobject).get_query_results(
                    job["id"], loc, self.settings.bulk_query_page_size
                ),
            )
            yield page["records"]
            locator = page["locator"]
            if not locator:
                return

    def bulk_update(self, sobject: str, records: list[dict[str, Any]]) -> BulkIngestResult:
        """Update `records` (each with `Id`) in one Bulk API 2.0 ingest job."""
        name = identifier(sobject)
        body = records_to_csv(records)
        job = self._call(
            "create bulk ingest job",
            lambda sf: self._bulk2(sf, name).create_job(Operation.update),
        )
        job_id = job["id"]
        self._call(
            "upload bulk data", lambda sf: self._bulk2(sf, name).upload_job_data(job_id, body)
        )
        # From here on Salesforce may apply the rows: an error no longer means "not sent".
        try:
            self._call("close bulk job", lambda sf: self._bulk2(sf, name).close_job(job_id))
        except SalesforceError as exc:
            raise BulkOutcomeUnknown(job_id, str(exc)) from None
        attempt = 0
        while True:
            try:
                return self._ingest_outcome(name, job_id)
            except SalesforceError as exc:
                attempt += 1
                if attempt > self.settings.max_retries:
                    raise BulkOutcomeUnknown(job_id, str(exc)) from None
                delay = self._backoff(attempt)
                log.warning(
                    "Bulk job %s: reading its outcome failed (%s), retry %d in %.1fs",
                    job_id,
                    exc,
                    attempt,
                    delay,
                )
                time.sleep(delay)

    def _ingest_outcome(self, name: str, job_id: str) -> BulkIngestResult:
        """Poll a closed ingest job to its end and read its per-record results."""
        info = self._wait_for_job(name, job_id, is_query=False)

        def fetch(kind: str) -> list[dict[str, str]]:
            text = self._call(
                f"read bulk {kind}",
                lambda sf: self._bulk2(sf, name).get_ingest_results(job_id, kind),
            )
            return list(csv.DictReader(io.StringIO(text)))

        results = [
            RecordResult(r["sf__Id"] or r.get("Id", ""), True) for r in fetch("successfulResults")
        ]
        for row in fetch("failedResults"):
            code, _, message = row.get("sf__Error", "").partition(":")
            results.append(
                RecordResult(
                    row.get("sf__Id") or row.get("Id", ""), False, code, message.rstrip(" -")
                )
            )
        unprocessed = [r.get("Id", "") for r in fetch("unprocessedrecords")]
        return BulkIngestResult(
            job_id, info["state"], info.get("errorMessage"), results, unprocessed
        )

    # --- sObject Collections -------------------------------------------------------------
    def update_collection(self, sobject: str, records: list[dict[str, Any]]) -> list[RecordResult]:
        """Update up to 200 records in one `composite/sobjects` call, allOrNone false."""
        if len(records) > 200:
            raise ValueError("sObject Collections take at most 200 records per call")
        name = identifier(sobject)
        payload = json.dumps(
            {
                "allOrNone": False,
                "records": [
                    {"attributes": {"type": name}, "id": r["Id"]}
                    | {k: v for k, v in r.items() if k != "Id"}
                    for r in records
                ],
            },
            allow_nan=False,
        )
        answer = self._call(
            "update records",
            lambda sf: sf.restful("composite/sobjects", method="PATCH", data=payload),
        )
        results = []
        for record, outcome in zip(records, answer or [], strict=False):
            errors = outcome.get("errors") or []
            first = errors[0] if errors else {}
            results.append(
                RecordResult(
                    outcome.get("id") or record["Id"],
                    bool(outcome.get("success")),
                    first.get("statusCode"),
                    first.get("message"),
                )
            )
        return results


def _sobject_of(soql: str) -> str:
    words = soql.split()
    upper = [w.upper() for w in words]
    return identifier(words[upper.index("FROM") + 1])


def _csv_cell(value: Any) -> str:
    if value is None:
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def records_to_csv(records: list[dict[str, Any]]) -> str:
    """Bulk API 2.0 CSV: `Id` first, `#N/A` for null (blank would mean "leave as is")."""
    columns = ["Id"] + sorted({k for r in records for k in r if k != "Id"})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_cell(record.get(c)) if c in record else "" for c in columns])
    return buffer.getvalue()
