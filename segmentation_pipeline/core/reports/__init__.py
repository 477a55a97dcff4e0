"""Report tables built from segment assignments and their monthly history.

Every by-segment table is long-form with the keys segment / dimension / dimension_value
(see `grouping`), so one table answers both "how is Tier 1 doing" and "how is Tier 1
Manufacturing doing against Tier 2 Software".
"""

from segmentation_pipeline.core.reports.book import (
    BOOK_INPUT_COLUMNS,
    CSM_ACCOUNT_COLUMNS,
    TRANSITION_COLUMNS,
    TransitionsTableError,
    csm_accounts,
    csm_book,
    pending_moves,
    pending_transitions,
)
from segmentation_pipeline.core.reports.distribution import (
    arr_by_segment,
    customers_by_segment,
    segment_summary,
)
from segmentation_pipeline.core.reports.grouping import ALL_DIMENSION, ALL_VALUE
from segmentation_pipeline.core.reports.health import health_by_segment
from segmentation_pipeline.core.reports.migration import migration_matrix, migration_pivot
from segmentation_pipeline.core.reports.months import shift_month
from segmentation_pipeline.core.reports.retention import (
    customer_activity,
    folded_into,
    segment_retention,
)

__all__ = [
    "ALL_DIMENSION",
    "ALL_VALUE",
    "BOOK_INPUT_COLUMNS",
    "CSM_ACCOUNT_COLUMNS",
    "TRANSITION_COLUMNS",
    "TransitionsTableError",
    "arr_by_segment",
    "csm_accounts",
    "csm_book",
    "customer_activity",
    "customers_by_segment",
    "folded_into",
    "health_by_segment",
    "migration_matrix",
    "migration_pivot",
    "pending_moves",
    "pending_transitions",
    "segment_retention",
    "segment_summary",
    "shift_month",
]
