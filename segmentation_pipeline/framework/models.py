"""Pydantic models of the segmentation framework file.

Every model forbids unknown keys, so a misspelt key fails at load instead of being
silently ignored. Validators raise with plain sentences; `load_framework` turns them
into one `FrameworkError` whose message names the field by its dotted path.
"""

from __future__ import annotations

import hashlib
import math
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from segmentation_pipeline.framework.crm_sync import CrmSyncPolicy
from segmentation_pipeline.framework.dedup import DedupConfig
from segmentation_pipeline.framework.enrichment import EnrichmentSettings
from segmentation_pipeline.framework.inputs import InputsConfig
from segmentation_pipeline.framework.reporting import Reporting
from segmentation_pipeline.framework.section import bundled
from segmentation_pipeline.framework.standardization import StandardizationConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Band(_Strict):
    """A half-open numeric interval [min, max) worth `points`; None is unbounded."""

    min: float | None
    max: float | None
    points: int = Field(ge=1, le=5)

    def contains(self, value: float) -> bool:
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        return lo <= value < hi


class NamedBand(_Strict):
    name: str
    min: float | None
    max: float | None


def _span(band) -> str:
    lo = "-inf" if band.min is None else f"{band.min:g}"
    hi = "+inf" if band.max is None else f"{band.max:g}"
    return f"[{lo}, {hi})"


def _check_contiguous(bands: list, what: str) -> None:
    """Bands, listed ascending or descending, must tile the line without gaps or overlaps."""
    if not bands:
        raise ValueError(f"{what}: at least one band is needed")
    for band in bands:
        if band.min is not None and band.max is not None and band.min >= band.max:
            raise ValueError(f"{what}: band {_span(band)} is empty (min must be below max)")
    mins = [-math.inf if b.min is None else b.min for b in bands]
    if mins != sorted(mins) and mins != sorted(mins, reverse=True):
        raise ValueError(f"{what}: list the bands in ascending or descending order")
    ordered = sorted(bands, key=lambda b: -math.inf if b.min is None else b.min)
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if lower.max is None or upper.min is None or lower.max > upper.min:
            raise ValueError(f"{what}: {_span(lower)} and {_span(upper)} overlap")
        if lower.max < upper.min:
            raise ValueError(f"{what}: gap between {lower.max:g} and {upper.min:g}")


class BandedCriterion(_Strict):
    bands: list[Band]
    unknown_points: int | None = Field(default=None, ge=1, le=5)

    @model_validator(mode="after")
    def _bands_are_valid(self) -> BandedCriterion:
        _check_contiguous(self.bands, "bands")
        ordered = sorted(self.bands, key=lambda b: -math.inf if b.min is None else b.min)
        points = [b.points for b in ordered]
        steps = {(b > a) - (b < a) for a, b in zip(points, points[1:], strict=False)}
        if 0 in steps or len(steps) > 1:
            raise ValueError(f"bands: points must strictly rise or strictly fall, got {points}")
        return self

    def points_for(self, value: float) -> int | None:
        for band in self.bands:
            if band.contains(value):
                return band.points
        return None


class ValueMapCriterion(_Strict):
    values: dict[str, int]
    unknown_points: int = Field(ge=1, le=5)

    @model_validator(mode="after")
    def _points_in_range(self) -> ValueMapCriterion:
        for key, pts in self.values.items():
            if not 1 <= pts <= 5:
                raise ValueError(f"values.{key}: points must be between 1 and 5, got {pts}")
        return self


class RubricTiers(_Strict):
    tier_1_min_points: int
    tier_2_min_points: int

    @model_validator(mode="after")
    def _ordered(self) -> RubricTiers:
        if not self.tier_1_min_points > self.tier_2_min_points:
            raise ValueError("tier_1_min_points must be above tier_2_min_points")
        return self


FitLevel = Literal["target", "adjacent", "general_b2b", "non_target", "poor"]
MarketLevel = Literal["primary", "secondary", "supported", "limited", "unsupported"]


class CompanySize(BandedCriterion):
    arr_tier_proxy_points: dict[str, int]


class IndustryFit(_Strict):
    points: dict[FitLevel, int]
    levels: dict[FitLevel, list[str]]
    unknown_points: int = Field(ge=1, le=5)

    @model_validator(mode="after")
    def _each_industry_once(self) -> IndustryFit:
        seen: dict[str, str] = {}
        for level, industries in self.levels.items():
            for industry in industries:
                if industry in seen:
                    raise ValueError(
                        f"levels: industry {industry!r} listed under both "
                        f"{seen[industry]} and {level}"
                    )
                seen[industry] = level
        return self

    def points_for(self, industry: str) -> int:
        for level, industries in self.levels.items():
            if industry in industries:
                return self.points[level]
        return self.unknown_points


