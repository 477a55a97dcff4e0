"""The playbook's reports on hand-built accounts: outliers by rule, CSM capacity against
the service models' csm_ratio, segment performance per product line and sub-segments.

Framework defaults: tiers Tier 1 >= 4.0 (high_touch 15-50 per CSM), Tier 2 >= 2.5
(low_touch 50-200), Tier 3 >= 0 (tech_touch 200-1000); outliers: Tier 3 ARR >= $100K,
Tier 2 ARR >= $250K, Tier 1 ARR < $25K, score more than 0.5 outside the band;
sub-segment "Enterprise $250K+" = Tier 1 with ARR >= $250K.
"""

import pandas as pd
import pytest

from segmentation_pipeline.core.reports.capacity import capacity_summary, csm_capacity
from segmentation_pipeline.core.reports.outliers import (
    ARR_HIGH,
    ARR_LOW,
    SCORE_OUTSIDE,
    outlier_counts,
    outliers,
    score_bands,
)
from segmentation_pipeline.core.reports.product_lines import segment_product_lines
from segmentation_pipeline.core.reports.sub_segments import sub_segment_distribution
from segmentation_pipeline.framework import load_framework

FW = load_framework()
MODEL = {"Tier 1": "high_touch", "Tier 2": "low_touch", "Tier 3": "tech_touch"}


def accounts(rows: list[tuple]) -> pd.DataFrame:
    """(account_id, owner_id, segment, arr, composite_score) -> an assignments frame."""
    frame = pd.DataFrame(
        rows, columns=["account_id", "owner_id", "segment", "arr", "composite_score"]
    )
    return frame.assign(
        name=frame["account_id"].str.upper(),
        tier_label=frame["segment"].map({"Tier 1": "Enterprise", "Tier 2": "Mid-Market",
                                         "Tier 3": "SMB"}),
        service_model=frame["segment"].map(MODEL),
    )  # fmt: skip


# --- outliers -------------------------------------------------------------------------


def test_score_bands_run_from_a_tiers_minimum_to_the_next_tiers():
    assert score_bands(FW.tiers) == {
        "Tier 3": (0.0, 2.5),
        "Tier 2": (2.5, 4.0),
        "Tier 1": (4.0, float("inf")),
    }


OUTLIER_ACCOUNTS = accounts(
    [
        ("a", "u1", "Tier 3", 120_000.0, 2.0),  # ARR >= 100K in Tier 3
        ("b", "u1", "Tier 3", 100_000.0, 2.4),  # exactly 100K: at least, so flagged
        ("c", "u1", "Tier 3", 99_999.0, 2.4),  # below the limit
        ("d", "u2", "Tier 1", 20_000.0, 4.1),  # ARR < 25K in Tier 1
        ("e", "u2", "Tier 1", 300_000.0, 3.4),  # score 0.6 below 4.0: outside by > 0.5
        ("f", "u2", "Tier 1", 300_000.0, 3.5),  # exactly 0.5 below: not more than 0.5
        ("g", "u2", "Tier 3", 10_000.0, 3.1),  # 0.6 above Tier 3's band end 2.5
        ("h", "u2", "Tier 2", 260_000.0, None),  # ARR >= 250K in Tier 2, no score
        ("i", None, "Unsegmented", 500_000.0, None),  # no segment: no band, no rule
        ("j", "u2", None, 500_000.0, 9.0),  # segment missing: no band, no rule
    ]
)


def test_outliers_list_each_account_once_per_rule_it_breaks():
    table = outliers(OUTLIER_ACCOUNTS, FW.tiers, FW.reporting.outliers)
    found = sorted(zip(table["rule"], table["account_id"], strict=True))
    assert found == [
        (ARR_HIGH, "a"),
        (ARR_HIGH, "b"),
        (ARR_HIGH, "h"),
        (ARR_LOW, "d"),
        (SCORE_OUTSIDE, "e"),
        (SCORE_OUTSIDE, "g"),
    ]
    row = table.set_index(["rule", "account_id"]).loc[(SCORE_OUTSIDE, "e")]
    assert row["limit"] == 4.0
    assert row["detail"] == "score 3.40 outside Tier 1 band [4, inf) by more than 0.5"
    assert table.set_index(["rule", "account_id"]).loc[(SCORE_OUTSIDE, "g"), "limit"] == 2.5
    high = table.set_index(["rule", "account_id"]).loc[(ARR_HIGH, "a")]
    assert (high["limit"], high["detail"]) == (100_000.0, "ARR $120K >= $100K in Tier 3")


