"""Rubric scoring: firmographic, behavioral and value scores (1-5) and the composite.

A dimension score is the mean of its criteria's points; the composite is the weighted
sum of the three. Fallbacks follow the methodology's edge cases: employee count missing
-> ARR tier as size proxy; no usage data -> the median score; NPS skipped for young
accounts; onboarding completion stands in for an engagement score. Every function works
on whole columns, so a million accounts score in seconds.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import CONTENT_HASH, Carried, carry_over
from segmentation_pipeline.core.changes import frame_hashes, group_hashes
from segmentation_pipeline.core.columns import AccountIndex, is_in, lookup, timestamps
from segmentation_pipeline.core.conflicts import conflict_rows, hold_conflicts
from segmentation_pipeline.core.products import (
    account_usage,
    adoption_scores,
    adoption_tags,
    conform_usage,
    product_adoption,
    standardize_usage,
)
from segmentation_pipeline.core.rubric import banded_points, mapped_points, numbers, ratio
from segmentation_pipeline.core.schema import UNKNOWN_INDUSTRY
from segmentation_pipeline.core.value_inputs import contract_terms, strategic_values
from segmentation_pipeline.framework.models import Framework

__all__ = ["banded_points", "composite_score", "score_accounts", "standardize_usage"]

FIRMOGRAPHIC_POINTS = (
    "firm_size_points",
    "firm_industry_points",
    "firm_geography_points",
    "firm_growth_points",
)
BEHAVIORAL_POINTS = (
    "beh_usage_points",
    "beh_adoption_points",
    "beh_tickets_points",
    "beh_nps_points",
    "beh_engagement_points",
)
VALUE_POINTS = (
    "val_arr_points",
    "val_expansion_points",
    "val_contract_points",
    "val_strategic_points",
)


def _mean_points(points: pd.DataFrame, decimals: int) -> pd.Series:
    return points.mean(axis=1, skipna=True).round(decimals)


def _rubric_tier(total: pd.Series, tier_1_min: int, tier_2_min: int) -> np.ndarray:
    return np.select(
        [total >= tier_1_min, total >= tier_2_min], ["Tier 1", "Tier 2"], default="Tier 3"
    )


def _industry_points(industry: pd.Series, framework: Framework) -> pd.Series:
    fit = framework.firmographic.industry_fit
    points = {name: fit.points[level] for level, names in fit.levels.items() for name in names}
    return lookup(industry, points, fit.unknown_points).astype(float)


def score_firmographic(accounts: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Points per firmographic criterion, their total, the 1-5 score and the rubric tier."""
    firm = framework.firmographic
    size = banded_points(accounts["employees"], firm.company_size)
    proxy = lookup(accounts["arr_tier"], firm.company_size.arr_tier_proxy_points, np.nan)
    proxy = proxy.astype(float)
    size_from_proxy = size.isna() & proxy.notna()
    size = size.fillna(proxy)

    industry = accounts["industry"].where(accounts["industry"].notna(), UNKNOWN_INDUSTRY)
    geo = firm.geography
    country, region = accounts["country_code"], accounts["region"]
    geo_pts = np.select(
        [
            is_in(country, geo.primary_countries),
            is_in(country, geo.secondary_countries),
            is_in(region, geo.supported_regions),
            is_in(region, geo.limited_regions),
            country.notna(),
        ],
        [geo.points[k] for k in ("primary", "secondary", "supported", "limited", "unsupported")],
        default=geo.unknown_points,
    ).astype(float)

    points = pd.DataFrame(
        {
            "firm_size_points": size,
            "firm_industry_points": _industry_points(industry, framework),
            "firm_geography_points": geo_pts,
            "firm_growth_points": mapped_points(accounts["growth_stage"], firm.growth_stage),
        },
        index=accounts.index,
    )
    total = points.sum(axis=1, min_count=1)
    points["firmographic_points"] = total
    points["firmographic_rubric_tier"] = _rubric_tier(
        total, firm.rubric_tiers.tier_1_min_points, firm.rubric_tiers.tier_2_min_points
    )
    points["firm_size_from_arr_proxy"] = size_from_proxy
    points["firmographic_score"] = _mean_points(
        points[list(FIRMOGRAPHIC_POINTS)], framework.scoring.score_decimals
    )
    return points


