"""The methodology's worked example and its rubric tables, at every band edge."""

from datetime import datetime

import pandas as pd
import pytest

from segmentation_pipeline.core.assignment import assign_segments
from segmentation_pipeline.core.scoring import (
    banded_points,
    composite_score,
    score_accounts,
    score_firmographic,
    score_value,
    standardize_usage,
)
from segmentation_pipeline.core.standardize import standardize_accounts, unknown_choices

AS_OF = datetime(2026, 11, 15)


def account(**overrides) -> dict:
    """A standardized account row with neutral defaults."""
    row = {
        "account_id": "001A",
        "name": "Acme",
        "owner_id": "005U1",
        "arr": 85_000.0,
        "arr_reason": None,
        "arr_tier": "Mid-Market",
        "industry": "Healthcare",
        "country_code": "US",
        "region": "NA",
        "company_size_band": "Mid-Market",
        "employees": 500.0,
        "growth_stage": "Mature",
        "expansion_pipeline": 0.0,
        "contract_term": "Annual (new)",
        "strategic_importance": "Standard",
        "created_date": pd.Timestamp("2024-01-01", tz="UTC"),
        "segment_override": False,
        "crm_tier": "Tier 2",
    }
    row.update(overrides)
    return row


def test_worked_example_composite_is_3_55_tier_2_low_touch_at_risk(framework):
    composite = composite_score(
        pd.Series([4.0]), pd.Series([2.0]), pd.Series([5.0]), framework
    ).iloc[0]
    assert composite == pytest.approx(3.55)  # 4x0.25 + 2x0.40 + 5x0.35 = 1.0 + 0.8 + 1.75

    accounts = pd.DataFrame([account()])
    scores = pd.DataFrame(
        {
            "account_id": ["001A"],
            "firmographic_score": [4.0],
            "behavioral_score": [2.0],
            "value_score": [5.0],
            "composite_score": [composite],
            "provisional": [False],
            "behavioral_fallback": [None],
            "framework_version": [framework.version],
        }
    )
    row = assign_segments(accounts, scores, framework).iloc[0]
    assert row["segment"] == "Tier 2"
    assert row["service_model"] == "low_touch"
    assert row["service_model_label"] == "Low-Touch"
    assert row["status"] == "segmented"
    assert bool(row["at_risk"]) is True
    assert "3.55" in row["explanation"] and "at risk" in row["explanation"]
    assert "3.55" in row["explanation_detail"] and "AT RISK" in row["explanation_detail"]


def worked_example_usage() -> pd.DataFrame:
    """The worked example's low behavior: 30% active (2), 20% features (2), 3 open tickets
    (2), no NPS, 40% onboarding (2): behavioral score 2."""
    return standardize_usage(
        pd.DataFrame(
            [
                {
                    "AccountId": "001A",
                    "Logins30d": "90",
                    "ActiveUsers": "30",
                    "LicensedUsers": "100",
                    "FeaturesAdopted": "4",
                    "FeaturesAvailable": "20",
                    "OpenTickets": "3",
                    "NPS": None,
                    "OnboardingCompletion": "0.4",
                }
            ]
        )
    )


def test_worked_example_from_raw_fields_through_every_rubric(framework):
    """Firmographic 4: 500 employees (4), adjacent Healthcare (4), US (5), Mature (3) = 16/4.
    Behavioral 2: 30% active (2), 20% features (2), 3 tickets (2), 40% onboarding (2).
    Value 5: $120K (5), 2x pipeline (5), multi-year (5), named logo (5)."""
    accounts = pd.DataFrame(
        [
            account(
                arr=120_000.0,
                arr_tier="Enterprise",
                expansion_pipeline=120_000.0,
                contract_term="Multi-year",
                strategic_importance="Named logo",
            )
        ]
    )
    scores = score_accounts(accounts, worked_example_usage(), framework, AS_OF)
    assert scores.loc[0, ["firmographic_score", "behavioral_score", "value_score"]].tolist() == [
        4.0,
        2.0,
        5.0,
    ]
    assert scores.loc[0, "composite_score"] == pytest.approx(3.55)
    assert scores.loc[0, "firmographic_points"] == 16
    assert scores.loc[0, "firmographic_rubric_tier"] == "Tier 1"  # 16+ points
    row = assign_segments(accounts, scores, framework).iloc[0]
    assert (row["segment"], bool(row["at_risk"])) == ("Tier 2", True)


