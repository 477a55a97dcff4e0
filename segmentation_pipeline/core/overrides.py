"""Override reporting: how many accounts a human owns, and where the pipeline disagrees."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DISAGREEMENT_COLUMNS = ("account_id", "name", "owner_id", "segment", "computed_segment")


@dataclass(frozen=True)
class OverrideReport:
    overridden: int
    share: float  # of all accounts
    disagreeing: int  # overridden accounts whose computed segment differs
    by_pair: dict[str, int]  # "Tier 1 kept, computed Tier 2" -> accounts
    disagreements: pd.DataFrame  # one row per disagreeing account

    def as_metadata(self) -> dict:
        return {
            "overridden": self.overridden,
            "overridden_share": round(self.share, 4),
            "override_disagreements": self.disagreeing,
            "override_disagreement_pairs": self.by_pair,
        }


def override_report(assignments: pd.DataFrame) -> OverrideReport:
    overridden = assignments[assignments["status"].eq("overridden")]
    differs = overridden[overridden["computed_segment"].ne(overridden["segment"])]
    pairs = (
        (
            differs["segment"].astype(str)
            + " kept, computed "
            + differs["computed_segment"].astype(str)
        )
        .value_counts()
        .sort_index()
    )
    n = len(assignments)
    return OverrideReport(
        overridden=len(overridden),
        share=len(overridden) / n if n else 0.0,
        disagreeing=len(differs),
        by_pair={k: int(v) for k, v in pairs.items()},
        disagreements=differs.reindex(columns=list(DISAGREEMENT_COLUMNS)).reset_index(drop=True),
    )
