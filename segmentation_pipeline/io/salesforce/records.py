"""Read validated fields of an sObject as a frame, through REST or Bulk API 2.0 by size."""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from segmentation_pipeline.core.crm_sync import CrmField
from segmentation_pipeline.io.salesforce.client import SalesforceClient
from segmentation_pipeline.io.salesforce.errors import SalesforceFieldError
from segmentation_pipeline.io.salesforce.soql import Condition, count, select


def check_field_names(
    sobject: str, wanted: Iterable[str], described: Mapping[str, CrmField]
) -> list[str]:
    """Canonical names of `wanted`; a missing or misspelt name fails, naming it."""
    by_lower = {name.lower(): name for name in described}
    found, problems = [], []
    for name in wanted:
        canonical = by_lower.get(name.lower())
        if canonical is None:
            close = difflib.get_close_matches(name, list(described), n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{name!r}{hint}")
        else:
            found.append(canonical)
    if problems:
        raise SalesforceFieldError(
            f"{sobject} has no field " + ", ".join(problems) + "; fix the configured field list"
        )
    return found


def _cell(text: str, spec: CrmField) -> Any:
    if text == "":
        return None
    if spec.type in ("double", "currency", "percent"):
        return float(text)
    if spec.type == "int":
        return int(float(text))
    if spec.type == "boolean":
        return text.lower() == "true"
    return text


def _normalize(value: Any, spec: CrmField) -> Any:
    """Same value whether it came from REST JSON or a Bulk CSV cell."""
    if isinstance(value, str) and spec.type not in ("string", "textarea", "picklist"):
        value = _cell(value, spec)
    if spec.type == "datetime" and isinstance(value, str):
        return pd.Timestamp(value).tz_convert(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return value


class RecordReader:
    """Counts first (`SELECT COUNT()`), then pages through REST or runs a Bulk query job.

    Values come out the same either way: numbers, booleans, None for null, datetimes
    as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    """

    def __init__(self, client: SalesforceClient, bulk_threshold: int) -> None:
        self.client = client
        self.bulk_threshold = bulk_threshold
        self.used_bulk = False
        # The org's clock just before the last read's query ran (None: not reported).
        self.started_at: datetime | None = None

    def read(
        self,
        sobject: str,
        fields: list[str],
        where: list[Condition] | None = None,
        include_deleted: bool = False,
    ) -> pd.DataFrame:
        """Validated fields of matching records, REST or Bulk API 2.0 by result size."""
        where = where or []
        described = self.client.describe(sobject)
        names = check_field_names(sobject, fields, described)
        for name, _, _ in where:
            check_field_names(sobject, [name], described)
        soql = select(sobject, names, where)
        frames: list[pd.DataFrame] = []
        size = self.client.count(count(sobject, where), include_deleted)
        self.started_at = self.client.usage.server_time
        if size >= self.bulk_threshold:
            self.used_bulk = True
            for page in self.client.bulk_query_pages(soql, include_deleted):
                if page.strip():
                    csv_page = pd.read_csv(io.StringIO(page), dtype=str, keep_default_na=False)
                    # An empty cell is how a Bulk query result says null.
                    frames.append(csv_page.astype(object).replace("", None))
        else:
            for page in self.client.query_pages(soql, include_deleted):
                frames.append(pd.DataFrame(page, columns=names, dtype=object))
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)
        frame = frame.astype(object)
        for name in names:
            spec = described[name]
            # Objects throughout: an inferred dtype turns an int field into "736.0" when
            # the answer holds a null and "736" when it does not (an account read alone).
            values = [_normalize(v, spec) for v in frame[name]]
            frame[name] = pd.Series(values, index=frame.index, dtype=object)
        return frame
