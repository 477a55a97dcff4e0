"""Enrichment logic: which accounts to look up, the waterfall, merging, budgets, limits.

Pure python and pandas; the vendors are asked by `segmentation_pipeline.io.enrichment`,
which drives these pieces.
"""

from segmentation_pipeline.core.enrich.answers import Answer, Outcome
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.plan import AccountNeed, EnrichmentPlan, plan_enrichment
from segmentation_pipeline.core.enrich.result import EnrichmentResult, assemble

__all__ = [
    "AccountNeed", "Answer", "CreditBudget", "EnrichmentPlan", "EnrichmentResult", "Outcome",
    "assemble", "plan_enrichment",
]  # fmt: skip
