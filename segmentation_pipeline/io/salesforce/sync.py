"""Write changed segment fields back to Salesforce and account for every row.

Reads what the org holds now, lets `core.crm_sync.plan_sync` decide what changed, then
sends only that: sObject Collections (200 per call, allOrNone false) below the Bulk
threshold, one Bulk API 2.0 ingest job from it up. Every account the run acted on gets a
log row with its outcome; a quota stop or a 403 REQUEST_LIMIT_EXCEEDED ends the run
cleanly and marks the rest `not_sent`, so the next run (which diffs against the org
again) picks them up. Rows of a Bulk job whose outcome could not be read after it was
submitted, or of a Collections call that got no answer, are `unknown`, never
`not_sent`: the next run's diff settles them. Nothing is written twice: a row that
reached the org no longer differs next time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from segmentation_pipeline.core.clock import utc_now
from segmentation_pipeline.core.crm_sync import (
    DEFAULT_FIELD_MAP,
    DEFAULT_UPDATED_AT_FIELD,
    SyncPlan,
    changes_text,
    choose_write_path,
    chunked,
    plan_sync,
)
from segmentation_pipeline.io.salesforce.client import RecordResult, SalesforceClient
from segmentation_pipeline.io.salesforce.errors import (
    ApiQuotaReached,
    BulkOutcomeUnknown,
    SalesforceError,
    SalesforceFieldError,
    SalesforceNoAnswer,
)
from segmentation_pipeline.io.salesforce.records import RecordReader

LOG_COLUMNS = (
    "account_id",
    "outcome",
    "write_path",
    "changes",
    "error_code",
    "error_message",
    "bulk_job_id",
)
# Outcomes the next run's diff has to settle (`unknown`: sent, but whether Salesforce
# applied it could not be read).
FAILED_OUTCOMES = ("failed", "not_sent", "rejected", "unknown")
_SKIP_OUTCOME = {
    "override": "skipped_override",
    "not_in_crm": "skipped_missing",
    "changed_since_extract": "skipped_changed",
}


class SyncSettings(BaseModel):
    """Which fields to write and which API to use for how many records."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sobject: str = "Account"
    field_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FIELD_MAP))
    updated_at_field: str | None = DEFAULT_UPDATED_AT_FIELD
    bulk_threshold: int = Field(2000, ge=1)
    collection_size: int = Field(200, ge=1, le=200)
    bulk_query_threshold: int = Field(10000, ge=1)
    # CRM fields written only where the org holds nothing / never cleared by a blank.
    fill_blank: frozenset[str] = frozenset()
    keep_when_blank: frozenset[str] = frozenset()
    # A CRM checkbox under which a record is never written (its own manual override).
    override_field: str | None = None


@dataclass
class SyncReport:
    """What one sync run did; `log` has one row per account it acted on."""

    dry_run: bool
    write_path: str
    changed: int
    sent: int
    succeeded: int
    failed: int
    not_sent: int
    skipped_override: int
    skipped_changed: int  # edited in the CRM since tonight's extract: for the next night
    unchanged: int
    api_calls: int
    api_usage: tuple[int, int] | None
    stopped: str | None = None
    stopped_by_quota: bool = False
    bulk_job_id: str | None = None
    bulk_error: str | None = None
    field_changes: dict[str, int] = field(default_factory=dict)
    unknown: int = 0
    # False when the run stopped before it read the org's values: nothing was compared.
    compared: bool = True
    log: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LOG_COLUMNS))


