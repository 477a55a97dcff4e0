"""Rubric scoring, criterion by criterion, at every band edge of the default framework.

Expected points are the methodology's rubric tables, written out by hand."""

import math

import pandas as pd
import pytest

from segmentation_pipeline.core.rubric import banded_points
from segmentation_pipeline.core.scoring import composite_score, score_accounts
from segmentation_pipeline.framework import parse_framework

AS_OF = pd.Timestamp("2026-11-01")


def points(criterion, values):
    return banded_points(pd.Series(values, dtype=float), criterion).tolist()


def same(actual, expected):
    return all(
        (math.isnan(a) and e is None) or a == e for a, e in zip(actual, expected, strict=True)
    )


# criterion -> {value: points}; None: the value falls in no band
BAND_EDGES = {
    "firmographic.company_size": {0: 1, 49: 1, 50: 2, 99: 2, 100: 3, 499: 3, 500: 4, 999: 4,
                                  1000: 5, 60000: 5, -1: None, None: None},
    "value.current_arr": {0: 1, 9_999: 1, 10_000: 2, 24_999: 2, 25_000: 3, 49_999: 3,
                          50_000: 4, 99_999: 4, 100_000: 5},
    "value.expansion_potential": {0.5: 1, 0.99: 1, 1.0: 2, 1.19: 2, 1.2: 3, 1.49: 3, 1.5: 4,
                                  1.99: 4, 2.0: 5, 9: 5},
    "behavioral.usage_frequency": {0: 1, 0.19: 1, 0.2: 2, 0.39: 2, 0.4: 3, 0.59: 3, 0.6: 4,
                                   0.79: 4, 0.8: 5, 1.0: 5},
    "behavioral.feature_adoption": {0: 1, 0.14: 1, 0.15: 2, 0.29: 2, 0.3: 3, 0.49: 3, 0.5: 4,
                                    0.69: 4, 0.7: 5},
    "behavioral.support_tickets": {0: 5, 0.5: 5, 1: 4, 2: 3, 3: 2, 4: 2, 5: 1, 40: 1},
    "behavioral.nps": {-100: 1, -31: 1, -30: 2, -1: 2, 0: 3, 29: 3, 30: 4, 49: 4, 50: 5,
                       100: 5, -101: None},
    "behavioral.engagement": {0: 1, 0.24: 1, 0.25: 2, 0.49: 2, 0.5: 3, 0.69: 3, 0.7: 4,
                              0.89: 4, 0.9: 5, 1: 5},
}  # fmt: skip


@pytest.mark.parametrize(("path", "edges"), BAND_EDGES.items(), ids=list(BAND_EDGES))
def test_banded_criteria_score_every_band_edge(framework, path, edges):
    section, name = path.split(".")
    criterion = getattr(getattr(framework, section), name)
    assert same(points(criterion, list(edges)), list(edges.values()))


def score_one(make_accounts, make_usage, framework, usage=(), **account):
    usage_rows = [dict(u) for u in usage]
    accounts = make_accounts(account)
    return score_accounts(accounts, make_usage(*usage_rows), framework, AS_OF).iloc[0]