class Geography(_Strict):
    points: dict[MarketLevel, int]
    primary_countries: list[str]
    secondary_countries: list[str]
    supported_regions: list[str]
    limited_regions: list[str]
    unknown_points: int = Field(ge=1, le=5)


class Firmographic(_Strict):
    rubric_tiers: RubricTiers
    company_size: CompanySize
    industry_fit: IndustryFit
    geography: Geography
    growth_stage: ValueMapCriterion


class BehavioralFallbacks(_Strict):
    missing_usage_score: float = Field(ge=1, le=5)
    nps_min_tenure_days: int = Field(ge=0)


class Behavioral(_Strict):
    usage_frequency: BandedCriterion
    feature_adoption: BandedCriterion
    support_tickets: BandedCriterion
    nps: BandedCriterion
    engagement: BandedCriterion
    fallbacks: BehavioralFallbacks


class Value(_Strict):
    rubric_tiers: RubricTiers
    current_arr: BandedCriterion
    expansion_potential: BandedCriterion
    contract_length: ValueMapCriterion
    strategic_importance: ValueMapCriterion


class Weights(_Strict):
    firmographic: float = Field(ge=0, le=1)
    behavioral: float = Field(ge=0, le=1)
    value: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Weights:
        total = self.firmographic + self.behavioral + self.value
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"weights must sum to 1.0, got {total:g}")
        return self


class Scoring(_Strict):
    weights: Weights
    score_decimals: int = Field(ge=0, le=6)


class Tier(_Strict):
    name: str
    label: str
    min_score: float = Field(ge=0, le=5)
    service_model: str


class CsmRatio(_Strict):
    min: int = Field(ge=1)
    max: int = Field(ge=1)


class ServiceModel(_Strict):
    label: str
    csm_ratio: CsmRatio
    qbr_cadence: str
    onboarding_model: str
    actions: list[str]


class AtRisk(_Strict):
    min_value_score: float = Field(ge=1, le=5)
    max_behavioral_score: float = Field(ge=1, le=5)


class TransitionPolicy(_Strict):
    """How a boundary crossing in one direction is applied.

    `review`: the account keeps its current tier until CS Ops approves the move (or
    `grace_days` pass with no decision, when set); `immediate`: applied at once."""

    policy: Literal["review", "immediate"] = "review"
    grace_days: int | None = Field(default=None, ge=0)


class Transitions(_Strict):
    upgrade: TransitionPolicy = TransitionPolicy()
    downgrade: TransitionPolicy = TransitionPolicy()
    # Methodology edge case 1, step 4: when a provisional account ages out and its tier
    # changes, reassign it at once (and notify the CSM) instead of queueing a review.
    provisional_exit: Literal["immediate", "review"] = "immediate"


class ValueInputs(_Strict):
    """How CRM fields become value-rubric inputs."""

    # A contract whose end date is more than this many days past is 'Past due'.
    contract_past_due_after_days: int | None = Field(default=0, ge=0)
    # Checkbox-style strategic flags mapped onto strategic-importance picklist values.
    strategic_flag_values: dict[str, str] = bundled(
        "assignment", "value_inputs", "strategic_flag_values"
    )
    # Open opportunities of these types count as expansion pipeline.
    expansion_opportunity_types: list[str] = ["Expansion", "Upsell", "Cross-sell", "Add-on"]


class AdoptionTag(_Strict):
    tag: str = Field(min_length=1)
    min_score: float = Field(ge=0, le=5)


class MultiProduct(_Strict):
    """Edge case 2: one primary segment on total relationship value, tags per product."""

    # account_arr: the CRM's ARR is the whole relationship (a roll-up over products);
    # sum_of_products: add up the usage export's ProductARR where the CRM holds one product.
    relationship_value: Literal["account_arr", "sum_of_products"] = "account_arr"
    # A secondary product (not the account's largest) below this ARR is tagged as a pilot.
    pilot_max_arr: float = Field(default=10_000, ge=0)
    pilot_tag: str = "pilot"
    adoption_tags: list[AdoptionTag] = bundled("assignment", "multi_product", "adoption_tags")

    @model_validator(mode="after")
    def _tags_fall(self) -> MultiProduct:
        scores = [t.min_score for t in self.adoption_tags]
        if not scores or scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError(f"adoption_tags: min_score must strictly fall, got {scores}")
        return self


