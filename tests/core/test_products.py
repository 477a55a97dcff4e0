"""Multi-product usage (methodology edge case 2): one relationship, a tag per product."""

import numpy as np
import pandas as pd
import pytest

from segmentation_pipeline.core.products import (
    account_usage,
    named_usage_values,
    repeated_usage_rows,
    standardize_usage,
)
from segmentation_pipeline.core.scoring import score_accounts
from segmentation_pipeline.framework import parse_framework

AS_OF = pd.Timestamp("2026-11-01")


def test_usage_export_with_products_standardizes_to_one_row_per_product():
    raw = pd.DataFrame(
        {
            "AccountId": ["A", "A", "B", None, "A"],
            "Product": ["Core", "Analytics", None, "Core", "Analytics"],
            "ProductARR": ["90000", "5000", "", "1", "6000"],
            "ActiveUsers": ["10", "2", "3", "1", "x"],
            "LicensedUsers": ["20", "10", "3", "1", "10"],
        }
    )
    usage = standardize_usage(raw)
    assert usage[["account_id", "product"]].values.tolist() == [
        ["A", "Core"],
        ["B", None],
        ["A", "Analytics"],  # the repeated (A, Analytics) keeps its last row
    ]
    assert usage["product_arr"].tolist()[2] == 6000
    assert np.isnan(usage["active_users"].tolist()[2])


def test_a_usage_value_outside_its_range_reads_as_unknown_and_is_named():
    """Onboarding completion is a share: 15 (a percent) would score as a perfect 5; an
    NPS of 250 or a negative ticket count cannot be."""
    raw = pd.DataFrame(
        {
            "AccountId": ["A", "B", "C"],
            "OnboardingCompletion": ["15", "0.8", "1"],
            "NPS": ["250", "-100", "40"],
            "OpenTickets": ["-4", "0", "3"],
        }
    )
    usage = standardize_usage(raw)
    assert usage["onboarding_completion"].tolist()[1:] == [0.8, 1.0]
    assert usage["nps"].tolist()[1:] == [-100.0, 40.0]
    assert usage[["onboarding_completion", "nps", "open_tickets"]].iloc[0].isna().all()
    assert named_usage_values(raw)[0] == {
        "OpenTickets": ["-4"],
        "NPS": ["250"],
        "OnboardingCompletion": ["15"],
    }


def test_more_features_adopted_than_offered_reads_as_unknown_and_is_named():
    """12 of 10 features would score as more than full adoption; more active users than
    seats is a real overage and keeps its value."""
    raw = pd.DataFrame(
        {
            "AccountId": ["A", "B"],
            "FeaturesAdopted": ["12", "7"],
            "FeaturesAvailable": ["10", "10"],
            "ActiveUsers": ["30", "5"],
            "LicensedUsers": ["20", "10"],
        }
    )
    usage = standardize_usage(raw)
    assert np.isnan(usage["features_adopted"].iloc[0]) and usage["features_adopted"].iloc[1] == 7
    assert usage["active_users"].tolist() == [30.0, 5.0]
    assert named_usage_values(raw)[0] == {"FeaturesAdopted": ["12"]}


def test_a_usage_value_that_is_no_number_reads_as_unknown_and_is_named():
    """'85%' (a completion typed as a percent), '1,234' (a count with a thousands
    separator) and 'TRUE' (a spreadsheet cell typed over) are no numbers the feed can be
    read by: each scores as unknown, so each is named."""
    raw = pd.DataFrame(
        {
            "AccountId": ["A", "B", "C", "D"],
            "Logins30d": ["1,234", "7", "TRUE", None],
            "NPS": ["40", "+45", "-10", " 3 "],
            "OnboardingCompletion": ["85%", "0.8", "", "1"],
        }
    )
    usage = standardize_usage(raw)
    assert usage["logins_30d"].isna().tolist() == [True, False, True, True]
    assert usage["nps"].tolist() == [40.0, 45.0, -10.0, 3.0]
    assert named_usage_values(raw)[1] == {
        "Logins30d": ["1,234", "TRUE"],
        "OnboardingCompletion": ["85%"],
    }
    assert named_usage_values(raw.drop(columns=["Logins30d", "OnboardingCompletion"]))[1] == {}


def test_rows_repeating_an_account_and_product_with_other_values_are_named():
    """The last of them is kept; which one is right cannot be told, so they are named. A
    copy of a row (the same values) changes nothing and is not."""
    raw = pd.DataFrame(
        {
            "AccountId": ["A", "A ", "B", "B", "C", "C"],
            "Product": ["Core", "Core", "Core", "Core", "Core", "Analytics"],
            "ActiveUsers": ["10", "12", "3", "3", "1", "1"],
        }
    )
    assert repeated_usage_rows(raw) == {"A": 2}
    assert standardize_usage(raw)["active_users"].tolist()[0] == 12