def test_outlier_counts_sum_accounts_and_arr_per_rule_and_segment():
    counts = outlier_counts(outliers(OUTLIER_ACCOUNTS, FW.tiers, FW.reporting.outliers))
    assert counts.to_dict("records") == [
        {"rule": ARR_HIGH, "segment": "Tier 2", "accounts": 1, "arr": 260_000.0},
        {"rule": ARR_HIGH, "segment": "Tier 3", "accounts": 2, "arr": 220_000.0},
        {"rule": ARR_LOW, "segment": "Tier 1", "accounts": 1, "arr": 20_000.0},
        {"rule": SCORE_OUTSIDE, "segment": "Tier 1", "accounts": 1, "arr": 300_000.0},
        {"rule": SCORE_OUTSIDE, "segment": "Tier 3", "accounts": 1, "arr": 10_000.0},
    ]


def test_the_outlier_limits_are_the_frameworks():
    rules = FW.reporting.outliers.model_copy(update={"arr_at_least": {"Tier 3": 120_001.0}})
    table = outliers(OUTLIER_ACCOUNTS, FW.tiers, rules)
    assert sorted(table.loc[table["rule"] == ARR_HIGH, "account_id"]) == []


# --- CSM capacity ---------------------------------------------------------------------


def _book(owner: str, segment: str, n: int, arr: float = 1000.0) -> list[tuple]:
    return [(f"{owner}-{segment}-{i}", owner, segment, arr, 3.0) for i in range(n)]


CAPACITY_ACCOUNTS = accounts(
    # u1: 30 Tier 1 (30/50 = 0.6 full books) + 100 Tier 2 (100/200 = 0.5): 1.1 -> overloaded
    _book("u1", "Tier 1", 30, 10_000.0)
    + _book("u1", "Tier 2", 100)
    # u2: 10 Tier 1: 10/15 = 0.67 minimum books -> underloaded
    + _book("u2", "Tier 1", 10)
    # u3: 20 Tier 1 (20/15 = 1.33 min, 0.4 full) + 300 Tier 3 (0.3 full): 0.7 -> within
    + _book("u3", "Tier 1", 20)
    + _book("u3", "Tier 3", 300, 100.0)
)


def test_capacity_measures_each_owner_in_full_and_minimum_books():
    table = csm_capacity(CAPACITY_ACCOUNTS, FW.service_models)
    totals = table[table["segment"] == "All"].set_index("owner_id")
    assert totals.loc["u1", "accounts"] == 130
    assert totals.loc["u1", "arr"] == 30 * 10_000 + 100 * 1000
    assert totals.loc["u1", "full_books"] == pytest.approx(30 / 50 + 100 / 200)
    assert totals.loc["u1", "load"] == "overloaded"
    assert totals.loc["u2", "minimum_books"] == pytest.approx(10 / 15)
    assert totals.loc["u2", "load"] == "underloaded"
    assert totals.loc["u3", "full_books"] == pytest.approx(20 / 50 + 300 / 1000)
    assert totals.loc["u3", "load"] == "within ratio"
    u1_tier2 = table[(table["owner_id"] == "u1") & (table["segment"] == "Tier 2")].iloc[0]
    assert (u1_tier2["service_model"], u1_tier2["csm_ratio_min"], u1_tier2["csm_ratio_max"]) == (
        "low_touch",
        50.0,
        200.0,
    )
    assert u1_tier2["accounts"] == 100


def test_capacity_summary_lists_overloaded_then_underloaded_owners():
    summary = capacity_summary(csm_capacity(CAPACITY_ACCOUNTS, FW.service_models))
    assert list(zip(summary["owner_id"], summary["load"], strict=True)) == [
        ("u1", "overloaded"),
        ("u2", "underloaded"),
        ("u3", "within ratio"),
    ]