@pytest.mark.parametrize(
    ("field", "value", "column", "expected"),
    [
        ("industry", "Software", "firm_industry_points", 5),
        ("industry", "Healthcare", "firm_industry_points", 4),
        ("industry", "Manufacturing", "firm_industry_points", 3),
        ("industry", "Retail", "firm_industry_points", 2),
        ("industry", "Government", "firm_industry_points", 1),
        ("industry", "Unknown", "firm_industry_points", 3),
        ("industry", None, "firm_industry_points", 3),
        ("growth_stage", "Scale-up", "firm_growth_points", 5),
        ("growth_stage", "Established", "firm_growth_points", 4),
        ("growth_stage", "Mature", "firm_growth_points", 3),
        ("growth_stage", "Early-stage", "firm_growth_points", 2),
        ("growth_stage", "Pre-revenue", "firm_growth_points", 1),
        ("growth_stage", None, "firm_growth_points", 1),
        ("contract_term", "Multi-year", "val_contract_points", 5),
        ("contract_term", "Annual (renewing)", "val_contract_points", 4),
        ("contract_term", "Annual (new)", "val_contract_points", 3),
        ("contract_term", "Month-to-month", "val_contract_points", 2),
        ("contract_term", "Past due", "val_contract_points", 1),
        ("contract_term", None, "val_contract_points", 3),
        ("strategic_importance", "Named logo", "val_strategic_points", 5),
        ("strategic_importance", "Industry influencer", "val_strategic_points", 4),
        ("strategic_importance", "Standard", "val_strategic_points", 3),
        ("strategic_importance", "Commodity", "val_strategic_points", 2),
        ("strategic_importance", "Misaligned", "val_strategic_points", 1),
        ("strategic_importance", "true", "val_strategic_points", 5),
        ("strategic_importance", "false", "val_strategic_points", 3),
        ("strategic_importance", "something else", "val_strategic_points", 3),
    ],
)
def test_mapped_criteria(make_accounts, make_usage, framework, field, value, column, expected):
    assert score_one(make_accounts, make_usage, framework, **{field: value})[column] == expected


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        ("US", "NA", 5),  # primary market
        ("GB", "EMEA", 4),  # secondary market
        ("ES", "EMEA", 3),  # supported region
        ("JP", "APAC", 2),  # limited-support region
        ("ZA", "AFRICA", 1),  # a country outside every listed market
        (None, None, 1),  # unknown
    ],
)
def test_geography(make_accounts, make_usage, framework, country, region, expected):
    row = score_one(make_accounts, make_usage, framework, country_code=country, region=region)
    assert row["firm_geography_points"] == expected


@pytest.mark.parametrize(
    ("size", "growth", "industry", "country", "total", "tier"),
    [
        (1000, "Growth", "Software", "US", 20, "Tier 1"),
        (100, "Established", "Software", "US", 17, "Tier 1"),
        (100, "Mature", "Software", "US", 16, "Tier 1"),
        (50, "Mature", "Software", "US", 15, "Tier 2"),
        (10, "Pre-revenue", "Healthcare", "US", 11, "Tier 2"),
        (10, "Pre-revenue", "Manufacturing", "US", 10, "Tier 2"),
        (10, "Pre-revenue", "Retail", "US", 9, "Tier 3"),
    ],
)
def test_firmographic_rubric_tiers_16_and_10_points(
    make_accounts, make_usage, framework, size, growth, industry, country, total, tier
):
    row = score_one(
        make_accounts,
        make_usage,
        framework,
        employees=size,
        growth_stage=growth,
        industry=industry,
        country_code=country,
    )
    assert (row["firmographic_points"], row["firmographic_rubric_tier"]) == (total, tier)


@pytest.mark.parametrize(
    ("arr", "pipeline", "term", "strategic", "total", "tier"),
    [
        (100_000, 100_000, "Multi-year", "Named logo", 20, "Tier 1"),
        (100_000, 0, "Multi-year", "Named logo", 17, "Tier 1"),
        (50_000, 0, "Multi-year", "Named logo", 16, "Tier 1"),
        (50_000, 0, "Annual (renewing)", "Named logo", 15, "Tier 2"),
        (5_000, 0, "Annual (new)", "Industry influencer", 10, "Tier 2"),
        (5_000, 0, "Annual (new)", "Standard", 9, "Tier 3"),
    ],
)
def test_value_rubric_tiers_16_and_10_points(
    make_accounts, make_usage, framework, arr, pipeline, term, strategic, total, tier
):
    row = score_one(
        make_accounts,
        make_usage,
        framework,
        arr=arr,
        expansion_pipeline=pipeline,
        contract_term=term,
        strategic_importance=strategic,
    )
    assert (row["value_points"], row["value_rubric_tier"]) == (total, tier)


@pytest.mark.parametrize(
    ("arr", "proxy_points"),
    [(10_000, 2), (25_000, 3), (99_999, 3), (100_000, 5)],
)
def test_missing_employees_use_the_arr_tier_as_size_proxy(
    make_accounts, make_usage, framework, arr, proxy_points
):
    row = score_one(make_accounts, make_usage, framework, employees=None, arr=arr)
    assert row["firm_size_points"] == proxy_points
    assert bool(row["firm_size_from_arr_proxy"])


def test_missing_usage_scores_the_median(make_accounts, make_usage, framework):
    row = score_one(make_accounts, make_usage, framework)
    assert row["behavioral_score"] == 3
    assert row["behavioral_fallback"] == "no_usage_data_median"