class EnrichmentConflicts(_Strict):
    """Edge case 5: vendor data that disagrees with the CRM (an acquisition) is reviewed."""

    review_fields: list[str] = ["industry", "employees", "annual_revenue", "country_code"]


HistoryColumn = Literal[
    "segment", "status", "service_model", "tier_label", "computed_segment", "composite_score",
    "firmographic_score", "behavioral_score", "value_score", "provisional", "at_risk",
    "unsegmented_reason", "segment_override", "framework_version",
]  # fmt: skip


class History(_Strict):
    # A change in any of these (columns segment_history stores) opens a new version.
    tracked_columns: list[HistoryColumn] = [
        "segment", "status", "service_model", "unsegmented_reason", "framework_version",
    ]  # fmt: skip
    # Accounts missing from a full snapshot get their open history row closed.
    close_absent_accounts: bool = True


class Assignment(_Strict):
    at_risk: AtRisk
    unknown_industry_tier: str
    provisional_days: int = Field(ge=0)
    required_fields: list[Literal["arr", "industry", "employees", "country_code"]]
    # Which score decides the tier: the weighted composite, or the firmographic-only or
    # value-only rubric points against that rubric's tier cut-offs.
    tier_basis: Literal["composite", "firmographic_points", "value_points"] = "composite"
    transitions: Transitions = Transitions()
    value_inputs: ValueInputs = ValueInputs()
    multi_product: MultiProduct = MultiProduct()
    enrichment_conflicts: EnrichmentConflicts = EnrichmentConflicts()
    history: History = History()


class Bands3(_Strict):
    minimum_viable: float = Field(ge=0, le=1)
    target: float = Field(ge=0, le=1)
    ideal: float = Field(ge=0, le=1)


class RisingBands(Bands3):
    """Higher is better: minimum_viable < target < ideal."""

    @model_validator(mode="after")
    def _rising(self) -> RisingBands:
        if not self.minimum_viable < self.target < self.ideal:
            raise ValueError("thresholds must rise: minimum_viable < target < ideal")
        return self


class FallingBands(Bands3):
    """Lower is better (duplicate rate): minimum_viable > target > ideal."""

    @model_validator(mode="after")
    def _falling(self) -> FallingBands:
        if not self.minimum_viable > self.target > self.ideal:
            raise ValueError("thresholds must fall: minimum_viable > target > ideal")
        return self


class Coverage(_Strict):
    good: float = Field(ge=0, le=1)
    warning: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Coverage:
        if not self.good > self.warning:
            raise ValueError("good must be above warning")
        return self


class Share(_Strict):
    min: float = Field(ge=0, le=1)
    max: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Share:
        if not self.min <= self.max:
            raise ValueError("min must not exceed max")
        return self


class OperationalizedSegments(_Strict):
    """Good inside [good_min, good_max], and from low_benchmark up to good_min (the
    methodology's segment-count benchmark calls 3 "low", not a problem: its own three-tier
    model); a warning above good_max up to warning_max or between red_at_most and
    low_benchmark; red above warning_max or at red_at_most and below."""

    good_min: int = Field(ge=1)
    good_max: int = Field(ge=1)
    warning_max: int = Field(ge=1)
    red_at_most: int = Field(default=2, ge=0)
    low_benchmark: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> OperationalizedSegments:
        if not (
            self.red_at_most < self.low_benchmark <= self.good_min <= self.good_max
            and self.good_max < self.warning_max
        ):
            raise ValueError(
                "need red_at_most < low_benchmark <= good_min <= good_max < warning_max"
            )
        return self


class Governance(_Strict):
    key_fields: list[Literal["industry", "employees", "arr", "country_code"]]
    key_field_completeness: RisingBands
    segment_coverage: Coverage
    enrichment_coverage: RisingBands
    duplicate_rate: FallingBands
    # Not the methodology's: a ceiling no real CRM reaches. A run whose matcher folds more
    # of its records has gone wrong, and the blocking check stops it before the CRM.
    max_folded_share: float = Field(default=0.5, gt=0, le=1)
    concentration_max: float = Field(gt=0, le=1)
    min_accounts_per_segment: int = Field(ge=1)
    tier_distribution: dict[str, Share]
    operationalized_segments: OperationalizedSegments


