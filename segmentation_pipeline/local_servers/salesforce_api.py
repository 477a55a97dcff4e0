"""A local Salesforce API server: REST, Bulk API 2.0, OAuth and SOAP login over TLS.

It answers with the shapes Salesforce documents (query pages with `nextRecordsUrl`,
describe, sObject Collections SaveResults, Bulk 2.0 job info and result CSVs,
`Sforce-Limit-Info` on every data answer, errors as `[{"message", "errorCode"}]`) so the
production client runs against it unchanged. Faults can be switched on per test.

    with LocalSalesforce() as sf_server:
        sf_server.org.insert("Account", {"Name": "Acme"})
        settings = SalesforceSettings(**sf_server.password_login(), ...)
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import json
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from segmentation_pipeline.local_servers.loopback import ConnectProxy, ServerThread, ThrowawayTls
from segmentation_pipeline.local_servers.salesforce_org import (
    Org,
    QueryError,
    RecordError,
    coerce_csv_value,
    csv_cell,
    make_id,
    parse_soql,
)

ORG_ID = "00D5g000004SfRkEAK"
USER_ID = "0055g00000AbCdEAAV"


@dataclass
class Credentials:
    """What the local org accepts at its login endpoints."""

    username: str = "integration@example.com"
    password: str = "local-password"
    security_token: str = "LOCALTOKEN"
    consumer_key: str = "3MVG9.local.consumer.key"
    consumer_secret: str = "local-consumer-secret"
    jwt_public_key_pem: bytes | None = None


@dataclass
class Faults:
    """Switchable misbehaviour; each `*_next` counter is used up one request at a time."""

    request_limit_exceeded: bool = False
    refuse_after_calls: int | None = None
    expire_session_once: bool = False
    unavailable_next: int = 0
    stall_next: int = 0
    stall_seconds: float = 2.0
    fail_next_ingest_job: str | None = None
    record_errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    latency_seconds: float = 0.0
    # Polls of an ingest job's state (GET jobs/ingest/{id}) refused with 403 and this
    # errorCode, after the job was processed: the rows are applied, the answer is lost.
    forbid_next_ingest_polls: int = 0
    forbidden_poll_code: str = "REQUEST_LIMIT_EXCEEDED"
    # Writes (PATCH) the org applies, whose answer is then held `stall_seconds`: past the
    # client's timeout it is lost, as when the connection drops after the commit.
    lose_next_write_answers: int = 0


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    host: str
    status: int
    records: int = 0


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": code}], status, headers=headers)


def _csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


class SalesforceApi:
    """The ASGI app and the state it serves from."""

    def __init__(
        self,
        org: Org | None = None,
        credentials: Credentials | None = None,
        instance_host: str = "loopback.my.salesforce.com",
        daily_api_limit: int = 15000,
    ) -> None:
        self.org = org or Org()
        self.credentials = credentials or Credentials()
        self.faults = Faults()
        self.instance_host = instance_host
        self.daily_api_limit = daily_api_limit
        self.api_used = 0
        self.page_size = 2000
        self.bulk_polls_before_complete = 1
        self.log: list[LoggedRequest] = []
        self.logins: list[tuple[str, str]] = []  # (grant or "soap", host)
        self._sessions: set[str] = set()
        self._cursors: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self.ingest_jobs: dict[str, dict[str, Any]] = {}
        self.query_jobs: dict[str, dict[str, Any]] = {}
        self._counter = 0
        self._lock = threading.RLock()
        self.app = Starlette(
            routes=[
                Route("/services/oauth2/token", self._oauth_token, methods=["POST"]),
                Route("/services/Soap/u/{version}", self._soap_login, methods=["POST"]),
                Route(
                    "/services/data/{version}/{rest:path}",
                    self._data,
                    methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                ),
            ]
        )

    # --- request log helpers for tests -------------------------------------------------
    def count(self, method: str | None = None, path_contains: str = "") -> int:
        with self._lock:
            return sum(
                1
                for r in self.log
                if (method is None or r.method == method) and path_contains in r.path
            )

    def records_served(self, path_contains: str = "", query_contains: str = "") -> int:
        """Records handed out by query pages and Bulk query results (for tests);
        `query_contains` matches the decoded query string (the SOQL of a first page)."""
        with self._lock:
            return sum(
                r.records for r in self.log if path_contains in r.path and query_contains in r.query
            )

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._counter += 1
            return make_id(prefix, self._counter)

    # --- sessions ------------------------------------------------------------------------
    def _issue_session(self, grant: str, host: str) -> str:
        token = f"{ORG_ID}!{secrets.token_urlsafe(32)}"
        with self._lock:
            self._sessions.add(token)
            self.logins.append((grant, host))
        return token

    def expire_all_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    def issue_session_for_tests(self) -> str:
        """A valid session id, as an admin would copy from an existing login."""
        return self._issue_session("existing", "")

    # --- OAuth 2.0 token endpoint ------------------------------------------------------
    async def _oauth_token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        host = request.headers.get("host", "")
        creds = self.credentials
        grant = form.get("grant_type", "")
        ok = False
        if grant == "password":
            ok = (
                form.get("client_id") == creds.consumer_key
                and form.get("client_secret") == creds.consumer_secret
                and form.get("username") == creds.username
                and form.get("password") in (creds.password, creds.password + creds.security_token)
            )
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            ok = self._jwt_ok(form.get("assertion", ""))
        elif grant == "client_credentials":
            basic = request.headers.get("authorization", "").removeprefix("Basic ")
            try:
                key, _, secret = base64.b64decode(basic).decode().partition(":")
            except ValueError:
                key = secret = ""
            ok = key == creds.consumer_key and secret == creds.consumer_secret
        else:
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
                400,
            )
        if not ok:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "authentication failure"}, 400
            )
        token = self._issue_session(grant, host)
        issued = str(int(time.time() * 1000))
        return JSONResponse(
            {
                "access_token": token,
                "instance_url": f"https://{self.instance_host}",
                "id": f"https://login.salesforce.com/id/{ORG_ID}/{USER_ID}",
                "token_type": "Bearer",
                "issued_at": issued,
                "signature": base64.b64encode(hashlib.sha256(issued.encode()).digest()).decode(),
            }
        )

    def _jwt_ok(self, assertion: str) -> bool:
        creds = self.credentials
        if not creds.jwt_public_key_pem:
            return False
        try:
            claims = jwt.decode(
                assertion,
                creds.jwt_public_key_pem,
                algorithms=["RS256"],
                audience=[
                    "https://login.salesforce.com",
                    "https://test.salesforce.com",
                    f"https://{self.instance_host}",
                ],
            )
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == creds.consumer_key and claims.get("sub") == creds.username

    # --- SOAP login (what simple-salesforce uses for username + password + token) ------
    async def _soap_login(self, request: Request) -> Response:
        version = request.path_params["version"]
        body = await request.body()
        values: dict[str, str] = {}
        try:
            for element in ET.fromstring(body).iter():
                tag = element.tag.rsplit("}", 1)[-1]
                if tag in ("username", "password"):
                    values[tag] = element.text or ""
        except ET.ParseError:
            values = {}
        creds = self.credentials
        if (
            values.get("username") != creds.username
            or values.get("password") != creds.password + creds.security_token
        ):
            fault = _SOAP_FAULT.format(message=_INVALID_LOGIN)
            return Response(fault, 500, media_type="text/xml")
        token = self._issue_session("soap", request.headers.get("host", ""))
        server_url = f"https://{self.instance_host}/services/Soap/u/{version}/{ORG_ID[:15]}"
        xml = _SOAP_LOGIN_OK.format(
            server_url=server_url,
            session_id=token,
            user_id=USER_ID,
            org_id=ORG_ID,
            username=creds.username,
        )
        return Response(xml, 200, media_type="text/xml")

    # --- REST and Bulk API 2.0 ---------------------------------------------------------
    async def _data(self, request: Request) -> Response:
        response = await self._guarded(request)
        response.headers["Sforce-Limit-Info"] = f"api-usage={self.api_used}/{self.daily_api_limit}"
        with self._lock:
            self.log.append(
                LoggedRequest(
                    request.method,
                    request.url.path,
                    unquote_plus(request.url.query),
                    request.headers.get("host", ""),
                    response.status_code,
                    getattr(response, "records_served", 0),
                )
            )
        return response

    async def _guarded(self, request: Request) -> Response:
        faults = self.faults
        if faults.latency_seconds:
            await asyncio.sleep(faults.latency_seconds)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            valid = token in self._sessions
            if valid and faults.expire_session_once:
                faults.expire_session_once = False
                self._sessions.discard(token)
                valid = False
        if not valid:
            return _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        with self._lock:
            if faults.unavailable_next > 0:
                faults.unavailable_next -= 1
                return _error(503, "SERVER_UNAVAILABLE", "Server unavailable, try again later")
            stall = faults.stall_next > 0
            if stall:
                faults.stall_next -= 1
            refuse = (
                faults.refuse_after_calls is not None and self.api_used >= faults.refuse_after_calls
            )
            if refuse or faults.request_limit_exceeded or self.api_used >= self.daily_api_limit:
                return _error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.api_used += 1
        if stall:
            await asyncio.sleep(faults.stall_seconds)
        parts = [p for p in request.path_params["rest"].split("/") if p]
        version = request.path_params["version"].removeprefix("v")
        try:
            response = await self._route(request, parts, version)
        except QueryError as exc:
            return _error(400, exc.error_code, exc.message)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        with self._lock:
            lose = request.method == "PATCH" and faults.lose_next_write_answers > 0
            if lose:
                faults.lose_next_write_answers -= 1
        if lose:  # applied above; the answer comes too late
            await asyncio.sleep(faults.stall_seconds)
        return response

    async def _route(self, request: Request, parts: list[str], version: str) -> Response:
        method = request.method
        head = parts[0] if parts else ""
        if head in ("query", "queryAll") and method == "GET":
            if len(parts) == 2:
                return self._query_more(parts[1], version)
            soql = request.query_params.get("q", "")
            batch = request.headers.get("sforce-query-options", "")
            return self._query(soql, head == "queryAll", version, batch)
        if head == "limits" and method == "GET":
            return self._limits()
        if head == "sobjects" and len(parts) == 3 and parts[2] == "describe" and method == "GET":
            return JSONResponse(self.org.table(parts[1]).describe())
        if head == "sobjects" and len(parts) == 3 and method == "PATCH":
            return self._patch_record(parts[1], parts[2], await request.json())
        if parts[:2] == ["composite", "sobjects"] and method == "PATCH":
            return self._collection_update(await request.json())
        if head == "jobs" and len(parts) >= 2 and parts[1] == "ingest":
            return await self._ingest(request, parts[2:], version)
        if head == "jobs" and len(parts) >= 2 and parts[1] == "query":
            return await self._bulk_query(request, parts[2:], version)
        return _error(404, "NOT_FOUND", "The requested resource does not exist")

    # --- query -------------------------------------------------------------------------
    def _query(self, soql: str, include_deleted: bool, version: str, options: str) -> Response:
        sobject, rows = self.org.run_query(soql, include_deleted)
        if parse_soql(soql).fields == ["COUNT()"]:
            return JSONResponse({"totalSize": len(rows), "done": True, "records": []})
        size = self.page_size
        if "batchSize=" in options:
            try:
                asked = int(options.split("batchSize=", 1)[1].split(";")[0])
                size = min(size, max(200, min(2000, asked)))
            except ValueError:
                pass
        for row in rows:
            row["attributes"] = {
                "type": sobject,
                "url": f"/services/data/v{version}/sobjects/{sobject}/{row.get('Id', '')}",
            }
        cursor = self._next_id("01g")
        with self._lock:
            self._cursors[cursor] = (str(size), rows)
        return self._page(cursor, 0, version)

    def _query_more(self, locator: str, version: str) -> Response:
        cursor, _, offset = locator.rpartition("-")
        if cursor not in self._cursors or not offset.isdigit():
            return _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(cursor, int(offset), version)

    def _page(self, cursor: str, offset: int, version: str) -> Response:
        size_text, rows = self._cursors[cursor]
        size = int(size_text)
        chunk = [
            {"attributes": r["attributes"], **{k: v for k, v in r.items() if k != "attributes"}}
            for r in rows[offset : offset + size]
        ]
        body: dict[str, Any] = {"totalSize": len(rows), "done": offset + size >= len(rows)}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor}-{offset + size}"
        body["records"] = chunk
        response = JSONResponse(body)
        response.records_served = len(chunk)  # type: ignore[attr-defined]
        return response

    def _limits(self) -> Response:
        def pair(maximum: int, used: int) -> dict[str, int]:
            return {"Max": maximum, "Remaining": max(0, maximum - used)}

        return JSONResponse(
            {
                "DailyApiRequests": pair(self.daily_api_limit, self.api_used),
                "DailyBulkV2QueryJobs": pair(10000, len(self.query_jobs)),
                "DailyBulkApiBatches": pair(15000, len(self.ingest_jobs)),
            }
        )

    # --- single record and sObject Collections -----------------------------------------
    def _apply(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        forced = self.faults.record_errors.get(record_id)
        if forced:
            raise RecordError(forced[0], forced[1])
        self.org.update(sobject, record_id, values)

    def _patch_record(self, sobject: str, record_id: str, body: dict[str, Any]) -> Response:
        try:
            self._apply(sobject, record_id, body)
        except RecordError as exc:
            status = 404 if exc.status_code == "INVALID_CROSS_REFERENCE_KEY" else 400
            return JSONResponse(
                [{"message": exc.message, "errorCode": exc.status_code, "fields": exc.fields}],
                status,
            )
        return Response(status_code=204)

    def _collection_update(self, body: dict[str, Any]) -> Response:
        records = body.get("records") or []
        if len(records) > 200:
            return _error(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            )
        if body.get("allOrNone"):
            return _error(400, "NOT_SUPPORTED", "allOrNone true is not supported by the local org")
        results = []
        for record in records:
            record = dict(record)
            attributes = record.pop("attributes", {}) or {}
            record_id = record.pop("id", None) or record.pop("Id", None)
            try:
                if not attributes.get("type"):
                    raise RecordError("INVALID_TYPE", "Must send a concrete entity type.")
                if not record_id:
                    raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call")
                self._apply(attributes["type"], record_id, record)
                results.append({"id": record_id, "success": True, "errors": []})
            except RecordError as exc:
                results.append({"id": record_id, "success": False, "errors": [exc.as_json()]})
        return JSONResponse(results)

    # --- Bulk API 2.0 ingest -----------------------------------------------------------
    def _new_job(
        self, job_id: str, operation: str, sobject: str, state: str, version: str
    ) -> dict[str, Any]:
        """Fields every Bulk API 2.0 job info carries; `_`-keys stay server-side."""
        return {
            "id": job_id,
            "operation": operation,
            "object": sobject,
            "createdById": USER_ID,
            "createdDate": self.org._stamp(),
            "systemModstamp": self.org._stamp(),
            "state": state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
            "_polls": 0,
        }

    def _job_info(self, job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    async def _ingest(self, request: Request, parts: list[str], version: str) -> Response:
        method = request.method
        if not parts and method == "POST":
            spec = await request.json()
            self.org.table(spec.get("object", ""))
            if spec.get("operation") not in ("update",):
                return _error(400, "FEATURE_NOT_ENABLED", "only update jobs are served locally")
            job_id = self._next_id("750")
            job = self._new_job(job_id, spec["operation"], spec["object"], "Open", version)
            job.update(
                contentUrl=f"services/data/v{version}/jobs/ingest/{job_id}/batches",
                lineEnding=spec.get("lineEnding", "LF"),
                columnDelimiter=spec.get("columnDelimiter", "COMMA"),
                numberRecordsProcessed=0,
                numberRecordsFailed=0,
                retries=0,
                totalProcessingTime=0,
                _csv="",
            )
            with self._lock:
                self.ingest_jobs[job_id] = job
            return JSONResponse(self._job_info(job))
        job = self.ingest_jobs.get(parts[0]) if parts else None
        if job is None:
            return _error(404, "NOT_FOUND", "Job not found")
        tail = parts[1].lower() if len(parts) > 1 else ""
        if tail == "batches" and method == "PUT":
            if job["state"] != "Open":
                return _error(400, "INVALIDJOBSTATE", "Job is not open for data upload")
            job["_csv"] = (await request.body()).decode("utf-8")
            return Response(status_code=201)
        if not tail and method == "PATCH":
            state = (await request.json()).get("state")
            if state == "UploadComplete":
                self._process_ingest(job)
            elif state == "Aborted":
                job["state"] = "Aborted"
            return JSONResponse(self._job_info(job))
        if not tail and method == "GET":
            with self._lock:
                forbidden = self.faults.forbid_next_ingest_polls > 0
                if forbidden:
                    self.faults.forbid_next_ingest_polls -= 1
            if forbidden:
                code = self.faults.forbidden_poll_code
                return _error(403, code, f"{code}: the poll was refused")
            if job["state"] in ("UploadComplete", "InProgress"):
                job["_polls"] += 1
                job["state"] = (
                    "InProgress"
                    if job["_polls"] < self.bulk_polls_before_complete
                    else job["_final"]
                )
            return JSONResponse(self._job_info(job))
        if tail in ("successfulresults", "failedresults", "unprocessedrecords") and method == "GET":
            return Response(job.get(f"_{tail}", ""), media_type="text/csv")
        return _error(404, "NOT_FOUND", "The requested resource does not exist")

    def _process_ingest(self, job: dict[str, Any]) -> None:
        reader = csv.reader(io.StringIO(job["_csv"]))
        rows = list(reader)
        header, data = (rows[0], rows[1:]) if rows else ([], [])
        table = self.org.table(job["object"])
        job["state"] = "UploadComplete"
        job["_polls"] = 0
        unknown = [h for h in header if table.field_named(h) is None]
        forced = self.faults.fail_next_ingest_job
        if forced or unknown or "Id" not in header:
            self.faults.fail_next_ingest_job = None
            message = forced or (
                f"InvalidBatch : Field name not found : {unknown[0]}"
                if unknown
                else "InvalidBatch : Id is required for update"
            )
            job.update(_final="Failed", errorMessage=message)
            job["_unprocessedrecords"] = _csv_text(header, data)
            job["_successfulresults"] = _csv_text(["sf__Id", "sf__Created", *header], [])
            job["_failedresults"] = _csv_text(["sf__Id", "sf__Error", *header], [])
            return
        started = time.perf_counter()
        ok, failed = [], []
        id_at = header.index("Id")
        for row in data:
            record_id = row[id_at]
            try:
                values = {}
                for name, cell in zip(header, row, strict=False):
                    if name == "Id" or cell == "":
                        continue
                    fdef = table.field_named(name)
                    values[fdef.name] = coerce_csv_value(fdef, cell)
                self._apply(job["object"], record_id, values)
                ok.append([record_id, "false", *row])
            except RecordError as exc:
                fields = ",".join(exc.fields)
                failed.append([record_id, f"{exc.status_code}:{exc.message}:{fields} --", *row])
        job.update(
            _final="JobComplete",
            numberRecordsProcessed=len(data),
            numberRecordsFailed=len(failed),
            totalProcessingTime=int((time.perf_counter() - started) * 1000),
        )
        job["_successfulresults"] = _csv_text(["sf__Id", "sf__Created", *header], ok)
        job["_failedresults"] = _csv_text(["sf__Id", "sf__Error", *header], failed)
        job["_unprocessedrecords"] = _csv_text(header, [])

    # --- Bulk API 2.0 query ------------------------------------------------------------
    async def _bulk_query(self, request: Request, parts: list[str], version: str) -> Response:
        method = request.method
        if not parts and method == "POST":
            spec = await request.json()
            operation = spec.get("operation")
            if operation not in ("query", "queryAll"):
                return _error(400, "INVALIDJOB", f"unknown operation {operation}")
            sobject, rows = self.org.run_query(spec.get("query", ""), operation == "queryAll")
            job_id = self._next_id("750")
            header = list(rows[0].keys()) if rows else _select_list(spec.get("query", ""))
            job = self._new_job(job_id, operation, sobject, "UploadComplete", version)
            job.update(_header=header, _rows=[[csv_cell(r[h]) for h in header] for r in rows])
            with self._lock:
                self.query_jobs[job_id] = job
            return JSONResponse(self._job_info(job))
        job = self.query_jobs.get(parts[0]) if parts else None
        if job is None:
            return _error(404, "NOT_FOUND", "Job not found")
        tail = parts[1] if len(parts) > 1 else ""
        if not tail and method == "GET":
            if job["state"] in ("UploadComplete", "InProgress"):
                job["_polls"] += 1
                done = job["_polls"] >= self.bulk_polls_before_complete
                job["state"] = "JobComplete" if done else "InProgress"
                if done:
                    job["numberRecordsProcessed"] = len(job["_rows"])
            return JSONResponse(self._job_info(job))
        if not tail and method == "PATCH":
            job["state"] = (await request.json()).get("state", job["state"])
            return JSONResponse(self._job_info(job))
        if tail == "results" and method == "GET":
            if job["state"] != "JobComplete":
                return _error(400, "INVALIDJOBSTATE", "Job is not complete")
            offset = int(request.query_params.get("locator") or 0)
            size = int(request.query_params.get("maxRecords") or 50000)
            chunk = job["_rows"][offset : offset + size]
            nxt = offset + size if offset + size < len(job["_rows"]) else None
            response = Response(
                _csv_text(job["_header"], chunk),
                media_type="text/csv",
                headers={
                    "Sforce-Locator": str(nxt) if nxt is not None else "null",
                    "Sforce-NumberOfRecords": str(len(chunk)),
                },
            )
            response.records_served = len(chunk)  # type: ignore[attr-defined]
            return response
        return _error(404, "NOT_FOUND", "The requested resource does not exist")


def _select_list(soql: str) -> list[str]:
    return parse_soql(soql).fields


_INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
_SOAP_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:sf="urn:fault.partner.soap.sforce.com"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body><soapenv:Fault>
  <faultcode>sf:INVALID_LOGIN</faultcode>
  <faultstring>INVALID_LOGIN: {message}</faultstring>
  <detail><sf:LoginFault xsi:type="sf:LoginFault">
   <sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>
   <sf:exceptionMessage>{message}</sf:exceptionMessage>
  </sf:LoginFault></detail>
 </soapenv:Fault></soapenv:Body>
</soapenv:Envelope>"""

