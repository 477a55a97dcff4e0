"""A merged duplicate's usage counts for its survivor, by the framework's `merged_usage`
rule: counts summed, features the larger, rates weighted by users. Values worked by hand."""

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.merged_usage import (
    MASTER_COLUMN,
    attributed_usage,
    final_masters,
    mark_masters,
    still_merged,
    survivor_usage,
)
from segmentation_pipeline.core.scoring import score_accounts

AS_OF = pd.Timestamp("2026-11-01")


def audit(*pairs):
    return pd.DataFrame(pairs, columns=["account_id", "survivor_id"])


def test_counts_summed_features_the_larger_rates_weighted_by_users(make_usage, framework):
    usage = make_usage(
        dict(account_id="S", logins_30d=100, active_users=10, licensed_users=20,
             features_adopted=5, features_available=20, open_tickets=1, nps=50,
             onboarding_completion=0.9, engagement_score=0.8),
        dict(account_id="D", logins_30d=300, active_users=30, licensed_users=60,
             features_adopted=8, features_available=20, open_tickets=2, nps=10,
             onboarding_completion=0.5, engagement_score=None),
    )  # fmt: skip
    [row] = survivor_usage(usage, audit(("D", "S")), framework.dedup).to_dict("records")
    assert row["account_id"] == "S"
    assert (row["logins_30d"], row["active_users"], row["licensed_users"]) == (400, 40, 80)
    assert (row["features_adopted"], row["features_available"]) == (8, 20)
    assert row["open_tickets"] == 3
    assert row["nps"] == pytest.approx((10 * 50 + 30 * 10) / 40)  # 20
    assert row["onboarding_completion"] == pytest.approx((20 * 0.9 + 60 * 0.5) / 80)  # 0.6
    assert row["engagement_score"] == pytest.approx(0.8)  # the one record that has it


def test_a_rate_without_a_positive_weight_counts_only_when_none_has_one(make_usage, framework):
    usage = make_usage(
        dict(account_id="S", active_users=0, nps=30),
        dict(account_id="D", active_users=None, nps=10),
        dict(account_id="T", active_users=0, nps=-20),
        dict(account_id="E", active_users=5, nps=60),
    )
    merged = survivor_usage(usage, audit(("D", "S"), ("E", "T")), framework.dedup)
    assert merged["account_id"].tolist() == ["S", "T"]
    assert merged["nps"].tolist() == [20.0, 60.0]  # plain mean of 30 and 10; T: E's alone


def test_rows_are_combined_per_product_and_others_pass_unchanged(make_usage, framework):
    usage = make_usage(
        dict(account_id="S", product="Core", product_arr=1000, active_users=10),
        dict(account_id="X", product="Core", product_arr=50, active_users=7),
        dict(account_id="D", product="Analytics", product_arr=200, active_users=2),
        dict(account_id="D", product="Core", product_arr=500, active_users=5),
    )
    merged = survivor_usage(usage, audit(("D", "S")), framework.dedup)
    assert merged[["account_id", "product", "product_arr", "active_users"]].values.tolist() == [
        ["S", "Core", 1500.0, 15.0],
        ["X", "Core", 50.0, 7.0],
        ["S", "Analytics", 200.0, 2.0],
    ]


def test_without_merged_rows_the_usage_is_returned_as_it_was(make_usage, framework):
    usage = make_usage(dict(account_id="S"), dict(account_id="X"))
    assert survivor_usage(usage, audit(("D", "S")), framework.dedup) is usage
    assert survivor_usage(usage, audit(), framework.dedup) is usage


def test_the_survivor_is_scored_on_its_duplicates_usage(make_accounts, make_usage, framework):
    # The survivor has no usage row of its own: before, "no usage data: median 3".
    accounts = make_accounts(dict(account_id="S", duplicate_count=1))
    usage = make_usage(
        dict(account_id="D", active_users=30, licensed_users=40, features_adopted=12,
             features_available=20, open_tickets=0, nps=55, onboarding_completion=0.95),
    )  # fmt: skip
    alone = score_accounts(accounts, usage, framework, AS_OF).iloc[0]
    assert alone["behavioral_fallback"] == "no_usage_data_median"
    merged = survivor_usage(usage, audit(("D", "S")), framework.dedup)
    row = score_accounts(accounts, merged, framework, AS_OF).iloc[0]
    assert row["behavioral_fallback"] is None
    # usage 30/40 = 0.75 -> 4; adoption 12/20 = 0.6 -> 4; 0 tickets -> 5; NPS 55 -> 5;
    # onboarding 0.95 -> 5: (4 + 4 + 5 + 5 + 5) / 5 = 4.6
    assert row["behavioral_score"] == pytest.approx(4.6)


