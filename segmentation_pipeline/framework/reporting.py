"""The `reporting` section of the framework: report breakdowns and what the docs tell
operators about data sources and review cadence.

Kept in its own module so the reporting stage adds one field to `Framework` and nothing
else; the lists default to the bundled YAML's (`section.bundled`), the other defaults here
equal its `reporting` section (a test holds them together).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from segmentation_pipeline.framework.section import bundled

Breakdown = Literal["industry", "region", "country_code", "company_size_band", "arr_tier"]
BREAKDOWN_COLUMNS: tuple[str, ...] = get_args(Breakdown)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource(_Strict):
    name: str
    system: str
    provides: str
    refresh: str


class ReviewItem(_Strict):
    component: str
    cadence: str
    owner: str


# --- issue 28: outliers, CSM capacity, sub-segments, dashboard copies -------------------


class Outliers(_Strict):
    """An account whose ARR or score sits far from its segment's band is listed for review
    (a $100K+ account in Tier 3 is mis-served whatever its score says)."""

    # Segment -> ARR at or above which an account of that segment is an outlier.
    arr_at_least: dict[str, float] = Field(
        default_factory=lambda: {"Tier 2": 250000.0, "Tier 3": 100000.0}
    )
    # Segment -> ARR below which an account of that segment is an outlier.
    arr_below: dict[str, float] = Field(default_factory=lambda: {"Tier 1": 25000.0})
    # Composite score more than this many points outside its segment's score band
    # (an override or a held transition can leave an account there).
    score_margin: float = Field(default=0.5, ge=0)


class SubSegment(_Strict):
    """A named slice of one segment by ARR, shown beside the segment in the distribution."""

    segment: str
    name: str
    min_arr: float = Field(ge=0)


class DashboardCopies(_Strict):
    # One current dashboard at a stable path, plus one dated copy per snapshot month,
    # kept for this many most recent months.
    keep_months: int = Field(default=12, ge=1)


class Reporting(_Strict):
    # Every by-segment report is also broken down by each of these account columns.
    breakdowns: list[Breakdown] = Field(default_factory=lambda: ["industry", "region"])
    # The migration matrix compares a month with the month this many months before it.
    migration_lookback_months: int = Field(default=1, ge=1)
    # The executive dashboard shows at most this many most recent stored months.
    dashboard_months: int = Field(default=24, ge=1)
    # --- issue 28 reports (outliers, capacity, sub-segments, dashboard copies) ---
    outliers: Outliers = Field(default_factory=Outliers)
    sub_segments: list[SubSegment] = bundled("reporting", "sub_segments")
    dashboard_copies: DashboardCopies = Field(default_factory=DashboardCopies)
    data_sources: list[DataSource] = bundled("reporting", "data_sources")
    review_cadence: list[ReviewItem] = bundled("reporting", "review_cadence")
    # --- explanations and CSM views (issue 28) ---
    # The explanation sentence names at most this many criteria, those that moved the
    # composite furthest from an account scoring this many points on every criterion.
    explanation_criteria: int = Field(default=3, ge=1, le=5)
    explanation_neutral_points: float = Field(default=3.0, ge=1, le=5)
    # CSM views list renewals whose contract ends within this many days of the run: the
    # methodology starts renewal work at T-120 and wants the forecast call by T-90.
    renewal_window_days: int = Field(default=120, ge=1)
    # A CSM page shows this many accounts per page (explanations collapsed), so a book
    # of thousands stays a page a browser scrolls.
    csm_page_rows: int = Field(default=50, ge=10)

    def segment_references(self) -> list[tuple[str, str]]:
        """(setting path, segment name) of every segment the reports name, for the
        framework to check against its tiers."""
        o = self.outliers
        return (
            [(f"reporting.outliers.arr_at_least.{s}", s) for s in o.arr_at_least]
            + [(f"reporting.outliers.arr_below.{s}", s) for s in o.arr_below]
            + [
                (f"reporting.sub_segments.{i}.segment", s.segment)
                for i, s in enumerate(self.sub_segments)
            ]
        )
