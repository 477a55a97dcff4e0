"""Salesforce through simple-salesforce: extraction, write-back, quota and fault handling."""

from segmentation_pipeline.io.salesforce.client import (
    BulkIngestResult,
    RecordResult,
    SalesforceClient,
)
from segmentation_pipeline.io.salesforce.errors import (
    ApiQuotaReached,
    BulkJobFailed,
    QuotaStopShareReached,
    RequestLimitExceeded,
    SalesforceApiError,
    SalesforceAuthError,
    SalesforceError,
    SalesforceFieldError,
    SalesforceUnavailable,
)
from segmentation_pipeline.io.salesforce.extract import (
    ExtractSettings,
    SalesforceAccountSource,
    SalesforceExtract,
)
from segmentation_pipeline.io.salesforce.settings import SalesforceSettings

__all__ = [
    "ApiQuotaReached",
    "BulkIngestResult",
    "BulkJobFailed",
    "ExtractSettings",
    "QuotaStopShareReached",
    "RecordResult",
    "RequestLimitExceeded",
    "SalesforceAccountSource",
    "SalesforceApiError",
    "SalesforceAuthError",
    "SalesforceClient",
    "SalesforceError",
    "SalesforceExtract",
    "SalesforceFieldError",
    "SalesforceSettings",
    "SalesforceUnavailable",
]
