"""The dashboard's report panels: the month's report tables as formatted text, worked by
hand from small tables (the numbers themselves are tested in tests/core/reports)."""

import pandas as pd

from segmentation_pipeline.core.dashboard_panels import (
    capacity_panel,
    health_panel,
    money,
    outlier_panel,
    percent,
    product_line_panel,
    sub_segment_panel,
)
from segmentation_pipeline.core.reports.capacity import csm_capacity
from segmentation_pipeline.core.reports.outliers import outliers
from segmentation_pipeline.core.reports.sub_segments import sub_segment_distribution
from segmentation_pipeline.framework import load_framework

FW = load_framework()


def test_money_and_percent_read_like_the_kpis():
    assert [money(950), money(12_340), money(1_250_000), money(float("nan"))] == [
        "$950",
        "$12.3K",
        "$1.25M",
        "",
    ]
    assert [percent(0.4567), percent(None)] == ["45.7%", ""]


HEALTH = pd.DataFrame(
    {
        "segment": ["Tier 1", "Tier 1"],
        "tier_label": ["Enterprise", "Enterprise"],
        "dimension": ["all", "industry"],
        "dimension_value": ["All", "Software"],
        "accounts": [4, 2],
        "nps_accounts": [2, 1],
        "mean_nps": [35.0, 10.0],
        "nps_coverage": [0.5, 0.5],
        "median_nps": [35.0, 10.0],
        "mean_behavioral_score": [3.456, 3.0],
        "mean_composite_score": [4.2, 4.1],
        "at_risk": [1, 0],
        "at_risk_share": [0.25, 0.0],
    }
)


def test_the_health_panel_shows_each_segments_nps_and_engagement():
    panel = health_panel(HEALTH)
    assert panel.rows == [["Tier 1 · Enterprise", "4", "35.0", "50.0%", "3.46", "1", "25.0%"]]


def _assignments(rows):
    frame = pd.DataFrame(
        rows, columns=["account_id", "owner_id", "segment", "arr", "composite_score"]
    )
    model = {"Tier 1": "high_touch", "Tier 2": "low_touch", "Tier 3": "tech_touch"}
    return frame.assign(
        name=frame["account_id"].str.upper(), tier_label=None,
        service_model=frame["segment"].map(model),
    )  # fmt: skip


def test_the_sub_segment_panel_shows_shares_of_the_segment():
    rows = [("a", "u1", "Tier 1", 250_000.0, 4.5), ("b", "u1", "Tier 1", 400_000.0, 4.5)]
    rows += [(f"r{i}", "u1", "Tier 1", 50_000.0, 4.5) for i in range(6)]
    table = sub_segment_distribution(_assignments(rows), FW.reporting.sub_segments)
    assert sub_segment_panel(table).rows == [
        ["Tier 1", "Enterprise $250K+", "2", "$650.0K", "25.0%", "68.4%"],  # 650 / 950
        ["Tier 1", "Tier 1 (rest)", "6", "$300.0K", "75.0%", "31.6%"],
    ]


def test_the_outlier_panel_counts_per_rule_and_lists_the_largest_first():
    found = outliers(
        _assignments(
            [
                ("a", "u1", "Tier 3", 120_000.0, 2.0),
                ("b", "u2", "Tier 3", 300_000.0, 2.0),
                ("c", "u2", "Tier 1", 10_000.0, 4.5),
            ]
        ),
        FW.tiers,
        FW.reporting.outliers,
    )
    panel = outlier_panel(found[["rule", "segment", "account_id", "arr"]],
                          found.sort_values("arr", ascending=False))  # fmt: skip
    assert panel.title == "Outliers for review (3 accounts)"
    assert [row[:4] for row in panel.rows] == [
        ["B", "u2", "Tier 3", "$300.0K"],
        ["A", "u1", "Tier 3", "$120.0K"],
        ["C", "u2", "Tier 1", "$10.0K"],
    ]
    assert panel.rows[0][5] == "ARR $300K >= $100K in Tier 3"
    assert panel.note.startswith(
        "arr high for segment in Tier 3: 2 ($420.0K); arr low for segment in Tier 1: 1 ($10.0K)"
    )