def test_usage_row_with_every_value_blank_also_scores_the_median(
    make_accounts, make_usage, framework
):
    blank = dict.fromkeys(
        ["logins_30d", "active_users", "licensed_users", "features_adopted", "open_tickets"]
    ) | {"nps": None, "onboarding_completion": None, "features_available": None}
    row = score_one(make_accounts, make_usage, framework, usage=[blank])
    assert row["behavioral_score"] == 3


def test_behavioral_score_is_the_mean_of_its_criteria(make_accounts, make_usage, framework):
    usage = {"active_users": 30, "features_adopted": 4, "open_tickets": 3, "nps": -10}
    usage |= {"onboarding_completion": 0.3}
    row = score_one(make_accounts, make_usage, framework, usage=[usage])
    assert [row[c] for c in ("beh_usage_points", "beh_adoption_points", "beh_tickets_points")] == [
        2,
        2,
        2,
    ]
    assert row["behavioral_score"] == 2


@pytest.mark.parametrize(("tenure", "nps_counted"), [(29, False), (30, True)])
def test_nps_is_skipped_for_accounts_younger_than_30_days(
    make_accounts, make_usage, framework, tenure, nps_counted
):
    created = pd.Timestamp(AS_OF, tz="UTC") - pd.Timedelta(days=tenure)
    row = score_one(make_accounts, make_usage, framework, usage=[{"nps": 90}], created_date=created)
    assert (not math.isnan(row["beh_nps_points"])) is nps_counted
    assert bool(row["nps_skipped_new_account"]) is not nps_counted
    # 4, 4, 4, (5), 4 -> 4.2 with NPS, 4.0 without
    assert row["behavioral_score"] == (4.2 if nps_counted else 4.0)


def test_onboarding_completion_stands_in_for_engagement(make_accounts, make_usage, framework):
    proxied = score_one(
        make_accounts, make_usage, framework, usage=[{"onboarding_completion": 0.95}]
    )
    assert proxied["beh_engagement_points"] == 5
    assert bool(proxied["engagement_from_onboarding"])
    measured = score_one(
        make_accounts,
        make_usage,
        framework,
        usage=[{"onboarding_completion": 0.95, "engagement_score": 0.3}],
    )
    assert measured["beh_engagement_points"] == 2
    assert not bool(measured["engagement_from_onboarding"])


def test_methodology_composite_formula_examples(framework):
    one = pd.Series([4.0])
    # Section 4 worked example: (4 x 0.25) + (2 x 0.40) + (5 x 0.35) = 3.55
    assert composite_score(one, one * 0.5, one * 1.25, framework).iloc[0] == 3.55
    # Formula quick reference: (4 x 0.3) + (3 x 0.4) + (5 x 0.3) = 3.9
    data = framework.model_dump()
    data["scoring"]["weights"] = {"firmographic": 0.3, "behavioral": 0.4, "value": 0.3}
    other = parse_framework(data)
    assert composite_score(one, one * 0.75, one * 1.25, other).iloc[0] == pytest.approx(3.9)


def test_provisional_composite_renormalizes_firmographic_and_value_weights(framework):
    skip = pd.Series([True])
    score = composite_score(pd.Series([4.0]), pd.Series([1.0]), pd.Series([5.0]), framework, skip)
    assert score.iloc[0] == pytest.approx((4 * 0.25 + 5 * 0.35) / 0.60, abs=1e-6)


@pytest.mark.parametrize(("tenure", "provisional"), [(0, True), (29, True), (30, False)])
def test_accounts_younger_than_30_days_are_provisional(
    make_accounts, make_usage, framework, tenure, provisional
):
    created = pd.Timestamp(AS_OF, tz="UTC") - pd.Timedelta(days=tenure)
    assert (
        bool(score_one(make_accounts, make_usage, framework, created_date=created)["provisional"])
        is provisional
    )


def test_unreadable_inputs_score_without_crashing(make_accounts, make_usage, framework):
    row = score_one(
        make_accounts,
        make_usage,
        framework,
        usage=[{"active_users": "lots", "licensed_users": 0, "nps": "n/a"}],
        arr="not a number",
        employees="many",
        expansion_pipeline="?",
        created_date="yesterday-ish",
    )
    assert math.isnan(row["val_arr_points"])
    assert math.isnan(row["beh_usage_points"])  # no licensed users: no ratio
    assert not bool(row["provisional"])  # unknown tenure is not young
    assert 1 <= row["composite_score"] <= 5