def test_merged_nps_scores_at_its_weighted_value(make_accounts, make_usage, framework):
    accounts = make_accounts(dict(account_id="S", duplicate_count=1))
    usage = make_usage(
        dict(account_id="S", active_users=10, licensed_users=20, nps=50),
        dict(account_id="D", active_users=30, licensed_users=60, nps=10),
    )
    merged = survivor_usage(usage, audit(("D", "S")), framework.dedup)
    row = score_accounts(accounts, merged, framework, AS_OF).iloc[0]
    assert row["nps"] == pytest.approx(20.0)
    assert row["beh_nps_points"] == 3  # 0..29 -> 3 (the survivor's own 50 alone: 5)
    assert math.isclose(row["active_share"], 40 / 80)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C", "D", "E"]),
            st.sampled_from(["Core", "Analytics", None]),
            st.integers(0, 50),
        ),
        max_size=12,
        unique_by=lambda r: (r[0], r[1]),
    ),
    folded=st.dictionaries(st.sampled_from(["C", "D", "E"]), st.sampled_from(["A", "B"])),
)
def test_every_count_lands_once_with_its_survivor(rows, folded, framework):
    usage = make_usage_rows(rows)
    merged = survivor_usage(usage, audit(*folded.items()), framework.dedup)
    # No folded account keeps a row; one row per survivor and product; counts preserved.
    assert not merged["account_id"].isin(list(folded)).any()
    assert not merged[["account_id", "product"]].astype(object).duplicated().any()
    assert merged["logins_30d"].sum() == usage["logins_30d"].sum()
    owner = usage["account_id"].map(lambda a: folded.get(a, a))
    expected = usage.groupby(owner)["logins_30d"].sum()
    assert merged.groupby("account_id")["logins_30d"].sum().to_dict() == expected.to_dict()


def make_usage_rows(rows):
    from segmentation_pipeline.core.products import conform_usage

    return conform_usage(
        pd.DataFrame(
            [{"account_id": a, "product": p, "logins_30d": n} for a, p, n in rows],
            columns=["account_id", "product", "logins_30d"],
        )
    )


# --- merges made in the CRM ------------------------------------------------------------
def test_merges_made_in_the_crm_are_kept_until_the_loser_is_live_again():
    held = {"B": "A", "R": "A"}
    assert still_merged(held, {"D": "C"}, live=["A", "C", "R"]) == {"B": "A", "D": "C"}


def test_a_chain_of_crm_merges_ends_at_the_account_holding_the_records_now():
    # B into A, then A into C; E into D. A loop (no CRM writes one) ends before repeating.
    assert final_masters({"B": "A", "A": "C", "E": "D"}) == {"B": "C", "A": "C", "E": "D"}
    assert final_masters({"X": "Y", "Y": "X"}) == {"X": "Y", "Y": "X"}


def test_usage_rows_of_a_merged_away_account_are_marked_with_its_master():
    raw = pd.DataFrame({"AccountId": ["A", " B", "C"], "Logins30d": ["1", "2", "3"]})
    marked = mark_masters(raw, {"B": "A"})
    assert marked[MASTER_COLUMN].tolist() == [None, "A", None]
    assert MASTER_COLUMN not in mark_masters(raw, {"Z": "A"})  # no row names a loser


def test_a_loser_named_by_the_other_form_of_its_id_is_marked_too():
    """The merge gives 18-character Ids, a report export 15: 001B0000001abcd has one
    capital, at position 3 of its first five characters (checksum IAA)."""
    raw = pd.DataFrame({"AccountId": ["001B0000001abcd"], "Logins30d": ["2"]})
    marked = mark_masters(raw, {"001B0000001abcdIAA": "001A0000001abcdIAA"})
    assert marked[MASTER_COLUMN].tolist() == ["001A0000001abcdIAA"]


def test_a_crm_merged_losers_usage_counts_for_its_master_then_its_survivor(framework):
    """B was merged into A in the CRM; the pipeline folds A into S. B's Core row joins A's,
    and both land on S with S's own: logins 10 + 20 + 5; Analytics is B's alone."""
    raw = pd.DataFrame(
        {
            "AccountId": ["A", "B", "B", "S", "X"],
            "Product": ["Core", "Core", "Analytics", "Core", "Core"],
            "Logins30d": ["10", "20", "7", "5", "1"],
            MASTER_COLUMN: [None, "A", "A", None, None],
        }
    )
    usage = attributed_usage(raw, audit(("A", "S")), framework.dedup)
    rows = usage[["account_id", "product", "logins_30d"]].values.tolist()
    assert rows == [["S", "Core", 35.0], ["S", "Analytics", 7.0], ["X", "Core", 1.0]]
