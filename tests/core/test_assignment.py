"""Segment assignment: every worked example and edge case of the methodology is one row.

Default account (tests/conftest.py): 500 employees, Software, US, Established; $85K ARR,
no expansion pipeline, multi-year, standard customer; 400 days old. Default usage row:
every behavioral criterion at 4 points."""

import pandas as pd
import pytest

from segmentation_pipeline.core.assignment import assign_segments
from segmentation_pipeline.core.scoring import score_accounts
from segmentation_pipeline.framework import parse_framework

AS_OF = pd.Timestamp("2026-11-01")
CREATED_10_DAYS_AGO = pd.Timestamp(AS_OF, tz="UTC") - pd.Timedelta(days=10)

# Firmographic 4: 500 employees (4), Software (5), US (5), Early-stage (2).
FIRM_4 = {"employees": 500, "growth_stage": "Early-stage"}
# Value 5: $150K ARR (5), pipeline 2.3x (5), multi-year (5), named logo (5).
VALUE_5 = {
    "arr": 150_000,
    "expansion_pipeline": 200_000,
    "contract_term": "Multi-year",
    "strategic_importance": "Named logo",
}
# Behavioral 2: 30% active (2), 20% of features (2), 3 tickets (2), NPS -10 (2),
# 30% onboarded (2).
BEHAVIORAL_2 = {
    "active_users": 30,
    "features_adopted": 4,
    "open_tickets": 3,
    "nps": -10,
    "onboarding_completion": 0.3,
}


UNREADABLE_AGE = "Not segmented because created date is not valid (unparseable)"


def assign(make_accounts, make_usage, framework, accounts, usage=(), state=None):
    frame = make_accounts(*accounts)
    scores = score_accounts(frame, make_usage(*usage), framework, AS_OF)
    return assign_segments(frame, scores, framework, state, AS_OF)