def test_accounts_without_an_owner_are_no_ones_book_not_an_overloaded_owner():
    # 60 Tier 1 accounts with no owner would be 1.2 full books: overloaded, were it a CSM.
    unowned = accounts(_book("u2", "Tier 1", 10) + [(f"x{i}", None, "Tier 1", 500.0, 4.5)
                                                    for i in range(60)])  # fmt: skip
    summary = capacity_summary(csm_capacity(unowned, FW.service_models))
    assert list(zip(summary["owner"], summary["accounts"], summary["load"], strict=True)) == [
        ("u2", 10, "underloaded"),
        ("(unassigned)", 60, "no owner"),
    ]


def test_capacity_shows_owner_names_when_the_assignments_carry_them():
    named = CAPACITY_ACCOUNTS.assign(
        owner_name=CAPACITY_ACCOUNTS["owner_id"].map({"u1": "Ada Park", "u2": ""})
    )
    owners = csm_capacity(named, FW.service_models).drop_duplicates("owner_id")
    assert dict(zip(owners["owner_id"], owners["owner"], strict=True)) == {
        "u1": "Ada Park",
        "u2": "u2",  # a blank name falls back to the id
        "u3": "u3",
    }


# --- product lines --------------------------------------------------------------------


def test_segment_performance_per_product_line():
    assignments = accounts(
        [
            ("a", "u1", "Tier 1", 300.0, 4.5),
            ("b", "u1", "Tier 1", 200.0, 4.2),
            ("c", "u1", "Tier 2", 100.0, 3.0),
        ]
    )
    usage = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "c", "zz"],
            "product": ["Core", "Analytics", "Core", "Core", "Core"],
            "product_arr": [250.0, 50.0, 200.0, 100.0, 999.0],
            "nps": [40.0, 40.0, None, -10.0, 0.0],
        }
    )
    table = segment_product_lines(assignments, usage).set_index(["segment", "product"])
    core1 = table.loc[("Tier 1", "Core")]
    assert (core1["accounts"], core1["segment_accounts"], core1["penetration"]) == (2, 2, 1.0)
    assert (core1["product_arr"], core1["mean_product_arr"]) == (450.0, 225.0)
    assert core1["mean_nps"] == 40.0  # b gave no NPS
    analytics = table.loc[("Tier 1", "Analytics")]
    assert (analytics["accounts"], analytics["penetration"], analytics["product_arr"]) == (
        1,
        0.5,
        50.0,
    )
    assert table.loc[("Tier 2", "Core"), "mean_nps"] == -10.0
    assert len(table) == 3  # zz is not a segmented account


def test_an_export_without_products_has_no_product_lines():
    assignments = accounts([("a", "u1", "Tier 1", 300.0, 4.5)])
    assert segment_product_lines(assignments, pd.DataFrame({"account_id": ["a"]})).empty


# --- sub-segments ---------------------------------------------------------------------


def test_sub_segments_split_their_segment_in_the_distribution():
    assignments = accounts(
        [
            ("a", "u1", "Tier 1", 250_000.0, 4.5),  # at the limit: in the sub-segment
            ("b", "u1", "Tier 1", 400_000.0, 4.2),
            ("c", "u1", "Tier 1", 100_000.0, 4.0),
            ("d", "u1", "Tier 1", None, 4.0),  # no ARR: the rest
            ("e", "u1", "Tier 2", 900_000.0, 3.0),  # Tier 2 has no sub-segment
        ]
    )
    table = sub_segment_distribution(assignments, FW.reporting.sub_segments)
    assert table.to_dict("records") == [
        {
            "segment": "Tier 1",
            "tier_label": "Enterprise",
            "sub_segment": "Enterprise $250K+",
            "accounts": 2,
            "arr": 650_000.0,
            "segment_account_share": 0.5,
            "segment_arr_share": 650_000 / 750_000,
        },
        {
            "segment": "Tier 1",
            "tier_label": "Enterprise",
            "sub_segment": "Tier 1 (rest)",
            "accounts": 2,
            "arr": 100_000.0,
            "segment_account_share": 0.5,
            "segment_arr_share": 100_000 / 750_000,
        },
    ]