_SOAP_LOGIN_OK = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body><loginResponse><result>
  <metadataServerUrl>{server_url}</metadataServerUrl>
  <passwordExpired>false</passwordExpired>
  <sandbox>false</sandbox>
  <serverUrl>{server_url}</serverUrl>
  <sessionId>{session_id}</sessionId>
  <userId>{user_id}</userId>
  <userInfo>
   <organizationId>{org_id}</organizationId>
   <organizationName>Local Org</organizationName>
   <userId>{user_id}</userId>
   <userName>{username}</userName>
  </userInfo>
 </result></loginResponse></soapenv:Body>
</soapenv:Envelope>"""


class LocalSalesforce:
    """Start/stop the local Salesforce on 127.0.0.1 (TLS + CONNECT proxy); a context manager.

    Point a client at it with `proxy_url` and `ca_bundle` (both ordinary production
    settings); any `*.salesforce.com` host then reaches this server.
    """

    def __init__(self, org: Org | None = None, credentials: Credentials | None = None) -> None:
        self.api = SalesforceApi(org, credentials)
        self._tls: ThrowawayTls | None = None
        self._server: ServerThread | None = None
        self._proxy: ConnectProxy | None = None

    @property
    def org(self) -> Org:
        return self.api.org

    @property
    def faults(self) -> Faults:
        return self.api.faults

    @property
    def credentials(self) -> Credentials:
        return self.api.credentials

    @property
    def ca_file(self) -> str:
        assert self._tls is not None, "server not started"
        return self._tls.ca_file

    @property
    def proxy_url(self) -> str:
        assert self._proxy is not None, "server not started"
        return f"http://127.0.0.1:{self._proxy.port}"

    @property
    def direct_url(self) -> str:
        """The server without the proxy, e.g. as an `instance_url` for a session-id login."""
        assert self._server is not None, "server not started"
        return f"https://127.0.0.1:{self._server.port}"

    def password_login(self) -> dict[str, str]:
        """Settings for a username + password + token login through the proxy."""
        creds = self.credentials
        return {
            "username": creds.username,
            "password": creds.password,
            "security_token": creds.security_token,
            "proxy_url": self.proxy_url,
            "ca_bundle": self.ca_file,
        }

    @property
    def tunnelled_hosts(self) -> list[str]:
        return list(self._proxy.tunnelled_hosts) if self._proxy else []

    def start(self) -> LocalSalesforce:
        self._tls = ThrowawayTls()
        self._server = ServerThread(self.api.app, self._tls)
        self._server.start()
        self._proxy = ConnectProxy(self._server.port)
        self._proxy.start()
        return self

    def stop(self) -> None:
        if self._proxy:
            self._proxy.stop()
        if self._server:
            self._server.stop()
        if self._tls:
            self._tls.cleanup()
        self._proxy = self._server = self._tls = None

    def __enter__(self) -> LocalSalesforce:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