CASES = [
    pytest.param(
        FIRM_4 | VALUE_5,
        [BEHAVIORAL_2],
        {
            "firmographic_score": 4,
            "behavioral_score": 2,
            "value_score": 5,
            "composite_score": 3.55,
            "segment": "Tier 2",
            "service_model": "low_touch",
            "status": "segmented",
            "at_risk": True,
            "tier_rule": "composite",
        },
        id="worked example 4/2/5 -> 3.55 Tier 2, at risk",
    ),
    pytest.param(
        FIRM_4 | VALUE_5 | {"arr": 85_000},
        [BEHAVIORAL_2],
        # The rubric gives $85K 4 points, so value is 4.75 and composite 3.4625.
        {"value_score": 4.75, "composite_score": 3.4625, "segment": "Tier 2", "at_risk": True},
        id="worked example as written ($85K ARR) -> Tier 2, at risk",
    ),
    pytest.param(
        FIRM_4 | VALUE_5 | {"created_date": CREATED_10_DAYS_AGO},
        [],
        {
            "status": "provisional",
            "provisional": True,
            # (4 x 0.25 + 5 x 0.35) / 0.60, behavior left out
            "composite_score": 4.583333,
            "segment": "Tier 1",
            "provisional_until": pd.Timestamp("2026-11-21", tz="UTC"),
            "at_risk": False,
            "tier_rule": "provisional_composite",
        },
        id="new customer -> provisional segment on firmographic + value",
    ),
    pytest.param(
        {"segment_override": True, "crm_tier": "Tier 3"},
        [{}],
        {
            "status": "overridden",
            "segment": "Tier 3",
            "service_model": "tech_touch",
            "computed_segment": "Tier 2",
            "override_disagrees": True,
            "transition_status": None,
            "review_flags": "override_disagrees",
        },
        id="manual override keeps the CRM tier and reports the disagreement",
    ),
    pytest.param(
        {"segment_override": True, "crm_tier": None},
        [{}],
        {
            "status": "unsegmented",
            "segment": "Unsegmented",
            "unsegmented_reason": "invalid_override:no_crm_tier",
        },
        id="override without a CRM tier -> Unsegmented with a reason",
    ),
    pytest.param(
        {"segment_override": True, "crm_tier": "Platinum"},
        [{}],
        {
            "status": "unsegmented",
            "segment": "Unsegmented",
            "unsegmented_reason": "invalid_override:unknown_tier",
        },
        id="override of a tier the framework lacks -> Unsegmented, named as such",
    ),
    pytest.param(
        FIRM_4
        | {"arr": 130_000, "contract_term": "Multi-year"}
        | {"strategic_importance": "Named logo", "crm_tier": "Tier 2"},
        [{}],
        # Value (5 + 2 + 5 + 5) / 4 = 4.25 -> composite 1.0 + 1.6 + 1.4875 = 4.0875.
        {
            "computed_segment": "Tier 1",
            "segment": "Tier 2",
            "current_tier": "Tier 2",
            "transition_status": "pending",
            "transition_direction": "upgrade",
            "transition_to": "Tier 1",
            "review_flags": "transition_pending",
        },
        id="boundary crossing $45K -> $130K is queued, not reassigned",
    ),
    pytest.param(
        FIRM_4
        | {"arr": 45_000, "contract_term": "Multi-year"}
        | {"strategic_importance": "Named logo", "crm_tier": "Tier 2"},
        [{}],
        # Value (3 + 2 + 5 + 5) / 4 = 3.75 -> composite 3.9125: stays Tier 2.
        {"computed_segment": "Tier 2", "segment": "Tier 2", "transition_status": None},
        id="same account at $45K stays in its tier",
    ),
    pytest.param(
        {"employees": 1000, "growth_stage": "Growth", "industry": "Unknown"} | VALUE_5,
        [{}],
        # composite 4.5 x 0.25 + 4 x 0.4 + 5 x 0.35 = 4.475 would be Tier 1
        {
            "status": "segmented",
            "industry_unknown": True,
            "computed_segment": "Tier 3",
            "segment": "Tier 3",
            "tier_rule": "unknown_industry_default",
            "unsegmented_reason": None,
        },
        id="missing industry -> scored, routed to the default (SMB) playbook",
    ),
    pytest.param(
        {"employees": None} | VALUE_5,
        [{}],
        {"status": "segmented", "firmographic_score": 4.75, "segment": "Tier 1"},
        id="missing employee count -> ARR tier as size proxy (Enterprise: 5)",
    ),
    pytest.param(
        FIRM_4 | VALUE_5,
        [],
        {"behavioral_score": 3, "composite_score": 3.95, "segment": "Tier 2", "at_risk": False},
        id="missing usage -> behavioral median 3, never at risk on a guess",
    ),
    pytest.param(
        {"arr": None, "arr_reason": "missing"},
        [{}],
        {
            "status": "unsegmented",
            "segment": "Unsegmented",
            "unsegmented_reason": "missing_arr",
            "service_model": None,
            "explanation": "Not segmented because arr is missing in the CRM",
            "explanation_detail": "Unsegmented: missing_arr",
        },
        id="missing ARR -> Unsegmented: missing_arr",
    ),
    pytest.param(
        {"arr": None, "arr_reason": "unparseable"},
        [{}],
        {"status": "unsegmented", "unsegmented_reason": "invalid_arr:unparseable"},
        id="unreadable ARR -> Unsegmented: invalid_arr:unparseable",
    ),
    pytest.param(
        # Read as unknown, it would make the account established whatever its age.
        {"created_date": None, "created_date_reason": "unparseable"},
        [{}],
        {"unsegmented_reason": "invalid_created_date:unparseable", "explanation": UNREADABLE_AGE},
        id="unreadable creation date -> Unsegmented: invalid_created_date:unparseable",
    ),
    pytest.param(
        {"created_date": None, "created_date_reason": "out_of_range"},
        [{}],
        {"status": "unsegmented", "unsegmented_reason": "invalid_created_date:out_of_range"},
        id="creation date in year 1 -> Unsegmented: invalid_created_date:out_of_range",
    ),
    pytest.param(
        {"arr": 125_000, "crm_tier": None},
        [
            {"product": "Core Platform", "product_arr": 120_000},
            {
                "product": "Analytics",
                "product_arr": 5_000,
                "active_users": 5,
                "licensed_users": 50,
                "features_adopted": 1,
                "open_tickets": 0,
            },
        ],
        {
            "relationship_value": 125_000,
            "products": 2,
            "product_adoption": "Analytics: pilot; Core Platform: mature",
            "segment": "Tier 2",
        },
        id="multi-product -> one segment on total relationship, tags per product",
    ),
]


