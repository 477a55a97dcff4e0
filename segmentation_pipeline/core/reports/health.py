"""NPS and engagement health by segment, where the data exists.

NPS here is the account-level Net Promoter Score the usage export carries (-100..100),
averaged over the account's product rows that give one (as scoring reads it); an account
without one is left out of the NPS figures and counted in `nps_coverage`'s
denominator only. Health is the behavioral score (1-5) the segmentation computed; the
at-risk share is the framework's high-value / low-engagement flag.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.api.typing import DataFrameGroupBy

from segmentation_pipeline.core.columns import map_by_key
from segmentation_pipeline.core.reports.grouping import by_segment, tier_labels, with_tier_label


def health_by_segment(
    assignments: pd.DataFrame, usage: pd.DataFrame | None, breakdowns: Sequence[str] = ()
) -> pd.DataFrame:
    """`usage` is the standardized usage frame (account_id, nps); None or no `nps` column
    means no NPS data: the NPS columns stay empty and the health columns still fill."""
    nps = pd.Series(dtype="float64")
    if usage is not None and "nps" in usage:
        # One row per account and product: the account's NPS is the mean of the rows that
        # give one (as scoring reads it), not the last row's, which for a second product
        # line is often blank and would drop the account from the NPS figures.
        values = pd.to_numeric(usage["nps"], errors="coerce").astype("float64")
        nps = values.groupby(usage["account_id"].to_numpy(dtype=object), sort=False).mean()
    joined = assignments.assign(
        nps=map_by_key(assignments["account_id"], nps).astype("float64"),
        at_risk=assignments["at_risk"].fillna(False).astype(bool),
    )

    def aggregate(groups: DataFrameGroupBy) -> pd.DataFrame:
        return groups.agg(
            accounts=("account_id", "size"),
            nps_accounts=("nps", "count"),
            mean_nps=("nps", "mean"),
            median_nps=("nps", "median"),
            mean_behavioral_score=("behavioral_score", "mean"),
            mean_composite_score=("composite_score", "mean"),
            at_risk=("at_risk", "sum"),
        )

    table = by_segment(joined, breakdowns, aggregate)
    table.insert(6, "nps_coverage", (table["nps_accounts"] / table["accounts"]).astype(float))
    table["at_risk_share"] = (table["at_risk"] / table["accounts"]).astype("float64")
    return with_tier_label(table, tier_labels(assignments))