def test_account_usage_sums_counts_and_averages_rates():
    usage = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "Z"],
            "active_users": [10, 2, 3, 99],
            "licensed_users": [20, 10, 3, 99],
            "features_adopted": [5, 1, 0, 0],
            "features_available": [20, 10, 5, 5],
            "open_tickets": [1, 2, np.nan, 0],
            "logins_30d": [1, 1, 1, 1],
            "nps": [40, np.nan, 10, 0],
            "onboarding_completion": [1.0, 0.5, np.nan, 0],
            "engagement_score": [np.nan] * 4,
        }
    )
    at = np.array([0, 0, 1, -1])  # Z is not a known account
    per = account_usage(usage, at, 3)
    assert per["active_users"].tolist()[:2] == [12, 3]
    assert per["licensed_users"].tolist()[:2] == [30, 3]
    assert per["open_tickets"].tolist()[0] == 3 and np.isnan(per["open_tickets"].tolist()[1])
    assert per["nps"].tolist()[0] == 40
    assert per["onboarding_completion"].tolist()[0] == 0.75
    assert per["has_usage"].tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("active", "features", "onboarding", "product_arr", "tag"),
    [
        (8, 14, 0.9, 50_000, "mature"),  # 5, 5, 5 -> 5.0
        (6, 10, 0.7, 50_000, "mature"),  # 4, 4, 4 -> 4.0
        (4, 6, 0.5, 50_000, "adopting"),  # 3, 3, 3 -> 3.0
        (4, 3, 0.5, 50_000, "adopting"),  # 3, 2, 3 -> 2.67
        (2, 3, 0.5, 50_000, "low adoption"),  # 2, 2, 3 -> 2.33
        (8, 14, 0.9, 9_999, "pilot"),  # a small secondary product is a pilot
    ],
)
def test_adoption_tags(
    make_accounts, make_usage, framework, active, features, onboarding, product_arr, tag
):
    usage = make_usage(
        {"product": "Core", "product_arr": 200_000},
        {
            "product": "Add-on",
            "product_arr": product_arr,
            "active_users": active,
            "licensed_users": 10,
            "features_adopted": features,
            "features_available": 20,
            "onboarding_completion": onboarding,
        },
    )
    scores = score_accounts(make_accounts({}), usage, framework, AS_OF)
    assert scores["product_adoption"].iloc[0] == f"Add-on: {tag}; Core: mature"


def test_the_largest_product_is_never_a_pilot(make_accounts, make_usage, framework):
    usage = make_usage({"product": "Core", "product_arr": 8_000})
    scores = score_accounts(make_accounts({"arr": 8_000}), usage, framework, AS_OF)
    assert scores["product_adoption"].iloc[0] == "Core: mature"


def test_relationship_value_is_the_crm_arr_by_default(make_accounts, make_usage, framework):
    accounts = make_accounts({"arr": 100_000})
    usage = make_usage(
        {"product": "Core", "product_arr": 120_000}, {"product": "Analytics", "product_arr": 5_000}
    )
    scores = score_accounts(accounts, usage, framework, AS_OF)
    assert scores["relationship_value"].iloc[0] == 100_000
    assert scores["products"].iloc[0] == 2


def test_relationship_value_can_sum_the_products(make_accounts, make_usage, framework):
    data = framework.model_dump()
    data["assignment"]["multi_product"]["relationship_value"] = "sum_of_products"
    framework = parse_framework(data)
    accounts = make_accounts(
        {"account_id": "multi", "arr": 100_000},
        {"account_id": "single", "arr": 40_000},
    )
    usage = make_usage(
        {"account_id": "multi", "product": "Core", "product_arr": 120_000},
        {"account_id": "multi", "product": "Analytics", "product_arr": 5_000},
        {"account_id": "single"},
    )
    scores = score_accounts(accounts, usage, framework, AS_OF).set_index("account_id")
    assert scores.loc["multi", "relationship_value"] == 125_000
    assert scores.loc["multi", "products"] == 2
    assert scores.loc["single", "relationship_value"] == 40_000
    assert scores.loc["single", "products"] == 0
    assert pd.isna(scores.loc["single", "product_adoption"])


def test_a_count_with_a_fraction_reads_as_unknown_and_is_named():
    """A European spreadsheet writes 1234 logins as '1.234'; read as a decimal, it was one
    login and a quiet low engagement score. No count holds a fraction, so such a value is
    out of range; a count written '12.0' is whole and stays."""
    raw = pd.DataFrame(
        {
            "AccountId": ["A", "B", "C"],
            "Logins30d": ["1.234", "12.0", "40"],
            "ActiveUsers": ["5", "2.5", "3"],
            "LicensedUsers": ["10", "10", "10"],
        }
    )
    usage = standardize_usage(raw)
    assert usage["logins_30d"].isna().tolist() == [True, False, False]
    assert usage["logins_30d"].tolist()[1:] == [12.0, 40.0]
    assert usage["active_users"].isna().tolist() == [False, True, False]
    assert named_usage_values(raw)[0] == {"Logins30d": ["1.234"], "ActiveUsers": ["2.5"]}