class SegmentSync:
    def __init__(self, client: SalesforceClient, settings: SyncSettings | None = None) -> None:
        self.client = client
        self.settings = settings or SyncSettings()

    def read_current(self) -> pd.DataFrame:
        """The org's current segment field values, indexed by Id."""
        overrides = [self.settings.override_field] if self.settings.override_field else []
        fields = ["Id", *dict.fromkeys([*self.settings.field_map.values(), *overrides])]
        reader = RecordReader(self.client, self.settings.bulk_query_threshold)
        return reader.read(self.settings.sobject, fields).set_index("Id")

    def plan(
        self, assignments: pd.DataFrame, now: datetime, extracted: pd.DataFrame | None = None
    ) -> SyncPlan:
        described = self.client.describe(self.settings.sobject)
        try:
            return plan_sync(
                assignments,
                self.read_current(),
                described,
                self.settings.field_map,
                self.settings.updated_at_field,
                now,
                self.settings.fill_blank,
                self.settings.keep_when_blank,
                self.settings.override_field,
                extracted,
            )
        except ValueError as exc:
            raise SalesforceFieldError(f"{self.settings.sobject}: {exc}") from None

    def run(
        self,
        assignments: pd.DataFrame,
        dry_run: bool = False,
        now: datetime | None = None,
        extracted: pd.DataFrame | None = None,
    ) -> SyncReport:
        """Write what differs; `extracted` (the CRM's fields as tonight's extract read
        them, by Id) leaves alone a record edited in the CRM since (`plan_sync`)."""
        calls_before = self.client.usage.calls
        self._stop: tuple[str, bool] | None = None
        compared = True
        try:
            plan = self.plan(assignments, now or utc_now(), extracted)
        except ApiQuotaReached as exc:
            compared = False
            # Nothing read, nothing planned: end cleanly, the next run starts over.
            self._stopped_by(exc)
            plan = SyncPlan(
                pd.DataFrame(columns=["account_id", "changes"]),
                [],
                pd.DataFrame(columns=["account_id", "reason", "detail"]),
            )
        path = choose_write_path(len(plan.records), self.settings.bulk_threshold)
        outcomes: dict[str, RecordResult] = {}
        self._unknown: set[str] = set()
        bulk_job_id = bulk_error = None
        if dry_run:
            path = f"dry_run:{path}"
        elif path == "collections":
            self._send_collections(plan.records, outcomes)
        elif path == "bulk":
            bulk_job_id, bulk_error = self._send_bulk(plan.records, outcomes)
        stopped, by_quota = self._stop or (None, False)

        log = _log_frame(plan, outcomes, path, dry_run, bulk_job_id, stopped, self._unknown)
        counts = log["outcome"].value_counts()
        usage = self.client.usage
        return SyncReport(
            dry_run=dry_run,
            write_path=path,
            changed=len(plan.records),
            sent=len(outcomes),
            succeeded=int(counts.get("success", 0)),
            failed=int(counts.get("failed", 0) + counts.get("rejected", 0)),
            not_sent=int(counts.get("not_sent", 0)),
            skipped_override=int(counts.get("skipped_override", 0)),
            skipped_changed=int(counts.get("skipped_changed", 0)),
            unchanged=plan.unchanged,
            api_calls=usage.calls - calls_before,
            api_usage=(usage.used, usage.total) if usage.total else None,
            stopped=stopped,
            stopped_by_quota=by_quota,
            bulk_job_id=bulk_job_id,
            bulk_error=bulk_error,
            field_changes=plan.field_changes,
            unknown=int(counts.get("unknown", 0)),
            compared=compared,
            log=log,
        )

    def _stopped_by(self, exc: SalesforceError) -> None:
        """Remember why writing stopped; a quota stop is a clean end, anything else is not."""
        quota = isinstance(exc, ApiQuotaReached)
        self._stop = (str(exc) if quota else f"write stopped: {exc}", quota)

    def _send_collections(
        self, records: list[dict[str, Any]], outcomes: dict[str, RecordResult]
    ) -> None:
        for batch in chunked(records, self.settings.collection_size):
            try:
                results = self.client.update_collection(self.settings.sobject, batch)
            except SalesforceError as exc:
                self._stopped_by(exc)
                if isinstance(exc, SalesforceNoAnswer):
                    # Sent, and the org may have applied it: `unknown`, never `not_sent`.
                    self._unknown.update(record["Id"] for record in batch)
                return
            for result in results:
                outcomes[result.record_id] = result

    def _send_bulk(
        self, records: list[dict[str, Any]], outcomes: dict[str, RecordResult]
    ) -> tuple[str | None, str | None]:
        try:
            job = self.client.bulk_update(self.settings.sobject, records)
        except BulkOutcomeUnknown as exc:
            # Salesforce may have applied any row: log them `unknown`, never `not_sent`;
            # the next run diffs against the org and sends only what did not land.
            self._stop = (f"write stopped: {exc}", False)
            self._unknown = {r["Id"] for r in records}
            return exc.job_id, str(exc)
        except SalesforceError as exc:
            self._stopped_by(exc)
            return None, None
        for result in job.results:
            outcomes[result.record_id] = result
        error = job.error_message if job.state != "JobComplete" else None
        for record_id in job.unprocessed:
            outcomes[record_id] = RecordResult(
                record_id, False, "UNPROCESSED", error or "not processed by the Bulk job"
            )
        return job.job_id, error


def _log_frame(
    plan: SyncPlan,
    outcomes: dict[str, RecordResult],
    path: str,
    dry_run: bool,
    bulk_job_id: str | None,
    stopped: str | None,
    unknown: set[str],
) -> pd.DataFrame:
    rows = []
    for account_id, changes in zip(
        plan.changes["account_id"], plan.changes["changes"], strict=True
    ):
        result = outcomes.get(account_id)
        if dry_run:
            outcome, code, message = "planned", None, None
        elif account_id in unknown:
            outcome, code, message = "unknown", "OUTCOME_UNKNOWN", stopped
        elif result is None:
            outcome, code = "not_sent", "NOT_SENT"
            message = stopped or "no result returned for this record"
        else:
            outcome = "success" if result.success else "failed"
            code, message = result.error_code, result.error_message
        rows.append(
            {
                "account_id": account_id,
                "outcome": outcome,
                "write_path": path,
                "changes": changes_text(changes),
                "error_code": code,
                "error_message": message,
                "bulk_job_id": bulk_job_id if result is not None or unknown else None,
            }
        )
    for skip in plan.skipped.to_dict("records"):
        reason = skip["reason"]
        rows.append(
            {
                "account_id": skip["account_id"],
                "outcome": _SKIP_OUTCOME.get(reason, "rejected"),
                "write_path": path,
                "changes": None,
                "error_code": None if reason in _SKIP_OUTCOME else "INVALID_VALUE",
                "error_message": skip["detail"],
                "bulk_job_id": None,
            }
        )
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS))
