"""Sub-segments: named ARR slices of a segment from the framework's
`reporting.sub_segments` (e.g. "Enterprise $250K+" within Tier 1), shown in the
distribution beside the rest of their segment."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from segmentation_pipeline.core.reports.grouping import ACCOUNTS_AND_ARR, totals_by
from segmentation_pipeline.framework.reporting import SubSegment

SUB_SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment",
    "tier_label",
    "sub_segment",
    "accounts",
    "arr",
    "segment_account_share",
    "segment_arr_share",
)


# What `sub_segment_distribution` reads of the assignments.
SUB_SEGMENT_INPUT_COLUMNS: tuple[str, ...] = ("account_id", "segment", "tier_label", "arr")


def rest_of(segment: str) -> str:
    return f"{segment} (rest)"


def sub_segment_of(assignments: pd.DataFrame, rules: Sequence[SubSegment]) -> pd.Series:
    """Each account's sub-segment: the highest-`min_arr` rule of its segment it reaches, or
    None when its segment has no sub-segments or it reaches none."""
    arr = pd.to_numeric(assignments["arr"], errors="coerce")
    labels = pd.Series(None, index=assignments.index, dtype="object")
    for rule in sorted(rules, key=lambda r: r.min_arr):
        hit = assignments["segment"].eq(rule.segment) & arr.ge(rule.min_arr)
        labels[hit] = rule.name
    return labels


def sub_segment_distribution(
    assignments: pd.DataFrame, rules: Sequence[SubSegment]
) -> pd.DataFrame:
    """For every segment with sub-segments: accounts and ARR of each sub-segment and of the
    rest of the segment, with their shares of the segment."""
    with_rules = {r.segment for r in rules}
    frame = assignments[assignments["segment"].isin(with_rules)]
    if frame.empty:
        return pd.DataFrame(columns=list(SUB_SEGMENT_COLUMNS))
    labels = sub_segment_of(frame, rules)
    frame = frame.assign(
        sub_segment=labels.fillna(frame["segment"].map(rest_of)),
        arr=pd.to_numeric(frame["arr"], errors="coerce"),
    )
    table = totals_by(
        frame, ["segment", "sub_segment"], tier_label=("tier_label", "first"), **ACCOUNTS_AND_ARR
    )
    accounts = table.groupby("segment")["accounts"].transform("sum")
    arr = table.groupby("segment")["arr"].transform("sum")
    table["segment_account_share"] = table["accounts"] / accounts
    table["segment_arr_share"] = (table["arr"] / arr.where(arr != 0)).astype("float64")
    return table.reindex(columns=list(SUB_SEGMENT_COLUMNS))
