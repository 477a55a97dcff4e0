"""Customers, ARR, NPS / health by segment, and the migration matrix, on the
hand-built history."""

import math

import pandas as pd
import pytest

from segmentation_pipeline.core.reports import (
    arr_by_segment,
    customers_by_segment,
    health_by_segment,
    migration_matrix,
    migration_pivot,
    segment_summary,
)
from tests.core.reports.history import FEB, JAN, MAR, MERGED, snapshot


def _row(table, segment, dimension="all", value="All"):
    hit = table[
        (table["segment"] == segment)
        & (table["dimension"] == dimension)
        & (table["dimension_value"] == value)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def test_customers_by_segment_counts_and_shares_within_each_dimension_value():
    march = snapshot(MAR).assign(at_risk=lambda f: f["account_id"].eq("A1"))
    table = customers_by_segment(march, ["industry"])
    # March: Tier 1 = A1 A4 B1, Tier 2 = A2 B3 N1, Tier 3 = C2 (7 accounts).
    assert _row(table, "Tier 1").accounts == 3
    assert _row(table, "Tier 1").account_share == pytest.approx(3 / 7)
    assert _row(table, "Tier 1").at_risk == 1
    assert _row(table, "Tier 1").tier_label == "Enterprise"
    # Manufacturing accounts: A1 B1 (Tier 1), A2 (Tier 2): Tier 1 is 2/3 of manufacturing.
    assert _row(table, "Tier 1", "industry", "Manufacturing").account_share == pytest.approx(2 / 3)
    assert set(table["dimension"]) == {"all", "industry"}


def test_missing_breakdown_values_get_their_own_row():
    jan = snapshot(JAN)
    jan.loc[jan["account_id"] == "C4", "region"] = None
    table = customers_by_segment(jan, ["region"])
    assert _row(table, "Tier 3", "region", "(missing)").accounts == 1


def test_arr_by_segment_ignores_missing_arr_in_sum_mean_and_median():
    table = arr_by_segment(snapshot(JAN), ["region"])
    # Tier 3: 8 + 6 + 4, C4 has no ARR.
    t3 = _row(table, "Tier 3")
    assert (t3.accounts, t3.accounts_with_arr, t3.arr) == (4, 3, 18)
    assert t3.mean_arr == 6 and t3.median_arr == 6
    # All January ARR: 500 + 100 + 18 = 618; Tier 1 holds 500 of it.
    assert _row(table, "Tier 1").arr_share == pytest.approx(500 / 618)
    # Tier 1 in EMEA is A2 alone (150) out of EMEA's 150 + 30 + 10 + 4 = 194.
    assert _row(table, "Tier 1", "region", "EMEA").arr_share == pytest.approx(150 / 194)


def test_segment_summary_keeps_the_foundation_report_shape():
    summary = segment_summary(snapshot(JAN)).set_index("segment")
    assert summary.loc["Tier 2", "arr"] == 100
    assert summary["account_share"].sum() == pytest.approx(1.0)


def test_summary_and_arr_by_segment_give_a_segment_the_same_known_arr_and_unknown_count():
    # Tier 1: 500 and one missing. Tier 3: its one account has no ARR. Unsegmented: one
    # account with a known 40 (e.g. waiting for enrichment) and two missing_arr.
    segments = ["Tier 1", "Tier 1", "Tier 3", "Unsegmented", "Unsegmented", "Unsegmented"]
    rows = snapshot(JAN).head(6).assign(segment=segments, arr=[500.0, None, None, 40.0, None, None])
    summary = segment_summary(rows).set_index("segment")
    by_arr = arr_by_segment(rows).set_index("segment")
    # Known ARR only; a segment with none sums to 0, its account counted as ARR unknown.
    expected = {"Tier 1": (2, 1, 500.0), "Tier 3": (1, 0, 0.0), "Unsegmented": (3, 1, 40.0)}
    for report in (summary, by_arr):
        got = report[["accounts", "accounts_with_arr", "arr"]]
        assert {s: tuple(r) for s, r in got.iterrows()} == expected
    # Shares of the 540 known: the same in both reports.
    assert summary.loc["Tier 1", "arr_share"] == pytest.approx(500 / 540)
    assert summary.loc["Tier 3", "arr_share"] == 0.0
    assert summary["arr_share"].to_dict() == pytest.approx(by_arr["arr_share"].to_dict())


def test_health_by_segment_uses_nps_where_it_exists():
    usage = pd.DataFrame({"account_id": ["A1", "A2", "B1", "X9"], "nps": [50, -10, None, 90]})
    feb = snapshot(FEB).assign(at_risk=lambda f: f["account_id"].isin(["A2", "B1"]))
    table = health_by_segment(feb, usage, ["industry"])
    # February Tier 1: A1 (50), A2 (-10), A4 (none), B1 (none); X9 is not an account.
    t1 = _row(table, "Tier 1")
    assert (t1.accounts, t1.nps_accounts) == (4, 2)
    assert t1.nps_coverage == 0.5
    assert t1.mean_nps == 20 and t1.median_nps == 20
    assert t1.at_risk == 2 and t1.at_risk_share == 0.5
    assert t1.mean_behavioral_score == 3.0
    assert _row(table, "Tier 2").nps_accounts == 0
    assert math.isnan(_row(table, "Tier 2").mean_nps)


def test_health_without_any_usage_data_still_reports_health():
    table = health_by_segment(snapshot(FEB), None)
    assert table["nps_accounts"].eq(0).all()
    assert table["mean_behavioral_score"].eq(3.0).all()


def test_migration_matrix_between_january_and_march():
    matrix = migration_matrix(snapshot(JAN), snapshot(MAR))
    grid = migration_pivot(matrix)
    # Tier 1 in Jan: A1 stays, A2 -> Tier 2, A3 gone, A4 stays.
    assert grid.loc["Tier 1", "Tier 1"] == 2
    assert grid.loc["Tier 1", "Tier 2"] == 1
    assert grid.loc["Tier 1", "(gone)"] == 1
    # Tier 2 in Jan: B1 -> Tier 1, B2 gone, B3 stays, B4 gone.
    assert grid.loc["Tier 2", "Tier 1"] == 1
    assert grid.loc["Tier 2", "(gone)"] == 2
    # N1 is new in Tier 2; Tier 3 keeps only C2.
    assert grid.loc["(new)", "Tier 2"] == 1
    assert grid.loc["Tier 3", "Tier 3"] == 1
    assert grid.values.sum() == 13  # 12 January accounts + 1 new
    up = matrix.set_index(["from_segment", "to_segment"]).loc[("Tier 2", "Tier 1")]
    assert (up.arr_before, up.arr_after, up.moved) == (40, 110, True)
    assert up.share_of_from == pytest.approx(1 / 4)


def test_an_account_folded_into_a_duplicate_is_merged_not_gone():
    # C3 was folded into N1 in February: it left Tier 3 by a merge, not a churn.
    grid = migration_pivot(migration_matrix(snapshot(JAN), snapshot(FEB), merged=MERGED[FEB]))
    assert grid.loc["Tier 3", "(merged)"] == 1
    assert grid.loc["Tier 3", "(gone)"] == 0
    assert grid.loc["Tier 1", "(gone)"] == 1  # A3, as before


def test_health_reads_an_accounts_nps_from_every_product_row_not_just_the_last():
    # The usage export has one row per account and product; NPS sits on one row only.
    # A1: Core 40, then Analytics blank -> 40. A2: Core 20, Analytics 60 -> mean 40.
    # A4: Analytics blank, then Core -30 -> -30. B1: no NPS on any row.
    usage = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A2", "A4", "A4", "B1"],
            "product": ["Core", "Analytics", "Core", "Analytics", "Analytics", "Core", "Core"],
            "nps": [40, None, 20, 60, None, -30, None],
        }
    )
    t1 = _row(health_by_segment(snapshot(FEB), usage), "Tier 1")
    # February Tier 1: A1, A2, A4, B1. NPS 40, 40, -30: 3 of 4 accounts, mean 50 / 3.
    assert (t1.accounts, t1.nps_accounts) == (4, 3)
    assert t1.nps_coverage == 0.75
    assert t1.mean_nps == pytest.approx(50 / 3)
    assert t1.median_nps == 40