@pytest.mark.parametrize(("account", "usage", "expected"), CASES)
def test_methodology_cases(make_accounts, make_usage, framework, account, usage, expected):
    row = assign(make_accounts, make_usage, framework, [account], [dict(u) for u in usage]).iloc[0]
    for column, value in expected.items():
        actual = row[column]
        if isinstance(value, float):
            assert actual == pytest.approx(value, abs=1e-6), column
        elif value is None:
            assert actual is None or pd.isna(actual), column
        else:
            assert actual == value, column


@pytest.fixture
def worked_example(make_accounts, make_usage, framework) -> pd.Series:
    return assign(make_accounts, make_usage, framework, [FIRM_4 | VALUE_5], [BEHAVIORAL_2]).iloc[0]


def test_worked_example_explanation_detail_lists_every_criterion(worked_example):
    assert worked_example["explanation_detail"] == (
        "Tier 2 (Low-Touch): composite 3.55 = F4x0.25 + B2x0.4 + V5x0.35 >= 2.5"
        " | value 5 [ARR $150K:5, expansion 2.3x:5, Multi-year:5, Named logo:5]"
        " | behavioral 2 [active users 30%:2, features 20%:2, tickets 3:2, NPS -10:2,"
        " onboarding:2]"
        " | firmographic 4 [500 employees:4, Software:5, US:5, Early-stage:2]"
        " | AT RISK: high value, low engagement"
    )


# A young account, one without a headcount, a manual override and an unknown industry.
EDGE_CASES = [
    {"account_id": "new", "created_date": CREATED_10_DAYS_AGO},
    {"account_id": "proxy", "employees": None},
    {"account_id": "owned", "segment_override": True, "crm_tier": "Tier 1"},
    {"account_id": "unknown", "industry": None},
]


def test_explanations_name_the_fallbacks_and_overrides(make_accounts, make_usage, framework):
    rows = assign(
        make_accounts,
        make_usage,
        framework,
        EDGE_CASES,
    ).set_index("account_id")["explanation_detail"]
    assert rows["new"].startswith("Tier 2 (Low-Touch) PROVISIONAL until 2026-11-21: ")
    assert "(<30d, no behavior)" in rows["new"]
    assert "behavioral skipped (provisional)" in rows["new"]
    assert "behavioral 3 (no usage data: median 3)" in rows["proxy"]
    assert "[size from ARR:3," in rows["proxy"]
    assert rows["owned"].startswith("MANUAL OVERRIDE keeps Tier 1 (High-Touch); computed Tier 2")
    assert "industry unknown -> Tier 3 playbook (" in rows["unknown"]


def test_firmographic_only_approach_assigns_by_rubric_points(make_accounts, make_usage, framework):
    data = framework.model_dump()
    data["assignment"]["tier_basis"] = "firmographic_points"
    firm_only = parse_framework(data)
    rows = assign(
        make_accounts,
        make_usage,
        firm_only,
        [
            {"account_id": "16", "employees": 100, "growth_stage": "Mature"},  # 3+5+5+3
            {"account_id": "15", "employees": 50, "growth_stage": "Mature"},  # 2+5+5+3
            {
                "account_id": "9",
                "employees": 10,
                "growth_stage": "Pre-revenue",
                "industry": "Retail",
            },
        ],
    ).set_index("account_id")
    assert rows["segment"].to_dict() == {"16": "Tier 1", "15": "Tier 2", "9": "Tier 3"}
    assert (
        "firmographic rubric 16 pts (Tier 1 >= 16, Tier 2 >= 10)"
        in rows.loc["16", "explanation_detail"]
    )


def test_every_foundation_column_is_kept(make_accounts, make_usage, framework):
    foundation = [
        "account_id", "name", "owner_id", "arr", "arr_tier", "industry", "country_code",
        "region", "company_size_band", "firmographic_score", "behavioral_score",
        "value_score", "composite_score", "segment", "tier_label", "service_model",
        "service_model_label", "status", "provisional", "at_risk", "unsegmented_reason",
        "explanation", "explanation_detail", "framework_version", "crm_tier", "segment_override",
    ]  # fmt: skip
    frame = assign(make_accounts, make_usage, framework, [{}])
    assert set(foundation) <= set(frame.columns)
    assert frame["framework_version"].iloc[0] == framework.version