def behavioral_points(usage: pd.DataFrame, framework: Framework, nps_allowed: pd.Series):
    """Points per behavioral criterion for usage rows (account- or product-level).

    Engagement is a CSP engagement score (0-1) where the export has one, else the
    onboarding completion rate stands in for it, as the methodology allows."""
    beh = framework.behavioral
    engagement = usage["onboarding_completion"]
    if "engagement_score" in usage:
        engagement = usage["engagement_score"].fillna(engagement)
    return pd.DataFrame(
        {
            "beh_usage_points": banded_points(
                ratio(usage["active_users"], usage["licensed_users"]), beh.usage_frequency
            ),
            "beh_adoption_points": banded_points(
                ratio(usage["features_adopted"], usage["features_available"]),
                beh.feature_adoption,
            ),
            "beh_tickets_points": banded_points(usage["open_tickets"], beh.support_tickets),
            "beh_nps_points": banded_points(usage["nps"].where(nps_allowed), beh.nps),
            "beh_engagement_points": banded_points(engagement, beh.engagement),
        },
        index=usage.index,
    )


def tenure_days(accounts: pd.DataFrame, as_of: datetime) -> pd.Series:
    created = timestamps(accounts["created_date"])
    return (pd.Timestamp(as_of, tz="UTC") - created).dt.days.astype("float64")


def score_behavioral(
    accounts: pd.DataFrame, usage: pd.DataFrame, framework: Framework, as_of: datetime
) -> pd.DataFrame:
    """Behavioral points per criterion and the 1-5 score, with the methodology's fallbacks.

    `usage` holds the accounts' usage row by row (see `products.account_usage`)."""
    beh = framework.behavioral
    joined = usage.set_axis(accounts.index)
    has_usage = joined["has_usage"]
    nps_allowed = tenure_days(accounts, as_of) >= beh.fallbacks.nps_min_tenure_days

    points = behavioral_points(joined, framework, nps_allowed)
    score = _mean_points(points, framework.scoring.score_decimals)
    no_signal = ~has_usage | score.isna()
    points["behavioral_score"] = score.mask(no_signal, beh.fallbacks.missing_usage_score)
    points["behavioral_fallback"] = pd.Series(
        np.where(no_signal, "no_usage_data_median", None), index=accounts.index, dtype=object
    )
    points["nps_skipped_new_account"] = joined["nps"].notna() & ~nps_allowed
    points["engagement_from_onboarding"] = points["beh_engagement_points"].notna() & (
        joined["engagement_score"].isna() if "engagement_score" in joined else True
    )
    points["active_share"] = ratio(joined["active_users"], joined["licensed_users"])
    points["feature_share"] = ratio(joined["features_adopted"], joined["features_available"])
    for column in ("logins_30d", "open_tickets", "nps"):
        points[column] = joined[column]
    return points


