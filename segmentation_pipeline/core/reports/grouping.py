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

ALL_DIMENSION = "all"
ALL_VALUE = "All"
MISSING_VALUE = "(missing)"
KEY_COLUMNS: tuple[str, ...] = ("segment", "dimension", "dimension_value")

Aggregate = Callable[[pd.DataFrame, list[str]], pd.DataFrame]


def by_segment(
    frame: pd.DataFrame, breakdowns: Sequence[str], aggregate: Aggregate
) -> pd.DataFrame:
    """Run `aggregate(frame, keys)` for keys [segment] and [segment, b] for each breakdown b;
    `aggregate` returns one row per key combination with the keys as columns."""
    frame = frame.assign(segment=frame["segment"].fillna(MISSING_VALUE))
    parts = []
    for dimension in (None, *breakdowns):
        if dimension is None:
            block = aggregate(frame, ["segment"])
            block.insert(1, "dimension", ALL_DIMENSION)
            block.insert(2, "dimension_value", ALL_VALUE)
        else:
            values = frame[dimension].astype("object").where(frame[dimension].notna(), None)
            keyed = frame.assign(**{dimension: values.fillna(MISSING_VALUE).astype(str)})
            block = aggregate(keyed, ["segment", dimension])
            block.insert(1, "dimension", dimension)
            block.insert(2, "dimension_value", block.pop(dimension))
        parts.append(block)
    return pd.concat(parts, ignore_index=True)


def share_within_group(table: pd.DataFrame, column: str) -> pd.Series:
    """`column` over its total among rows of the same dimension value: for the 'all' block
    the share of the whole base, for 'industry = Software' the segment mix of Software."""
    totals = table.groupby(["dimension", "dimension_value"])[column].transform("sum")
    return (table[column] / totals.where(totals != 0)).astype("float64")


def tier_labels(assignments: pd.DataFrame) -> dict[str, str]:
    """Segment name -> tier label as the assignments carry it ("Tier 1" -> "Enterprise")."""
    labelled = assignments.dropna(subset=["segment", "tier_label"])
    return dict(zip(labelled["segment"], labelled["tier_label"], strict=False))


def with_tier_label(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    table = table.copy()
    table.insert(1, "tier_label", table["segment"].map(labels))
    return table
