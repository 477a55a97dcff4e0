"""What an enrichment run hands back: accounts, the review tables and the run's figures."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from segmentation_pipeline.core.enrich.answers import Answer
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.merge import merge_answers
from segmentation_pipeline.core.enrich.plan import EnrichmentPlan
from segmentation_pipeline.core.enrich.stats import (
    cost_per_filled_field,
    coverage,
    lookup_table,
    newly_filled,
    provider_stats,
)
from segmentation_pipeline.framework.enrichment import EnrichmentSettings


@dataclass(frozen=True)
class EnrichmentResult:
    accounts: pd.DataFrame
    provenance: pd.DataFrame
    conflicts: pd.DataFrame
    non_matches: pd.DataFrame
    lookups: pd.DataFrame
    providers: pd.DataFrame
    stats: dict = field(default_factory=dict)


def assemble(
    accounts: pd.DataFrame,
    plan: EnrichmentPlan,
    answers: Mapping[str, Mapping[str, Answer]],
    settings: EnrichmentSettings,
    available: Collection[str],
    budget: CreditBudget,
    requests: Mapping[str, int] | None = None,
) -> EnrichmentResult:
    """Merge the answers and measure the run; `requests` = HTTP requests per provider."""
    merged = merge_answers(accounts, plan, answers, settings, available)
    all_answers: Iterable[Answer] = (a for by in answers.values() for a in by.values())
    lookups = lookup_table(all_answers)
    providers = provider_stats(lookups, list(available))
    providers["requests"] = [int((requests or {}).get(p, 0)) for p in providers["provider"]]
    fields = settings.filled_fields
    filled = newly_filled(accounts, merged.accounts, fields)
    budget_left = merged.non_matches[merged.non_matches["reason"] == "budget"]
    stats = {
        "accounts": len(accounts),
        "needing_enrichment": len(plan.needs),
        "by_reason": {r: plan.count(r) for r in ("missing", "stale", "revalidate")},
        "domains_looked_up": len(plan.lookups),
        "coverage_before": coverage(accounts, fields),
        "coverage_after": coverage(merged.accounts, fields),
        "fields_filled": filled,
        "credits_spent": budget.spent,
        "cost_per_filled_field": cost_per_filled_field(budget.spent, filled),
        "credits_by_provider": dict(zip(providers["provider"], providers["credits"], strict=True)),
        "requests": int(providers["requests"].sum()),
        "conflicts": len(merged.conflicts),
        "non_matches": len(merged.non_matches),
        "budget_limit_reached": budget.limit_reached(),
        "accounts_left_by_budget": int(budget_left["account_id"].nunique()),
    }
    return EnrichmentResult(
        accounts=merged.accounts,
        provenance=merged.provenance,
        conflicts=merged.conflicts,
        non_matches=merged.non_matches,
        lookups=lookups,
        providers=providers,
        stats=stats,
    )
