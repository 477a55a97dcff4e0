"""Every asset of the pipeline, by stage."""

from segmentation_pipeline.defs.assets.enrich import accounts_enriched
from segmentation_pipeline.defs.assets.extract import crm_accounts, product_usage
from segmentation_pipeline.defs.assets.history import segment_operations
from segmentation_pipeline.defs.assets.prepare import accounts_standardized, deduplicated_accounts
from segmentation_pipeline.defs.assets.rejected import warehouse_rejected_records
from segmentation_pipeline.defs.assets.reports import REPORT_ASSETS
from segmentation_pipeline.defs.assets.review import crm_review_decisions
from segmentation_pipeline.defs.assets.segments import account_scores, segment_assignments
from segmentation_pipeline.defs.assets.warehouse import warehouse_segments

ALL_ASSETS = [
    crm_accounts,
    product_usage,
    accounts_standardized,
    deduplicated_accounts,
    accounts_enriched,
    account_scores,
    crm_review_decisions,
    segment_assignments,
    warehouse_segments,
    warehouse_rejected_records,
    segment_operations,
    *REPORT_ASSETS,
]
