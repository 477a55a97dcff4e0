"""Report tables built from segment assignments."""

from __future__ import annotations

import pandas as pd


def segment_summary(assignments: pd.DataFrame) -> pd.DataFrame:
    """Accounts and ARR by segment, with shares, mean composite and at-risk count."""
    grouped = assignments.groupby("segment", dropna=False)
    summary = grouped.agg(
        accounts=("account_id", "size"),
        arr=("arr", "sum"),
        mean_composite=("composite_score", "mean"),
        at_risk=("at_risk", "sum"),
        provisional=("provisional", "sum"),
    ).reset_index()
    summary["account_share"] = summary["accounts"] / summary["accounts"].sum()
    total_arr = summary["arr"].sum()
    summary["arr_share"] = summary["arr"] / total_arr if total_arr else 0.0
    summary["mean_composite"] = summary["mean_composite"].round(2)
    return summary.sort_values("segment").reset_index(drop=True)