def score_value(
    accounts: pd.DataFrame,
    framework: Framework,
    as_of: datetime | None = None,
    relationship_value: pd.Series | None = None,
) -> pd.DataFrame:
    """Value points per criterion; ARR is the total relationship value when given.
    Without `as_of`, contract length comes from the contract term alone."""
    val = framework.value
    arr = pd.Series(numbers(accounts["arr"]), index=accounts.index)
    if relationship_value is not None:
        arr = relationship_value.where(relationship_value.notna(), arr)
    pipeline = pd.Series(numbers(accounts["expansion_pipeline"]), index=accounts.index)
    expansion_ratio = ((arr + pipeline.fillna(0)) / arr.where(arr > 0)).where(pipeline.notna())
    terms = contract_terms(accounts, framework, as_of)
    strategic = strategic_values(accounts, framework)
    points = pd.DataFrame(
        {
            "val_arr_points": banded_points(arr, val.current_arr),
            "val_expansion_points": banded_points(expansion_ratio, val.expansion_potential).fillna(
                val.expansion_potential.unknown_points
            ),
            "val_contract_points": mapped_points(terms, val.contract_length),
            "val_strategic_points": mapped_points(strategic, val.strategic_importance),
        },
        index=accounts.index,
    )
    total = points.sum(axis=1, min_count=1)
    points["value_points"] = total
    points["value_rubric_tier"] = _rubric_tier(
        total, val.rubric_tiers.tier_1_min_points, val.rubric_tiers.tier_2_min_points
    )
    points["relationship_value"] = arr
    points["expansion_ratio"] = expansion_ratio
    points["contract_term_used"] = terms
    points["strategic_used"] = strategic
    points["value_score"] = _mean_points(
        points[list(VALUE_POINTS)], framework.scoring.score_decimals
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


def score_products(
    usage: pd.DataFrame, at: np.ndarray, accounts: pd.DataFrame, framework: Framework
) -> pd.DataFrame:
    """Per account: product count, summed product ARR and per-product adoption tags."""
    every_row = pd.Series(True, index=usage.index)
    points = behavioral_points(usage, framework, nps_allowed=every_row)
    adoption = adoption_scores(points, framework.scoring.score_decimals)
    tags = adoption_tags(usage, adoption, framework, at)
    return product_adoption(usage, tags, at, len(accounts)).set_axis(accounts.index)


def score_accounts(
    accounts: pd.DataFrame, usage: pd.DataFrame, framework: Framework, as_of: datetime
) -> pd.DataFrame:
    """All rubric points, the three dimension scores and the composite, one row per account.

    `usage` is the standardized usage export (`standardize_usage`): one row per account,
    or one per account and product; products sum into the account's relationship."""
    accounts = hold_conflicts(accounts, conflict_rows(accounts), framework).accounts
    usage = conform_usage(usage)
    at = AccountIndex(accounts["account_id"]).find(usage["account_id"])
    products = score_products(usage, at, accounts, framework)
    firm = score_firmographic(accounts, framework)
    beh = score_behavioral(accounts, account_usage(usage, at, len(accounts)), framework, as_of)
    relationship = None
    if framework.assignment.multi_product.relationship_value == "sum_of_products":
        relationship = products["product_arr_total"]
    val = score_value(accounts, framework, as_of, relationship)
    dated = as_of_inputs(accounts, framework, as_of)
    scores = pd.concat([accounts[["account_id"]], firm, beh, val, products], axis=1)
    scores["tenure_days"] = dated["tenure_days"]
    scores["provisional"] = dated["provisional"].to_numpy(bool)
    scores["composite_score"] = composite_score(
        firm["firmographic_score"],
        beh["behavioral_score"],
        val["value_score"],
        framework,
        skip_behavioral=scores["provisional"],
    )
    scores["framework_version"] = framework.version
    return scores


def as_of_inputs(accounts: pd.DataFrame, framework: Framework, as_of: datetime) -> pd.DataFrame:
    """What of an account's scores moves with the as-of alone: its tenure, and through it
    whether its NPS counts and whether it is provisional; and the contract term read off
    the end date. (Conflict holding never touches these fields: vendors do not fill them.)"""
    tenure = tenure_days(accounts, as_of)
    return pd.DataFrame(
        {
            "tenure_days": tenure,
            "nps_counts": tenure >= framework.behavioral.fallbacks.nps_min_tenure_days,
            "provisional": tenure < framework.assignment.provisional_days,
            "contract_term_used": contract_terms(accounts, framework, as_of),
        },
        index=accounts.index,
    )


def carry_scores(
    accounts: pd.DataFrame,
    usage: pd.DataFrame,
    framework: Framework,
    as_of: datetime,
    stored: pd.DataFrame | None,
) -> Carried:
    """`score_accounts`, carrying over each stored row whose input is unchanged: the
    account's row (every column: its CONTENT_HASH when enrichment gave one), its usage
    rows in order, and its as-of inputs but the tenure (`as_of_inputs`). Tenure moves
    every night, so it is set afresh on every row; a night that moves the as-of across a
    threshold or a contract date recomputes only the accounts it crossed. The input hash
    (INPUT_HASH) stays on the rows: it covers everything an assignment reads of them and
    their account but the queue."""
    accounts = accounts.reset_index(drop=True)
    usage = usage.reset_index(drop=True)
    at = AccountIndex(accounts["account_id"]).find(usage["account_id"])
    known = np.flatnonzero(at >= 0)
    usage_hashes = group_hashes(frame_hashes(usage.iloc[known]), at[known], len(accounts))
    dated = as_of_inputs(accounts, framework, as_of)
    parts = {
        "account": (
            accounts[CONTENT_HASH].to_numpy(dtype=np.uint64)
            if CONTENT_HASH in accounts
            else frame_hashes(accounts)
        ),
        "usage": usage_hashes,
        "as_of": frame_hashes(dated.drop(columns="tenure_days")),
    }
    hashes = frame_hashes(pd.DataFrame(parts))

    def compute(rows: np.ndarray) -> pd.DataFrame:
        mine = np.zeros(len(accounts) + 1, dtype=bool)
        mine[rows] = True  # the last place stands for usage of no account (at -1)
        subset = accounts.take(rows).reset_index(drop=True)
        return score_accounts(subset, usage[mine[at]], framework, as_of)

    carried = carry_over(accounts["account_id"], hashes, stored, compute)
    rows = carried.rows.assign(tenure_days=dated["tenure_days"].to_numpy())
    return Carried(rows, carried.computed, carried.changed)
