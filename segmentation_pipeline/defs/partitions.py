"""Monthly snapshots: the current month stays open and is re-run nightly."""

import os
from datetime import datetime, timedelta

import dagster as dg
import pandas as pd

from segmentation_pipeline.framework import load_framework

FIRST_MONTH = os.environ.get("SEGMENTATION_FIRST_MONTH", "2025-01-01")
# The framework the code location is configured with, read once when definitions load:
# its timezone sets partitions and schedules, its version is the scoring assets' code
# version (a change marks them stale in the UI).
CONFIGURED_FRAMEWORK = load_framework(os.environ.get("SEGMENTATION_FRAMEWORK") or None)
FRAMEWORK_TIMEZONE = CONFIGURED_FRAMEWORK.timezone
FRAMEWORK_VERSION = CONFIGURED_FRAMEWORK.version

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
