"""Rubric scoring: firmographic, behavioral and value scores (1-5) and the composite.

A dimension score is the mean of its criteria's points; the composite is the weighted
sum of the three. Fallbacks follow the methodology's edge cases: employee count missing
-> ARR tier as size proxy; no usage data -> the median score; NPS skipped for young
accounts; onboarding completion stands in for an engagement score.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from segmentation_pipeline.core.schema import RAW_USAGE_TO_STANDARD, UNKNOWN_INDUSTRY
from segmentation_pipeline.framework.models import (
    BandedCriterion,
    Framework,
    ValueMapCriterion,
)


def banded_points(values: pd.Series, criterion: BandedCriterion) -> pd.Series:
    """Points of each value's band; NaN where the value is null or outside every band."""
    ordered = sorted(criterion.bands, key=lambda b: -np.inf if b.min is None else b.min)
    edges = np.array([-np.inf if b.min is None else b.min for b in ordered], dtype=float)
    upper = np.inf if ordered[-1].max is None else ordered[-1].max
    points = np.array([b.points for b in ordered], dtype=float)
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    index = np.searchsorted(edges, numbers, side="right") - 1
    inside = (index >= 0) & (numbers < upper) & ~np.isnan(numbers)
    result = np.where(inside, points[np.clip(index, 0, len(points) - 1)], np.nan)
    return pd.Series(result, index=values.index)


def mapped_points(values: pd.Series, criterion: ValueMapCriterion) -> pd.Series:
    mapped = values.map(criterion.values)
    return pd.to_numeric(mapped, errors="coerce").fillna(criterion.unknown_points).astype(float)


def _mean_points(points: pd.DataFrame, decimals: int) -> pd.Series:
    return points.mean(axis=1, skipna=True).round(decimals)