@pytest.mark.parametrize(
    ("employees", "points"),
    [(0, 1), (49, 1), (50, 2), (99, 2), (100, 3), (499, 3), (500, 4), (999, 4), (1000, 5)],
)
def test_company_size_band_edges(framework, employees, points):
    values = pd.Series([float(employees)])
    assert banded_points(values, framework.firmographic.company_size).iloc[0] == points


@pytest.mark.parametrize(
    ("arr", "points"),
    [
        (0, 1),
        (9_999.99, 1),
        (10_000, 2),
        (24_999, 2),
        (25_000, 3),
        (49_999, 3),
        (50_000, 4),
        (99_999, 4),
        (100_000, 5),
    ],
)
def test_current_arr_band_edges(framework, arr, points):
    assert banded_points(pd.Series([float(arr)]), framework.value.current_arr).iloc[0] == points


@pytest.mark.parametrize(
    ("pipeline", "points"),  # ARR 100K: ratio = (100K + pipeline) / 100K
    [(-1, 1), (0, 2), (19_999, 2), (20_000, 3), (49_999, 3), (50_000, 4), (100_000, 5)],
)
def test_expansion_potential_band_edges(framework, pipeline, points):
    frame = pd.DataFrame([account(arr=100_000.0, expansion_pipeline=float(pipeline))])
    assert score_value(frame, framework).loc[0, "val_expansion_points"] == points


@pytest.mark.parametrize(
    ("term", "points"),
    [
        ("Multi-year", 5),
        ("Annual (renewing)", 4),
        ("Annual (new)", 3),
        ("Month-to-month", 2),
        ("Past due", 1),
        (None, 3),
    ],
)
def test_contract_length_points(framework, term, points):
    frame = pd.DataFrame([account(contract_term=term)])
    assert score_value(frame, framework).loc[0, "val_contract_points"] == points


def test_the_methodologys_strategic_importance_labels_score_its_points_unwarned(framework):
    """The value rubric's row "Strategic Importance" reads, 5 to 1: Named logo / reference
    customer, Industry influencer, Standard customer, Commodity fit, Misaligned. A CRM
    picklist written that way scored the unknown 3 points for three of them, named only
    in the unknown-picklist warning."""
    raw = pd.DataFrame(
        {
            "Id": ["001A", "001B", "001C", "001D"],
            "Name": ["Alpha", "Bravo", "Charlie", "Delta"],
            "Strategic_Importance__c": [
                "Commodity fit",
                "Standard customer",
                "Named logo / reference customer",
                "commodity FIT ",  # matched ignoring case and spacing, as every picklist
            ],
        }
    )
    accounts = standardize_accounts(raw, framework)
    assert "Strategic_Importance__c" not in unknown_choices(accounts, framework)
    points = score_value(accounts, framework)["val_strategic_points"]
    assert points.tolist() == [2, 3, 5, 2]


def test_the_methodologys_paired_growth_and_contract_labels_score_its_points_unwarned(
    framework,
):
    """The firmographic rubric's "Growth Stage" row gives 5 points to "Growth / Scale-up"
    and 1 to "Unknown / Pre-revenue"; the value rubric's "Contract Length" row gives 1 to
    "At risk / Past due". Written so in a CRM picklist, the first scored 1 (the unknown
    points) instead of 5 and the last 3 instead of 1."""
    raw = pd.DataFrame(
        {
            "Id": ["001A", "001B", "001C"],
            "Name": ["Alpha", "Bravo", "Charlie"],
            "Growth_Stage__c": ["Growth / Scale-up", "Unknown / Pre-revenue", "growth/scale-up"],
            "Contract_Term__c": ["At risk / Past due", "Month-to-month", "at risk / past due"],
        }
    )
    accounts = standardize_accounts(raw, framework)
    unknown = unknown_choices(accounts, framework)
    assert "Growth_Stage__c" not in unknown and "Contract_Term__c" not in unknown
    assert score_firmographic(accounts, framework)["firm_growth_points"].tolist() == [5, 1, 5]
    assert score_value(accounts, framework)["val_contract_points"].tolist() == [1, 2, 1]


