"""Long-form "by segment" tables: one block of rows for the segment alone, then one per
breakdown column (segment x industry, segment x region ...).

Every report shares the same three key columns, so a reader filters one table instead
of joining several: `segment`, `dimension` ("all" or the breakdown column's name) and
`dimension_value` ("All", or the industry / region ...; "(missing)" when the account has
none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from pandas.api.typing import DataFrameGroupBy

ALL_DIMENSION = "all"
ALL_VALUE = "All"
MISSING_VALUE = "(missing)"

# Receives the frame grouped by the keys; returns one row per group, indexed by the keys.
Aggregate = Callable[[DataFrameGroupBy], pd.DataFrame]


def _labels(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna(), MISSING_VALUE).astype(str)


def by_segment(
    frame: pd.DataFrame, breakdowns: Sequence[str], aggregate: Aggregate
) -> pd.DataFrame:
    """Run `aggregate` over the frame grouped by [segment], then by [segment, b] for each
    breakdown b, and stack the blocks with their dimension keys."""
    parts = []
    for dimension in (None, *breakdowns):
        keys = ["segment"] if dimension is None else ["segment", dimension]
        block = aggregate(frame.groupby(keys, sort=True, dropna=False)).reset_index()
        if dimension is None:
            block.insert(1, "dimension", ALL_DIMENSION)
            block.insert(2, "dimension_value", ALL_VALUE)
        else:
            values = _labels(block.pop(dimension))
            block.insert(1, "dimension", dimension)
            block.insert(2, "dimension_value", values)
        parts.append(block)
    table = pd.concat(parts, ignore_index=True)
    table["segment"] = _labels(table["segment"])
    return table


def share_within_group(table: pd.DataFrame, column: str) -> pd.Series:
    """`column` over its total among rows of the same dimension value: for the 'all' block
    the share of the whole base, for 'industry = Software' the segment mix of Software."""
    totals = table.groupby(["dimension", "dimension_value"])[column].transform("sum")
    return (table[column] / totals.where(totals != 0)).astype("float64")


def tier_labels(assignments: pd.DataFrame) -> dict[str, str]:
    """Segment name -> tier label as the assignments carry it ("Tier 1" -> "Enterprise")."""
    labelled = assignments[["segment", "tier_label"]].dropna().drop_duplicates("segment")
    return dict(zip(labelled["segment"], labelled["tier_label"], strict=True))


def with_tier_label(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    table = table.copy()
    table.insert(1, "tier_label", table["segment"].map(labels))
    return table


def totals_by(frame: pd.DataFrame, keys: Sequence[str], **columns: tuple[str, str]) -> pd.DataFrame:
    """One row per `keys` group (missing keys are a group too, keys sorted) with the named
    aggregations `columns`, e.g. accounts=("account_id", "size"), arr=("arr", "sum")."""
    return frame.groupby(list(keys), sort=True, dropna=False).agg(**columns).reset_index()


ACCOUNTS_AND_ARR = {"accounts": ("account_id", "size"), "arr": ("arr", "sum")}
