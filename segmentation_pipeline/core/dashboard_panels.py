"""The executive dashboard's report panels: the month's playbook reports (health and NPS,
sub-segments, outliers, CSM capacity, product lines) as small tables of formatted text.

Each builder takes the stored report table for one month and returns a `Panel`; the
dashboard places them below its charts. Numbers are formatted here once, so the panel,
its test and the screenshot read the same text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.core.reports.capacity import (
    ALL_SEGMENTS,
    CAPACITY_COLUMNS,
    OVERLOADED,
    UNDERLOADED,
    UNOWNED,
)
from segmentation_pipeline.core.reports.grouping import ALL_DIMENSION
from segmentation_pipeline.core.reports.outliers import (
    COUNTED_COLUMNS,
    OUTLIER_COLUMNS,
    outlier_counts,
)
from segmentation_pipeline.core.reports.product_lines import PRODUCT_LINE_COLUMNS
from segmentation_pipeline.core.reports.sub_segments import SUB_SEGMENT_COLUMNS

HEALTH_COLUMNS = ("segment", "dimension", "accounts", "mean_nps", "nps_coverage",
                  "mean_behavioral_score", "at_risk", "at_risk_share")  # fmt: skip

MAX_PANEL_ROWS = 15


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    headers: Sequence[str]
    rows: list[list[str]]
    note: str = ""
    numeric: Sequence[int] = ()
    wide: bool = False  # spans the dashboard's two columns


def money(value: object) -> str:
    """$950, $12.3K, $1.25M: what the dashboard's KPIs show too."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    if abs(v) >= 1e6:
        return f"${v / 1e6:.2f}M"
    if abs(v) >= 1e3:
        return f"${v / 1e3:.1f}K"
    return f"${v:,.0f}"


def percent(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value) * 100:.1f}%"


def decimal(value: object, places: int = 2) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.{places}f}"