def test_the_at_risk_half_of_the_methodologys_contract_label_scores_1_point_unwarned(framework):
    """The value rubric's 1-point contract length is "At risk / Past due". The framework
    listed its "Past due" half and the pair, but a CRM picklist value "At risk" scored the
    unknown 3 points (named in the unknown-picklist warning) instead of 1: with ARR $25K
    (3), no pipeline (ratio 1.0: 2) and a Standard customer (3), the value points are
    3 + 2 + 1 + 3 = 9, Tier 3 by the value rubric (below 10), not 11 (Tier 2)."""
    raw = pd.DataFrame(
        {
            "Id": ["001A", "001B", "001C"],
            "Name": ["Alpha", "Bravo", "Charlie"],
            "ARR__c": ["25000", "25000", "25000"],
            "Expansion_Pipeline__c": ["0", "0", "0"],
            "Strategic_Importance__c": ["Standard", "Standard", "Standard"],
            "Contract_Term__c": ["At risk", "at risk ", "Past due"],
        }
    )
    accounts = standardize_accounts(raw, framework)
    assert "Contract_Term__c" not in unknown_choices(accounts, framework)
    value = score_value(accounts, framework)
    assert value["val_contract_points"].tolist() == [1, 1, 1]
    assert value["value_points"].tolist() == [9, 9, 9]
    assert value["value_rubric_tier"].tolist() == ["Tier 3", "Tier 3", "Tier 3"]


@pytest.mark.parametrize(
    ("industry", "points"),
    [
        ("Software", 5),
        ("Healthcare", 4),
        ("Manufacturing", 3),
        ("Retail", 2),
        ("Government", 1),
        ("Unknown", 3),
    ],
)
def test_industry_fit_points(framework, industry, points):
    frame = pd.DataFrame([account(industry=industry)])
    assert score_firmographic(frame, framework).loc[0, "firm_industry_points"] == points


@pytest.mark.parametrize(
    ("country", "region", "points"),
    [("US", "NA", 5), ("DE", "EMEA", 4), ("ES", "EMEA", 3), ("JP", "APAC", 2), (None, None, 1)],
)
def test_geography_points(framework, country, region, points):
    frame = pd.DataFrame([account(country_code=country, region=region)])
    assert score_firmographic(frame, framework).loc[0, "firm_geography_points"] == points


@pytest.mark.parametrize(
    ("total", "tier"),
    [(20, "Tier 1"), (16, "Tier 1"), (15, "Tier 2"), (10, "Tier 2"), (9, "Tier 3")],
)
def test_firmographic_rubric_tier_cutoffs(framework, total, tier):
    """16+ / 10-15 / below 10, reached through company size and industry points."""
    combos = {  # employees, industry, country, growth stage -> points
        20: (1000, "Software", "US", "Growth"),  # 5 + 5 + 5 + 5
        16: (500, "Healthcare", "US", "Mature"),  # 4 + 4 + 5 + 3
        15: (500, "Healthcare", "US", "Early-stage"),  # 4 + 4 + 5 + 2
        10: (50, "Retail", "JP", "Established"),  # 2 + 2 + 2 + 4
        9: (50, "Retail", "JP", "Mature"),  # 2 + 2 + 2 + 3
    }
    employees, industry, country, stage = combos[total]
    region = {"US": "NA", "JP": "APAC"}[country]
    frame = pd.DataFrame(
        [
            account(
                employees=float(employees),
                industry=industry,
                country_code=country,
                region=region,
                growth_stage=stage,
            )
        ]
    )
    scored = score_firmographic(frame, framework).iloc[0]
    assert scored["firmographic_points"] == total
    assert scored["firmographic_rubric_tier"] == tier


@pytest.mark.parametrize(
    ("composite", "tier"),
    [
        (5.0, "Tier 1"),
        (4.0, "Tier 1"),
        (3.99, "Tier 2"),
        (2.5, "Tier 2"),
        (2.49, "Tier 3"),
        (1.0, "Tier 3"),
    ],
)
def test_composite_tier_cutoffs(framework, composite, tier):
    assert framework.tier_for_score(composite).name == tier


def scored(composite: float, behavioral: float = 3.0, value: float = 3.0) -> pd.DataFrame:
    """Dimension scores and a composite as `score_accounts` leaves them, for one account."""
    return pd.DataFrame(
        {
            "account_id": ["001A"],
            "firmographic_score": [3.0],
            "behavioral_score": [behavioral],
            "value_score": [value],
            "composite_score": [composite],
            "provisional": [False],
            "behavioral_fallback": [None],
        }
    )