def test_the_outlier_panel_counts_accounts_not_rule_breaks():
    # d is a Tier 1 account of $10K ARR scoring 3.0: ARR low and 1.0 below its band.
    rows = [("c", "u2", "Tier 1", 10_000.0, 4.5), ("d", "u1", "Tier 1", 10_000.0, 3.0)]
    found = outliers(_assignments(rows), FW.tiers, FW.reporting.outliers)
    panel = outlier_panel(found[["rule", "segment", "account_id", "arr"]], found)
    assert panel.title == "Outliers for review (2 accounts, 3 rule breaks)"


def test_a_month_without_outliers_has_an_empty_outlier_panel():
    panel = outlier_panel(pd.DataFrame(), pd.DataFrame())  # no table rows: no columns either
    assert panel.title == "Outliers for review (0 accounts)" and panel.rows == []


def test_the_capacity_panel_lists_owners_off_their_ratio_first():
    rows = [(f"o{i}", "u1", "Tier 1", 1000.0, 4.5) for i in range(60)]  # 60/50: 1.2 books
    rows += [(f"s{i}", "u2", "Tier 1", 1000.0, 4.5) for i in range(5)]  # 5/15: 0.33 min
    rows += [(f"w{i}", "u3", "Tier 1", 1000.0, 4.5) for i in range(30)]  # within
    rows += [(f"n{i}", None, "Tier 1", 1000.0, 4.5) for i in range(70)]  # no one's book
    named = _assignments(rows).assign(owner_name=lambda f: f["owner_id"].map({"u1": "Ada"}))
    panel = capacity_panel(csm_capacity(named, FW.service_models))
    assert panel.title == (
        "CSM capacity: 1 overloaded, 1 underloaded of 3 owners; 70 accounts without an owner"
    )
    assert panel.rows == [
        ["Ada", "60", "$60.0K", "1.20", "4.00", "overloaded"],
        ["u2", "5", "$5.0K", "0.10", "0.33", "underloaded"],
        ["u3", "30", "$30.0K", "0.60", "2.00", "within ratio"],
        ["(unassigned)", "70", "$70.0K", "1.40", "4.67", "no owner"],
    ]


def test_the_product_line_panel_shows_penetration_and_product_arr():
    table = pd.DataFrame(
        {
            "segment": ["Tier 2"],
            "tier_label": ["Mid-Market"],
            "product": ["Analytics"],
            "accounts": [3],
            "segment_accounts": [12],
            "penetration": [0.25],
            "product_arr": [45_000.0],
            "mean_product_arr": [15_000.0],
            "mean_nps": [None],
        }
    )
    assert product_line_panel(table).rows == [
        ["Tier 2 · Mid-Market", "Analytics", "3", "25.0%", "$45.0K", "$15.0K", ""]
    ]


def test_the_capacity_panel_says_when_it_shows_only_some_owners():
    # 20 owners of 30 High-Touch accounts each (0.60 full books, 2.00 minimum books: all
    # within ratio): the panel lists 15 of them, and says so.
    rows = [(f"a{o}-{i}", f"u{o:02d}", "Tier 1", 1000.0, 4.5) for o in range(20) for i in range(30)]
    panel = capacity_panel(csm_capacity(_assignments(rows), FW.service_models))
    assert panel.title == "CSM capacity: 0 overloaded, 0 underloaded of 20 owners"
    assert len(panel.rows) == 15
    assert "15 of 20 owners shown" in panel.note
    assert "report_csm_capacity" in panel.note


def test_the_capacity_panel_with_every_owner_shown_says_nothing_of_the_kind():
    rows = [(f"a{i}", "u1", "Tier 1", 1000.0, 4.5) for i in range(30)]
    rows += [(f"n{i}", None, "Tier 1", 1000.0, 4.5) for i in range(3)]
    panel = capacity_panel(csm_capacity(_assignments(rows), FW.service_models))
    assert len(panel.rows) == 2
    assert "shown" not in panel.note
