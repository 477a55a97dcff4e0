"""Duplicate resolution (foundation version): exact match on the registrable domain."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.framework import Framework


@dataclass(frozen=True)
class DedupResult:
    survivors: pd.DataFrame
    audit: pd.DataFrame
    duplicate_rate_before: float
    duplicate_rate_after: float


def deduplicate(accounts: pd.DataFrame, framework: Framework) -> DedupResult:
    """Fold accounts sharing a domain into the oldest one; duplicate rate = folded / input."""
    frame = accounts.assign(_order=range(len(accounts)))
    keyed = frame[frame["domain"].notna()].sort_values(["domain", "created_date", "_order"])
    survivor_of = keyed.groupby("domain")["account_id"].transform("first")
    folded = keyed[keyed["account_id"] != survivor_of]
    audit = pd.DataFrame(
        {
            "account_id": folded["account_id"].to_numpy(),
            "survivor_id": survivor_of[folded.index].to_numpy(),
            "match_score": 1.0,
            "rule": "exact_domain",
        }
    )
    survivors = frame.drop(index=folded.index).sort_values("_order").drop(columns="_order")
    counts = audit.groupby("survivor_id").size()
    survivors = survivors.assign(
        duplicate_count=survivors["account_id"].map(counts).fillna(0).astype(int)
    ).reset_index(drop=True)
    rate = len(audit) / len(accounts) if len(accounts) else 0.0
    return DedupResult(survivors, audit, rate, 0.0)