def score_firmographic(accounts: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Points per firmographic criterion, their total, the 1-5 score and the rubric tier."""
    firm = framework.firmographic
    size = banded_points(accounts["employees"], firm.company_size)
    proxy = accounts["arr_tier"].map(firm.company_size.arr_tier_proxy_points).astype(float)
    size_from_proxy = size.isna() & proxy.notna()
    size = size.fillna(proxy)

    industry = accounts["industry"].fillna(UNKNOWN_INDUSTRY)
    industry_pts = industry.map(firm.industry_fit.points_for).astype(float)

    geo = firm.geography
    country, region = accounts["country_code"], accounts["region"]
    geo_pts = np.select(
        [
            country.isin(geo.primary_countries),
            country.isin(geo.secondary_countries),
            region.isin(geo.supported_regions),
            region.isin(geo.limited_regions),
            country.notna(),
        ],
        [geo.points[k] for k in ("primary", "secondary", "supported", "limited", "unsupported")],
        default=geo.unknown_points,
    ).astype(float)

    growth = mapped_points(accounts["growth_stage"], firm.growth_stage)
    points = pd.DataFrame(
        {
            "firm_size_points": size,
            "firm_industry_points": industry_pts,
            "firm_geography_points": geo_pts,
            "firm_growth_points": growth,
        },
        index=accounts.index,
    )
    total = points.sum(axis=1, min_count=1)
    tiers = firm.rubric_tiers
    points["firmographic_points"] = total
    points["firmographic_rubric_tier"] = np.select(
        [total >= tiers.tier_1_min_points, total >= tiers.tier_2_min_points],
        ["Tier 1", "Tier 2"],
        default="Tier 3",
    )
    points["firm_size_from_arr_proxy"] = size_from_proxy
    points["firmographic_score"] = _mean_points(
        points[
            [
                "firm_size_points",
                "firm_industry_points",
                "firm_geography_points",
                "firm_growth_points",
            ]
        ],
        framework.scoring.score_decimals,
    )
    return points


def standardize_usage(raw_usage: pd.DataFrame) -> pd.DataFrame:
    """Usage export in Salesforce-style names -> numeric snake_case columns, one row per account."""
    usage = raw_usage.rename(columns=RAW_USAGE_TO_STANDARD)
    usage = usage.reindex(columns=list(RAW_USAGE_TO_STANDARD.values()))
    for column in usage.columns.drop("account_id"):
        usage[column] = pd.to_numeric(usage[column], errors="coerce")
    usage = usage.dropna(subset=["account_id"])
    return usage.drop_duplicates("account_id", keep="last").reset_index(drop=True)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    denominator = denominator.where(denominator > 0)
    return (numerator / denominator).clip(lower=0)


def score_behavioral(
    accounts: pd.DataFrame, usage: pd.DataFrame, framework: Framework, as_of: datetime
) -> pd.DataFrame:
    """Behavioral points per criterion and the 1-5 score, with the methodology's fallbacks."""
    beh = framework.behavioral
    joined = accounts[["account_id", "created_date"]].merge(usage, on="account_id", how="left")
    joined.index = accounts.index
    has_usage = joined["account_id"].isin(usage["account_id"])
    tenure_days = (pd.Timestamp(as_of, tz="UTC") - joined["created_date"]).dt.days
    nps_allowed = tenure_days >= beh.fallbacks.nps_min_tenure_days

    points = pd.DataFrame(
        {
            "beh_usage_points": banded_points(
                _ratio(joined["active_users"], joined["licensed_users"]), beh.usage_frequency
            ),
            "beh_adoption_points": banded_points(
                _ratio(joined["features_adopted"], joined["features_available"]),
                beh.feature_adoption,
            ),
            "beh_tickets_points": banded_points(joined["open_tickets"], beh.support_tickets),
            "beh_nps_points": banded_points(joined["nps"].where(nps_allowed), beh.nps),
            "beh_engagement_points": banded_points(joined["onboarding_completion"], beh.engagement),
        },
        index=accounts.index,
    )
    score = _mean_points(points, framework.scoring.score_decimals)
    no_signal = ~has_usage | score.isna()
    points["behavioral_score"] = score.mask(no_signal, beh.fallbacks.missing_usage_score)
    points["behavioral_fallback"] = np.where(no_signal, "no_usage_data_median", None)
    points["nps_skipped_new_account"] = joined["nps"].notna() & ~nps_allowed
    return points


def score_value(accounts: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    val = framework.value
    arr = pd.to_numeric(accounts["arr"], errors="coerce").astype("float64")
    pipeline = pd.to_numeric(accounts["expansion_pipeline"], errors="coerce").astype("float64")
    expansion_ratio = ((arr + pipeline) / arr.where(arr > 0)).astype("float64")
    expansion = banded_points(expansion_ratio, val.expansion_potential).fillna(
        val.expansion_potential.unknown_points
    )
    points = pd.DataFrame(
        {
            "val_arr_points": banded_points(arr, val.current_arr),
            "val_expansion_points": expansion,
            "val_contract_points": mapped_points(accounts["contract_term"], val.contract_length),
            "val_strategic_points": mapped_points(
                accounts["strategic_importance"], val.strategic_importance
            ),
        },
        index=accounts.index,
    )
    total = points.sum(axis=1, min_count=1)
    tiers = val.rubric_tiers
    points["value_points"] = total
    points["value_rubric_tier"] = np.select(
        [total >= tiers.tier_1_min_points, total >= tiers.tier_2_min_points],
        ["Tier 1", "Tier 2"],
        default="Tier 3",
    )
    points["expansion_ratio"] = expansion_ratio
    points["value_score"] = _mean_points(
        points[
            [
                "val_arr_points",
                "val_expansion_points",
                "val_contract_points",
                "val_strategic_points",
            ]
        ],
        framework.scoring.score_decimals,
    )
    return points


def composite_score(
    firmographic: pd.Series,
    behavioral: pd.Series,
    value: pd.Series,
    framework: Framework,
    skip_behavioral: pd.Series | None = None,
) -> pd.Series:
    """Weighted sum of the three scores; where behavioral is skipped, the other two weights
    are renormalized to sum to 1 (the provisional-segment rule)."""
    w = framework.scoring.weights
    full = firmographic * w.firmographic + behavioral * w.behavioral + value * w.value
    if skip_behavioral is not None and w.firmographic + w.value > 0:
        partial = (firmographic * w.firmographic + value * w.value) / (w.firmographic + w.value)
        full = full.where(~skip_behavioral, partial)
    return full.round(6)


def score_accounts(
    accounts: pd.DataFrame, usage: pd.DataFrame, framework: Framework, as_of: datetime
) -> pd.DataFrame:
    """All rubric points, the three dimension scores and the composite, one row per account."""
    firm = score_firmographic(accounts, framework)
    beh = score_behavioral(accounts, usage, framework, as_of)
    val = score_value(accounts, framework)
    tenure = (pd.Timestamp(as_of, tz="UTC") - accounts["created_date"]).dt.days
    provisional = tenure < framework.assignment.provisional_days
    scores = pd.concat([accounts[["account_id"]], firm, beh, val], axis=1)
    scores["tenure_days"] = tenure
    scores["provisional"] = provisional.fillna(False).astype(bool)
    scores["composite_score"] = composite_score(
        firm["firmographic_score"],
        beh["behavioral_score"],
        val["value_score"],
        framework,
        skip_behavioral=scores["provisional"],
    )
    scores["framework_version"] = framework.version
    return scores
