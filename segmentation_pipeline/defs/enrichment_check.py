"""Enrichment coverage, graded by the framework's `governance.enrichment_coverage`.

Coverage of each enrichment key field after the waterfall; the worst field decides:
below minimum viable (70%) is an ERROR, below target (85%) a WARN.
"""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.enrich.stats import coverage
from segmentation_pipeline.core.governance import grade_rising
from segmentation_pipeline.defs.checks import check_result
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import FrameworkResource


@dg.asset_check(
    asset="accounts_enriched",
    partitions_def=monthly_partitions,
    description="Coverage of each enrichment key field after enrichment against the "
    "framework's enrichment coverage thresholds; the worst field decides.",
)
def enrichment_coverage_check(
    accounts_enriched: pd.DataFrame, framework: FrameworkResource
) -> dg.AssetCheckResult:
    fw = framework.load()
    shares = coverage(accounts_enriched, fw.enrichment.key_fields)
    worst = min(shares, key=shares.get)
    grade = grade_rising(shares[worst], fw.governance.enrichment_coverage)
    sources = {
        field: accounts_enriched[f"{field}_source"].fillna("none").value_counts().to_dict()
        for field in fw.enrichment.key_fields
        if f"{field}_source" in accounts_enriched.columns
    }
    return check_result(
        grade,
        {
            "worst_field": worst,
            "coverage": dg.MetadataValue.json({k: round(v, 4) for k, v in shares.items()}),
            "sources": dg.MetadataValue.json(sources),
        },
    )