class Drift(_Strict):
    """Population stability index bands and the composite-score bins it is measured on."""

    psi_warn: float = Field(default=0.10, gt=0)
    psi_alert: float = Field(default=0.25, gt=0)
    composite_bin_edges: list[float] = [1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]

    @model_validator(mode="after")
    def _ordered(self) -> Drift:
        if not self.psi_warn < self.psi_alert:
            raise ValueError("psi_warn must be below psi_alert")
        edges = self.composite_bin_edges
        if not edges or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ValueError("composite_bin_edges must be a non-empty, strictly rising list")
        return self


class Schedules(_Strict):
    """Cron strings, read in the framework's timezone."""

    nightly: str = "0 2 * * *"
    monthly_audit: str = "0 6 1 * *"
    quarterly_review: str = "0 7 1 1,4,7,10 *"

    @model_validator(mode="after")
    def _five_fields(self) -> Schedules:
        for name in ("nightly", "monthly_audit", "quarterly_review"):
            if len(getattr(self, name).split()) != 5:
                raise ValueError(f"{name}: a cron string has five fields")
        return self


class Notifications(_Strict):
    """What the owners' digest and the at-risk alert tell (docs/governance.md)."""

    renewal_window_days: int = Field(default=90, ge=1)
    at_risk_arr_floor: float = Field(default=50_000.0, ge=0)


class Monitoring(_Strict):
    """What the alerting sensors compare against and when the schedules fire."""

    drift: Drift = Drift()
    coverage_drop_points: float = Field(default=5.0, gt=0, le=100)
    schedules: Schedules = Schedules()
    notifications: Notifications = Notifications()


class Framework(_Strict):
    version: str = Field(min_length=1)
    timezone: str
    scoring: Scoring
    firmographic: Firmographic
    behavioral: Behavioral
    value: Value
    tiers: list[Tier] = Field(min_length=1)
    arr_tiers: list[NamedBand]
    company_size_bands: list[NamedBand]
    service_models: dict[str, ServiceModel]
    assignment: Assignment
    governance: Governance
    standardization: StandardizationConfig = Field(default_factory=StandardizationConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    enrichment: EnrichmentSettings = Field(default_factory=EnrichmentSettings)
    reporting: Reporting = Field(default_factory=Reporting)
    monitoring: Monitoring = Monitoring()
    inputs: InputsConfig = Field(default_factory=InputsConfig)
    crm_sync: CrmSyncPolicy = Field(default_factory=CrmSyncPolicy)

    @model_validator(mode="after")
    def _cross_references(self) -> Framework:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"timezone: {self.timezone!r} is not an IANA time zone (UTC, Europe/Berlin, ...)"
            ) from None
        scores = [t.min_score for t in self.tiers]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError(f"tiers: min_score must strictly fall from tier to tier, got {scores}")
        if scores[-1] != 0:
            raise ValueError(
                f"tiers.{len(scores) - 1}.min_score: the last tier takes every score below the "
                f"tier before it, so its min_score must be 0, got {scores[-1]:g}"
            )
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tiers: tier names must be unique")
        for i, tier in enumerate(self.tiers):
            if tier.service_model not in self.service_models:
                raise ValueError(
                    f"tiers.{i}.service_model: {tier.service_model!r} is not one of "
                    f"service_models ({', '.join(self.service_models)})"
                )
        if self.assignment.unknown_industry_tier not in names:
            raise ValueError(
                f"assignment.unknown_industry_tier: {self.assignment.unknown_industry_tier!r} "
                f"is not a tier name ({', '.join(names)})"
            )
        for tier in self.governance.tier_distribution:
            if tier not in names:
                raise ValueError(
                    f"governance.tier_distribution.{tier}: not a tier name ({', '.join(names)})"
                )
        for path, segment in self.reporting.segment_references():
            if segment not in names:
                raise ValueError(f"{path}: {segment!r} is not a tier name ({', '.join(names)})")
        _check_contiguous(self.arr_tiers, "arr_tiers")
        _check_contiguous(self.company_size_bands, "company_size_bands")
        arr_names = {b.name for b in self.arr_tiers}
        missing = arr_names - set(self.firmographic.company_size.arr_tier_proxy_points)
        if missing:
            raise ValueError(
                "firmographic.company_size.arr_tier_proxy_points: no points for ARR tier(s) "
                + ", ".join(sorted(missing))
            )
        return self

    def digest(self) -> str:
        """A fingerprint of every setting (not of the file's comments or layout): two
        frameworks with one digest score alike."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    def tier_for_score(self, score: float) -> Tier:
        for tier in self.tiers:
            if score >= tier.min_score:
                return tier
        return self.tiers[-1]

    def tier(self, name: str) -> Tier:
        return next(t for t in self.tiers if t.name == name)