@pytest.mark.parametrize(
    ("composite", "tier", "model"),
    [
        (4.0, "Tier 1", "high_touch"),
        (3.99, "Tier 2", "low_touch"),
        (2.5, "Tier 2", "low_touch"),
        (2.49, "Tier 3", "tech_touch"),
    ],
)
def test_composite_tier_edges_as_the_assignment_applies_them(framework, composite, tier, model):
    """Tier 1 at 4.0+, Tier 2 at 2.5 - 3.99, Tier 3 below 2.5, through `assign_segments`
    (which does not use `Framework.tier_for_score`), on an account with no tier yet."""
    accounts = pd.DataFrame([account(crm_tier=None)])
    row = assign_segments(accounts, scored(composite), framework, as_of=AS_OF).iloc[0]
    assert (row["segment"], row["service_model"]) == (tier, model)


def test_the_formula_quick_reference_example_is_3_9(framework):
    """(4 x 0.3) + (3 x 0.4) + (5 x 0.3) = 1.2 + 1.2 + 1.5 = 3.9, with the example's weights."""
    weights = framework.scoring.weights.model_copy(
        update={"firmographic": 0.3, "behavioral": 0.4, "value": 0.3}
    )
    fw = framework.model_copy(
        update={"scoring": framework.scoring.model_copy(update={"weights": weights})}
    )
    composite = composite_score(pd.Series([4.0]), pd.Series([3.0]), pd.Series([5.0]), fw)
    assert composite.iloc[0] == pytest.approx(3.9)


@pytest.mark.parametrize(
    ("arr", "term", "strategic", "total", "tier"),
    [  # ARR points + expansion (no pipeline: ratio 1.0, 2) + contract + strategic
        (100_000, "Multi-year", "Industry influencer", 16, "Tier 1"),  # 5 + 2 + 5 + 4
        (100_000, "Multi-year", "Standard", 15, "Tier 2"),  # 5 + 2 + 5 + 3
        (10_000, "Annual (new)", "Standard", 10, "Tier 2"),  # 2 + 2 + 3 + 3
        (10_000, "Month-to-month", "Standard", 9, "Tier 3"),  # 2 + 2 + 2 + 3
    ],
)
def test_value_rubric_tier_cutoffs_decide_the_segment_on_the_value_only_basis(
    framework, arr, term, strategic, total, tier
):
    """Value only: Tier 1 at 16+ points, Tier 2 at 10-15, Tier 3 below 10."""
    fw = framework.model_copy(
        update={
            "assignment": framework.assignment.model_copy(update={"tier_basis": "value_points"})
        }
    )
    given = account(arr=float(arr), contract_term=term, strategic_importance=strategic)
    accounts = pd.DataFrame([{**given, "crm_tier": None}])  # no current tier to hold
    scores = score_value(accounts, fw)
    assert scores.loc[0, "value_points"] == total
    rubric = scores[["value_points", "value_rubric_tier"]]
    row = assign_segments(accounts, scored(3.0).join(rubric), fw, as_of=AS_OF).iloc[0]
    assert (row["computed_segment"], row["segment"]) == (tier, tier)


def test_the_worked_example_as_the_text_gives_its_inputs_is_tier_2_and_flagged(framework):
    """The worked example's inputs as written: 500 employees (4), a target industry (5),
    US (5), growth stage not given (1): firmographic 3.75, not the text's 4; the usage of
    the raw-fields test: behavioral 2; $85K ARR (4), strong pipeline (2x: 5), multi-year
    (5), strategic importance not given (3): value 4.25, not the text's 5. The composite is
    0.9375 + 0.8 + 1.4875 = 3.225, not 3.55, but the result is the text's: Tier 2
    (Low-Touch), flagged for intervention (high value, low behavior)."""
    accounts = pd.DataFrame(
        [
            account(
                industry="Software",
                growth_stage=None,
                arr=85_000.0,
                expansion_pipeline=85_000.0,
                contract_term="Multi-year",
                strategic_importance=None,
                crm_tier=None,
            )
        ]
    )
    scores = score_accounts(accounts, worked_example_usage(), framework, AS_OF)
    assert scores.loc[0, ["firmographic_score", "behavioral_score", "value_score"]].tolist() == [
        3.75,
        2.0,
        4.25,
    ]
    assert scores.loc[0, "composite_score"] == pytest.approx(3.225)
    row = assign_segments(accounts, scores, framework, as_of=AS_OF).iloc[0]
    assert (row["segment"], row["service_model"], bool(row["at_risk"])) == (
        "Tier 2",
        "low_touch",
        True,
    )
