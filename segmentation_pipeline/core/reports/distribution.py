"""Who is in each segment and what they are worth: the month's distribution reports."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.api.typing import DataFrameGroupBy

from segmentation_pipeline.core.reports.grouping import (
    by_segment,
    share_within_group,
    tier_labels,
    with_tier_label,
)


def segment_summary(assignments: pd.DataFrame) -> pd.DataFrame:
    """Accounts and ARR by segment, with shares, mean composite and at-risk count.

    ARR has `arr_by_segment`'s definition, so the two reports give a segment the same
    sum: `arr` is the sum of the ARR that is known, and an account whose ARR is missing
    (an Unsegmented account for missing_arr, say) adds nothing to it but is counted as
    ARR unknown (`accounts - accounts_with_arr`). A segment with no known ARR therefore
    shows $0 with every account ARR unknown, not an "unknown" total: the known ARR is
    a fact (and what the dashboard and the shares add up), while the accounts missing
    one are a data gap to show beside it, in every segment alike, and not only when no
    account of the segment has an ARR.
    """
    grouped = assignments.assign(arr=pd.to_numeric(assignments["arr"], errors="coerce")).groupby(
        "segment", dropna=False
    )
    summary = grouped.agg(
        accounts=("account_id", "size"),
        accounts_with_arr=("arr", "count"),
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


def customers_by_segment(assignments: pd.DataFrame, breakdowns: Sequence[str] = ()) -> pd.DataFrame:
    """Accounts per segment (and per segment x breakdown value).

    `account_share` is the segment's share of the accounts with the same dimension value:
    of the whole base on the 'all' rows, of that industry's accounts on an industry row.
    `at_risk`, `provisional` and `overridden` count accounts carrying that flag or status.
    """
    flags = assignments.assign(
        at_risk=assignments["at_risk"].fillna(False).astype(bool),
        provisional=assignments["provisional"].fillna(False).astype(bool),
        overridden=assignments["status"].eq("overridden"),
    )

    def aggregate(groups: DataFrameGroupBy) -> pd.DataFrame:
        return groups.agg(
            accounts=("account_id", "size"),
            at_risk=("at_risk", "sum"),
            provisional=("provisional", "sum"),
            overridden=("overridden", "sum"),
        )

    table = by_segment(flags, breakdowns, aggregate)
    table.insert(4, "account_share", share_within_group(table, "accounts"))
    return with_tier_label(table, tier_labels(assignments))


def arr_by_segment(assignments: pd.DataFrame, breakdowns: Sequence[str] = ()) -> pd.DataFrame:
    """ARR per segment (and per segment x breakdown value).

    Accounts without an ARR value add nothing to `arr` (a segment with none shows $0, as
    in `segment_summary`) and are left out of `mean_arr` and `median_arr`;
    `accounts_with_arr` says how many had one, the rest are ARR unknown. `arr_share` is
    the share of the ARR with the same dimension value, as in `customers_by_segment`.
    """
    money = assignments.assign(arr=pd.to_numeric(assignments["arr"], errors="coerce"))

    def aggregate(groups: DataFrameGroupBy) -> pd.DataFrame:
        return groups.agg(
            accounts=("account_id", "size"),
            accounts_with_arr=("arr", "count"),
            arr=("arr", "sum"),
            mean_arr=("arr", "mean"),
            median_arr=("arr", "median"),
        )

    table = by_segment(money, breakdowns, aggregate)
    table.insert(6, "arr_share", share_within_group(table, "arr"))
    return with_tier_label(table, tier_labels(assignments))
