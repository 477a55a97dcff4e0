"""When governance runs: nightly re-evaluation, the monthly audit, the quarterly review.

Every cron string comes from the framework's `monitoring.schedules` and is read in the
framework's timezone.
"""

from datetime import datetime

import dagster as dg
import pandas as pd

from segmentation_pipeline.defs.assets.review import segment_review
from segmentation_pipeline.defs.jobs import segmentation_job
from segmentation_pipeline.defs.partitions import CONFIGURED_FRAMEWORK, FRAMEWORK_TIMEZONE

CRONS = CONFIGURED_FRAMEWORK.monitoring.schedules

# The write-backs report their own records_written check as they write: it has nothing
# to re-evaluate without writing again, so the audit leaves it out.
WRITE_BACKS = ("crm_segment_sync", "crm_duplicate_sync", "crm_enrichment_sync")

data_quality_audit_job = dg.define_asset_job(
    "data_quality_audit_job",
    selection=dg.AssetSelection.all_asset_checks()
    - dg.AssetSelection.checks_for_assets(*WRITE_BACKS),
    description="Every governance check against a stored month (tag dagster/partition), "
    "without rebuilding anything.",
)

segment_review_job = dg.define_asset_job(
    "segment_review_job",
    selection=dg.AssetSelection.assets(segment_review),
    description="The quarterly segment review pack.",
)


def _month_start(moment: datetime, months_back: int = 0) -> str:
    stamp = pd.Timestamp(moment).tz_localize(None) - pd.DateOffset(months=months_back)
    return stamp.strftime("%Y-%m-01")


def _quarter_start(moment: datetime, quarters_back: int = 0) -> str:
    stamp = pd.Timestamp(moment).tz_localize(None)
    first = pd.Timestamp(year=stamp.year, month=3 * ((stamp.month - 1) // 3) + 1, day=1)
    return (first - pd.DateOffset(months=3 * quarters_back)).strftime("%Y-%m-%d")


@dg.schedule(
    job=segmentation_job,
    cron_schedule=CRONS.nightly,
    execution_timezone=FRAMEWORK_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Re-runs the current month's partition every night (extract to write-back).",
)
def nightly_segmentation_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    moment = context.scheduled_execution_time
    return dg.RunRequest(run_key=f"nightly-{moment:%Y-%m-%d}", partition_key=_month_start(moment))


@dg.schedule(
    job=data_quality_audit_job,
    cron_schedule=CRONS.monthly_audit,
    execution_timezone=FRAMEWORK_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Audits the month that just closed: completeness, duplicates, enrichment, "
    "coverage and the distribution checks, on its stored snapshot.",
)
def monthly_data_quality_audit_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    month = _month_start(context.scheduled_execution_time, months_back=1)
    return dg.RunRequest(run_key=f"audit-{month}", tags={"dagster/partition": month})


@dg.schedule(
    job=segment_review_job,
    cron_schedule=CRONS.quarterly_review,
    execution_timezone=FRAMEWORK_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Builds the review pack of the quarter that just ended.",
)
def quarterly_segment_review_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    quarter = _quarter_start(context.scheduled_execution_time, quarters_back=1)
    return dg.RunRequest(run_key=f"review-{quarter}", partition_key=quarter)


ALL_SCHEDULES = [
    nightly_segmentation_schedule,
    monthly_data_quality_audit_schedule,
    quarterly_segment_review_schedule,
]
GOVERNANCE_JOBS = [data_quality_audit_job, segment_review_job]
