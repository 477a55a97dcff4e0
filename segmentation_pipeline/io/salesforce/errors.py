"""Errors of the Salesforce client; their messages never carry credentials."""

from __future__ import annotations


class SalesforceError(RuntimeError):
    """Base of every error the Salesforce client raises."""


class SalesforceAuthError(SalesforceError):
    """Login failed, or a session expired and could not be renewed."""


class SalesforceFieldError(SalesforceError, ValueError):
    """A configured field or object the org does not have; the message names it."""


class SalesforceApiError(SalesforceError):
    """An HTTP error the client does not retry (4xx other than 401 / limit exceeded)."""

    def __init__(self, message: str, status: int | None = None, error_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SalesforceUnavailable(SalesforceError):
    """5xx answers or timeouts that outlasted the retries."""


class SalesforceNoAnswer(SalesforceUnavailable):
    """A call was sent and no attempt got an answer (timeouts, dropped connections, 5xx):
    the org may have applied it. A write that ends so is never reported as not sent."""


class ApiQuotaReached(SalesforceError):
    """The org's daily API allocation is (nearly) used up: stop cleanly, resume next run."""


class QuotaStopShareReached(ApiQuotaReached):
    """Usage reached the configured stop share of the daily allocation."""


class RequestLimitExceeded(ApiQuotaReached):
    """Salesforce refused a call with 403 REQUEST_LIMIT_EXCEEDED."""


class BulkJobFailed(SalesforceError):
    """A Bulk API 2.0 job ended Failed or Aborted."""

    def __init__(self, job_id: str, message: str):
        super().__init__(f"Bulk API 2.0 job {job_id} failed: {message}")
        self.job_id = job_id
        self.error_message = message


class BulkOutcomeUnknown(SalesforceError):
    """A Bulk API 2.0 job was submitted but its outcome could not be read: Salesforce may
    have applied any of its rows. Never report them as not sent."""

    def __init__(self, job_id: str, message: str):
        super().__init__(f"Bulk API 2.0 job {job_id}: outcome unknown ({message})")
        self.job_id = job_id
