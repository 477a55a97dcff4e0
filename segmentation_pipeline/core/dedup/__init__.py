"""Duplicate resolution: blocking, pairwise scoring, guarded clustering, survivorship.

`deduplicate(accounts, framework)` folds standardized accounts into one survivor per
company and returns the survivors, an audit row per folded account and the duplicate
rates before and after (defined in `resolve`).
"""

from segmentation_pipeline.core.dedup.resolve import AUDIT_COLUMNS, DedupResult, deduplicate

__all__ = ["AUDIT_COLUMNS", "DedupResult", "deduplicate"]