def test_explanations_worked_out_in_slices_are_the_same_lines_on_the_frames_own_labels(
    make_accounts, make_usage, framework, monkeypatch
):
    from segmentation_pipeline.core import assignment, explanations

    captured = {}

    def keep_frame(frame, fw):
        captured["frame"] = frame
        return explanations.explain_detail(frame, fw)

    monkeypatch.setattr(assignment, "explain_detail", keep_frame)
    assign(
        make_accounts,
        make_usage,
        framework,
        [*EDGE_CASES, {"account_id": "bare", "arr": None}],
    )
    frame = captured["frame"]
    frame.index = [50, 7, 3, 12, 0]  # labels that are not positions
    whole = explanations.explain_detail(frame, framework, workers=1)
    monkeypatch.setattr(explanations, "PARALLEL_ROWS", 2)
    sliced = explanations.explain_detail(frame, framework, workers=3)  # capped at 5 // 2 slices
    pd.testing.assert_series_equal(sliced, whole)
    assert whole.index.tolist() == [50, 7, 3, 12, 0] and whole.notna().all()
    assert whole[0] == "Unsegmented: missing_arr"


# The sentence names the criteria that moved the composite furthest from an account with
# 3 points on every criterion: pull = (points - 3) x weight of its dimension / criteria
# scored in that dimension. Worked example: each value criterion (5 points) pulls
# (5 - 3) x 0.35 / 4 = +0.175, each behavioral one (2 points) (2 - 3) x 0.4 / 5 = -0.08,
# Software and US +0.125: the first three value criteria (ties keep the rubric's order).
def test_worked_example_sentence_names_the_three_strongest_pulls(worked_example):
    assert worked_example["explanation"] == (
        "Tier 2 (composite 3.55) because ARR of $150K, expansion potential of 2.3x and a "
        "Multi-year contract score high; at risk: high value, low engagement"
    )


# $5K ARR scores 1: (1 - 3) x 0.35 / 4 = -0.175, as far down as Multi-year (+0.175) is up;
# 90% active users (5) pull (5 - 3) x 0.4 / 5 = +0.16, ahead of the 80% adoption (+0.16,
# later in the rubric) and Software (+0.125). Those that raise come before "offset by".
def test_sentence_says_what_offsets_the_strengths(make_accounts, make_usage, framework):
    row = assign(
        make_accounts,
        make_usage,
        framework,
        [{"arr": 5000, "contract_term": "Multi-year"}],
        [{"active_users": 90, "features_adopted": 16, "open_tickets": 3}],
    )
    assert row["explanation"].iloc[0] == (
        "Tier 2 (composite 3.68) because a Multi-year contract and 90% active users are "
        "offset by ARR of $5K"
    )


# A framework that weighs behavior alone has no other weight to renormalise when behavior
# is not scored: the composite is the behavioral fallback (3, the median), and so is the
# sentence's weighing (found by the property test: it divided by zero).
def test_behavior_alone_weighs_an_account_without_usage(make_accounts, make_usage, framework):
    weights = framework.scoring.weights.model_copy(
        update={"firmographic": 0.0, "behavioral": 1.0, "value": 0.0}
    )
    scoring = framework.scoring.model_copy(update={"weights": weights})
    fw = framework.model_copy(update={"scoring": scoring})
    row = assign(make_accounts, make_usage, fw, [{"account_id": "quiet"}]).iloc[0]
    assert row["composite_score"] == 3.0
    assert row["explanation"].startswith("Tier 2 (composite 3.00)")


def test_sentences_say_why_the_held_segment_differs(make_accounts, make_usage, framework):
    rows = assign(make_accounts, make_usage, framework, EDGE_CASES).set_index("account_id")
    said = rows["explanation"]
    # Provisional: behavior is not scored, so only firmographic and value criteria pull.
    assert said["new"] == (
        "Tier 2, provisional until 2026-11-21 (composite 3.91) because a Multi-year "
        "contract, the Software industry and market US score high"
    )
    assert said["owned"].startswith(
        "Tier 1 by manual override; the scores alone give Tier 2 (composite 3.55) because"
    )
    assert said["unknown"].startswith(
        "Tier 3 playbook as the industry is unknown; the scores give Tier 2 (composite 3.42)"
    )
