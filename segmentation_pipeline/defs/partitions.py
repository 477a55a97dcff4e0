"""Monthly snapshots: the current month stays open and is re-run nightly."""

import os
from datetime import datetime, timedelta

import dagster as dg
import pandas as pd

from segmentation_pipeline.framework import load_framework

FIRST_MONTH = os.environ.get("SEGMENTATION_FIRST_MONTH", "2025-01-01")
FRAMEWORK_TIMEZONE = load_framework(os.environ.get("SEGMENTATION_FRAMEWORK") or None).timezone

monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=FIRST_MONTH, end_offset=1, timezone=FRAMEWORK_TIMEZONE
)


def current_month_key(now: datetime | None = None) -> str:
    stamp = pd.Timestamp(now or datetime.now(), tz=None)
    return stamp.strftime("%Y-%m-01")


def as_of_for_partition(partition_key: str, now: datetime | None = None) -> datetime:
    """The moment a month's snapshot describes: now for the open month, else its last second."""
    now = now or datetime.now()
    start = datetime.strptime(partition_key, "%Y-%m-%d")
    end = (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).to_pydatetime() - timedelta(seconds=1)
    return min(now, end)