def count(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{int(value):,}"


def _with_columns(report: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The report with every column a panel reads: a month with no rows, or without a
    usage feed, stores fewer columns (an empty panel cell, not a failed dashboard)."""
    missing = [c for c in columns if c not in report.columns]
    return report.assign(**{c: None for c in missing}) if missing else report


def health_panel(health: pd.DataFrame) -> Panel:
    """report_segment_health's segment rows: NPS and engagement by segment."""
    health = _with_columns(health, HEALTH_COLUMNS)
    rows = health[health["dimension"] == ALL_DIMENSION] if len(health) else health
    return Panel(
        "health",
        "Health and NPS by segment",
        ["Segment", "Accounts", "Mean NPS", "NPS coverage", "Mean behavioral score",
         "At risk", "At-risk share"],
        [
            [_segment(r), count(r.accounts), decimal(r.mean_nps, 1), percent(r.nps_coverage),
             decimal(r.mean_behavioral_score), count(r.at_risk), percent(r.at_risk_share)]
            for r in rows.itertuples()
        ],
        "NPS is the usage export's account NPS (-100..100), averaged over accounts that have "
        "one; behavioral score is 1-5.",
        numeric=(1, 2, 3, 4, 5, 6),
    )  # fmt: skip


def sub_segment_panel(sub_segments: pd.DataFrame) -> Panel:
    sub_segments = _with_columns(sub_segments, SUB_SEGMENT_COLUMNS)
    return Panel(
        "sub-segments",
        "Sub-segments",
        ["Segment", "Sub-segment", "Accounts", "ARR", "Share of segment accounts",
         "Share of segment ARR"],
        [
            [_segment(r), str(r.sub_segment), count(r.accounts), money(r.arr),
             percent(r.segment_account_share), percent(r.segment_arr_share)]
            for r in sub_segments.itertuples()
        ],
        "Named ARR slices of a segment (framework reporting.sub_segments).",
        numeric=(2, 3, 4, 5),
    )  # fmt: skip


def outlier_panel(outliers: pd.DataFrame, largest: pd.DataFrame) -> Panel:
    """Counts per rule and segment, then the largest accounts by ARR. `outliers`: the
    month's outlier rows (rule, segment, account_id and arr are read); `largest`: the
    MAX_PANEL_ROWS of them with the largest ARR, largest first, every column (the
    dashboard asks the warehouse for just those)."""
    outliers = _with_columns(outliers, COUNTED_COLUMNS)  # a month without any: no columns
    counts = outlier_counts(outliers)
    summary = "; ".join(
        f"{r.rule.replace('_', ' ')} in {r.segment}: {int(r.accounts)} ({money(r.arr)})"
        for r in counts.itertuples()
    )
    top = _with_columns(largest, OUTLIER_COLUMNS).head(MAX_PANEL_ROWS)
    accounts = outliers["account_id"].nunique()
    breaks = "" if accounts == len(outliers) else f", {count(len(outliers))} rule breaks"
    return Panel(
        "outliers",
        f"Outliers for review ({count(accounts)} account{'' if accounts == 1 else 's'}{breaks})",
        ["Account", "Owner", "Segment", "ARR", "Composite", "Why"],
        [
            [str(r.name if isinstance(r.name, str) else r.account_id), str(r.owner), str(r.segment),
             money(r.arr), decimal(r.composite_score), str(r.detail)]
            for r in top.itertuples()
        ],
        (summary or "No account breaks an outlier rule.")
        + f" Largest {MAX_PANEL_ROWS} by ARR shown; the table report_outliers has them all.",
        numeric=(3, 4),
        wide=True,
    )  # fmt: skip


def capacity_panel(capacity: pd.DataFrame) -> Panel:
    """Every owner's load, overloaded first, then underloaded, then the rest; each group
    by full books, the most loaded first."""
    capacity = _with_columns(capacity, CAPACITY_COLUMNS)
    owners = capacity[capacity["segment"].eq(ALL_SEGMENTS) & capacity["load"].notna()]
    order = owners["load"].map({OVERLOADED: 0, UNDERLOADED: 1, UNOWNED: 3}).fillna(2)
    off = owners.assign(_o=order).sort_values(["_o", "full_books"], ascending=[True, False])
    over = int(owners["load"].eq(OVERLOADED).sum())
    under = int(owners["load"].eq(UNDERLOADED).sum())
    csms = int(owners["load"].ne(UNOWNED).sum())
    title = f"CSM capacity: {over} overloaded, {under} underloaded of {csms} owners"
    unowned = int(owners.loc[owners["load"].eq(UNOWNED), "accounts"].sum())
    if unowned:
        title += f"; {count(unowned)} accounts without an owner"
    shown = ""
    if len(owners) > MAX_PANEL_ROWS:  # the rest are within ratio or without an owner
        shown = (
            f" {MAX_PANEL_ROWS} of {len(owners)} owners shown, those off their ratio first; "
            "the table report_csm_capacity has them all."
        )
    return Panel(
        "capacity",
        title,
        ["Owner", "Accounts", "ARR", "Full books", "Minimum books", "Load"],
        [
            [str(r.owner), count(r.accounts), money(r.arr), decimal(r.full_books),
             decimal(r.minimum_books), str(r.load)]
            for r in off.head(MAX_PANEL_ROWS).itertuples()
        ],
        "A book is measured against each segment's service model ratio (accounts per CSM): "
        "full books = sum of accounts / ratio max (over 1 is overloaded), minimum books = "
        "sum of accounts / ratio min (under 1 is underloaded)." + shown,
        numeric=(1, 2, 3, 4),
    )  # fmt: skip


def product_line_panel(lines: pd.DataFrame) -> Panel:
    lines = _with_columns(lines, PRODUCT_LINE_COLUMNS)
    return Panel(
        "product-lines",
        "Segment performance per product line",
        ["Segment", "Product", "Accounts", "Penetration", "Product ARR", "Mean product ARR",
         "Mean NPS"],
        [
            [_segment(r), str(r.product), count(r.accounts), percent(r.penetration),
             money(r.product_arr), money(r.mean_product_arr), decimal(r.mean_nps, 1)]
            for r in lines.itertuples()
        ],
        "Penetration is the share of the segment's accounts using the product.",
        numeric=(2, 3, 4, 5, 6),
    )  # fmt: skip


def _segment(row: object) -> str:
    label = getattr(row, "tier_label", None)
    segment = str(row.segment)
    return f"{segment} · {label}" if isinstance(label, str) and label != segment else segment
