"""Monthly snapshots: the current month stays open and is re-run nightly."""

import logging
import os
from datetime import date, datetime

import dagster as dg
import sqlalchemy as sa

from segmentation_pipeline.core.clock import local_now, month_as_of, month_key
from segmentation_pipeline.framework import load_framework
from segmentation_pipeline.framework.loader import deployed_framework_path
from segmentation_pipeline.io.snapshot_months import earliest_month

# The framework the code location is configured with, read once when definitions load:
# its timezone sets partitions and schedules, its version is the scoring assets' code
# version (a change marks them stale in the UI). `FrameworkResource` applies only a
# framework of this version, so the two cannot disagree.
FRAMEWORK_PATH = deployed_framework_path()
CONFIGURED_FRAMEWORK = load_framework(FRAMEWORK_PATH)
FRAMEWORK_TIMEZONE = CONFIGURED_FRAMEWORK.timezone
FRAMEWORK_VERSION = CONFIGURED_FRAMEWORK.version
# Every run of a job that scores carries the version as a tag (the runs and partitions
# views show which months carry which version; materializations carry it as metadata).
FRAMEWORK_VERSION_TAGS = {"segmentation/framework_version": FRAMEWORK_VERSION}


# Before the warehouse holds any month, partitions reach back to here, so a first run (the
# CLI, a benchmark, a backfill) can build a past month; the next load starts at that month.
BEFORE_ANY_DATA = "2025-01-01"


def first_month(configured: str | None, stored: str | None, open_month: str) -> str:
    """Where the monthly partitions start: the configured month (SEGMENTATION_FIRST_MONTH)
    when set, else the first month the warehouse holds, so a deployment's catalog shows
    the months it has rather than a year of "missing" ones; with no data yet, the earlier
    of BEFORE_ANY_DATA and the open month."""
    if configured:
        return f"{configured[:7]}-01"
    if stored:
        return min(stored, open_month)
    return min(BEFORE_ANY_DATA, open_month)


def _stored_first_month() -> str | None:
    from segmentation_pipeline.defs.resources import warehouse_url

    try:
        return earliest_month(warehouse_url())
    except sa.exc.SQLAlchemyError as exc:
        logging.getLogger(__name__).warning(
            "partitions start at the open month: the warehouse cannot be read (%s)", exc
        )
        return None


FIRST_MONTH = first_month(
    os.environ.get("SEGMENTATION_FIRST_MONTH"),
    _stored_first_month(),
    month_key(FRAMEWORK_TIMEZONE),
)

monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=FIRST_MONTH, end_offset=1, timezone=FRAMEWORK_TIMEZONE
)


def current_month_key(now: datetime | None = None) -> str:
    """The open month on the framework's wall clock (not the machine's)."""
    return month_key(FRAMEWORK_TIMEZONE, now)


def as_of_for_partition(partition_key: str, now: datetime | None = None) -> datetime:
    """The moment a month's snapshot describes (naive UTC): now for the open month, else
    its last second in the framework's time zone."""
    return month_as_of(partition_key, FRAMEWORK_TIMEZONE, now)


def run_as_of(context: dg.AssetExecutionContext) -> datetime:
    """The as-of of this run's partition, taken once: "now" is when the run was created,
    so every asset of one run (and a retried step) describes the same moment."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    return as_of_for_partition(context.partition_key, record.create_timestamp if record else None)


def run_as_of_day(context: dg.AssetExecutionContext) -> date:
    """The run's as-of as a calendar day on the framework's wall clock (today for the open
    month, the last day of a finished month): what a date field such as a contract end date
    is compared with. The naive-UTC as-of's own date would be the next day for a finished
    month in a time zone west of UTC."""
    return local_now(FRAMEWORK_TIMEZONE, run_as_of(context)).date()
