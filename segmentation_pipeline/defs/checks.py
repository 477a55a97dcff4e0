"""Asset checks graded by the framework's governance thresholds.

A red flag is an ERROR; a warning band is a WARN. Segment coverage is blocking: a red
coverage stops every downstream step in the run, the CRM write-back included.
"""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.governance import (
    Grade,
    field_completeness,
    grade_coverage,
    grade_rising,
    segment_coverage,
)
from segmentation_pipeline.defs.assets.enrich import accounts_enriched
from segmentation_pipeline.defs.assets.segments import segment_assignments
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import FrameworkResource

_SEVERITY = {"warning": dg.AssetCheckSeverity.WARN, "red": dg.AssetCheckSeverity.ERROR}


def check_result(grade: Grade, metadata: dict) -> dg.AssetCheckResult:
    passed = grade.level == "good"
    return dg.AssetCheckResult(
        passed=passed,
        severity=_SEVERITY.get(grade.level, dg.AssetCheckSeverity.WARN),
        metadata={
            "value": dg.MetadataValue.float(round(grade.value, 4)),
            "threshold": dg.MetadataValue.float(grade.threshold),
            "grade": grade.level,
            "rule": grade.rule,
            **metadata,
        },
    )


@dg.asset_check(
    asset=segment_assignments,
    blocking=True,
    partitions_def=monthly_partitions,
    description="Accounts with a segment / active accounts: >= good passes, below warning "
    "is a red flag that blocks the CRM write-back.",
)
def segment_coverage_check(
    segment_assignments: pd.DataFrame, framework: FrameworkResource
) -> dg.AssetCheckResult:
    bands = framework.load().governance.segment_coverage
    grade = grade_coverage(segment_coverage(segment_assignments), bands)
    reasons = segment_assignments["unsegmented_reason"].dropna().value_counts().head(5)
    return check_result(
        grade, {"top_unsegmented_reasons": dg.MetadataValue.json(reasons.to_dict())}
    )


@dg.asset_check(
    asset=accounts_enriched,
    partitions_def=monthly_partitions,
    description="Completeness of each key field after enrichment; the worst field decides.",
)
def key_field_completeness_check(
    accounts_enriched: pd.DataFrame, framework: FrameworkResource
) -> dg.AssetCheckResult:
    gov = framework.load().governance
    shares = field_completeness(accounts_enriched, list(gov.key_fields))
    worst = min(shares, key=shares.get)
    grade = grade_rising(shares[worst], gov.key_field_completeness)
    return check_result(
        grade,
        {
            "worst_field": worst,
            "completeness": dg.MetadataValue.json({k: round(v, 4) for k, v in shares.items()}),
        },
    )
