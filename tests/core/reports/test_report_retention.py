"""Retention by segment against the hand-built history in `history.py`.

Every expected figure is worked out by hand in the comments from the story told there.
"""

import math

import pandas as pd
import pytest

from segmentation_pipeline.core.reports import customer_activity, segment_retention
from segmentation_pipeline.core.reports.retention import ACTIVITY_INPUT_COLUMNS
from tests.core.reports.history import FEB, JAN, MAR, MERGED, contracts, snapshot


def _activity(month: str) -> pd.DataFrame:
    return customer_activity(snapshot(month), month, contracts(month))


def _row(table: pd.DataFrame, segment: str, dimension: str = "all", value: str = "All"):
    hit = table[
        (table["segment"] == segment)
        & (table["dimension"] == dimension)
        & (table["dimension_value"] == value)
    ]
    assert len(hit) == 1, f"expected one row for {segment}/{dimension}/{value}"
    return hit.iloc[0]


def test_activity_contract_ending_inside_the_month_or_a_churn_flag_makes_an_account_inactive():
    feb = _activity(FEB).set_index("account_id")
    assert not feb.loc["A4", "active"]
    assert feb.loc["A4", "inactive_reason"] == "contract_ended"  # ends 2026-02-15
    assert feb.loc["C1", "inactive_reason"] == "churn_flag"
    assert feb.loc["B1", "active"]  # its contract ends in March, not February
    # A stale end date (before the month) is not a fresh churn: A4 is active in March.
    assert _activity(MAR).set_index("account_id").loc["A4", "active"]
    assert _activity(JAN)["active"].all()


def test_the_columns_the_asset_loads_give_the_activity_every_column_gives():
    full = snapshot(FEB).assign(contract_end_date="2026-02-01")  # dropped: contracts give it
    named = full[[c for c in ACTIVITY_INPUT_COLUMNS if c in full]]
    pd.testing.assert_frame_equal(
        customer_activity(named, FEB, contracts(FEB)), customer_activity(full, FEB, contracts(FEB))
    )


def test_february_retention_by_segment():
    table = segment_retention(_activity(JAN), _activity(FEB), merged_into=MERGED[FEB])

    # Tier 1 cohort A1 A2 A3 A4 (ARR 200+150+100+50 = 500). A3 is gone, A4's contract
    # ended: retained A1 (220) and A2 (120). GRR = (200 + 120) / 500, NRR = 340 / 500.
    t1 = _row(table, "Tier 1")
    assert (t1.cohort_accounts, t1.retained_accounts, t1.churned_accounts) == (4, 2, 2)
    assert t1.logo_retention == 0.5
    assert (t1.arr_start, t1.arr_retained_gross, t1.arr_end) == (500, 320, 340)
    assert t1.grr == pytest.approx(0.64)
    assert t1.nrr == pytest.approx(0.68)

    # Tier 2 cohort B1 B2 B3 B4 (40+30+20+10 = 100). B1 moved up to Tier 1 at 110 but stays
    # in its January cohort; B3's February ARR is missing so 20 carries; B4 is gone.
    # Kept = 40 + 30 + 20 = 90; end = 110 + 30 + 20 = 160. N1 is new: not in any cohort.
    t2 = _row(table, "Tier 2")
    assert (t2.cohort_accounts, t2.retained_accounts, t2.churned_accounts) == (4, 3, 1)
    assert t2.logo_retention == 0.75
    assert (t2.arr_start, t2.arr_retained_gross, t2.arr_end) == (100, 90, 160)
    assert t2.grr == pytest.approx(0.9)
    assert t2.nrr == pytest.approx(1.6)

    # Tier 3: C3 was merged (out of the cohort), so the cohort is C1 C2 C4 (8+6+0 = 14).
    # C1 is flagged churned; C2 grows to 9; C4 has no ARR either month.
    # Kept = min(9, 6) = 6, end = 9: GRR 6/14, NRR 9/14.
    t3 = _row(table, "Tier 3")
    assert (t3.cohort_accounts, t3.retained_accounts, t3.merged_accounts) == (3, 2, 1)
    assert t3.logo_retention == pytest.approx(2 / 3)
    assert t3.logo_churn == pytest.approx(1 / 3)
    assert t3.grr == pytest.approx(6 / 14)
    assert t3.nrr == pytest.approx(9 / 14)


def test_february_retention_broken_down_by_industry():
    table = segment_retention(
        _activity(JAN), _activity(FEB), breakdowns=["industry"], merged_into=MERGED[FEB]
    )
    # Enterprise manufacturing (A1, A2: 350) kept both logos: GRR 320/350, NRR 340/350.
    mfg = _row(table, "Tier 1", "industry", "Manufacturing")
    assert (mfg.cohort_accounts, mfg.retained_accounts) == (2, 2)
    assert mfg.grr == pytest.approx(320 / 350)
    assert mfg.nrr == pytest.approx(340 / 350)
    # Enterprise software (A3, A4) lost both.
    sw = _row(table, "Tier 1", "industry", "Software")
    assert (sw.logo_retention, sw.grr, sw.nrr) == (0.0, 0.0, 0.0)
    # Mid-market software (B3 20 kept, B4 10 gone): logo 1/2, GRR = NRR = 20/30.
    mm_sw = _row(table, "Tier 2", "industry", "Software")
    assert mm_sw.logo_retention == 0.5
    assert mm_sw.grr == pytest.approx(20 / 30)


def test_march_retention_uses_february_segments_and_skips_accounts_inactive_in_february():
    table = segment_retention(_activity(FEB), _activity(MAR))

    # Tier 1 in February: A1 (220), A2 (120), B1 (110); A4 was inactive (contract ended).
    # B1's contract ends in March; A2 drops to Tier 2 at 90 but is retained.
    # Start 450, kept = 220 + 90 = 310, end = 310.
    t1 = _row(table, "Tier 1")
    assert (t1.cohort_accounts, t1.retained_accounts) == (3, 2)
    assert t1.arr_start == 450
    assert t1.grr == pytest.approx(310 / 450)
    assert t1.nrr == pytest.approx(310 / 450)

    # Tier 2 in February: B2 (30), B3 (missing: takes March's 25), N1 (60). B2 is gone.
    # Start 30 + 25 + 60 = 115, kept 25 + 60 = 85, end 25 + 66 = 91.
    t2 = _row(table, "Tier 2")
    assert (t2.cohort_accounts, t2.retained_accounts, t2.churned_accounts) == (3, 2, 1)
    assert (t2.arr_start, t2.arr_retained_gross, t2.arr_end) == (115, 85, 91)
    assert t2.grr == pytest.approx(85 / 115)
    assert t2.nrr == pytest.approx(91 / 115)

    # Tier 3 in February: C2 (9) and C4 (no ARR); C1 was flagged churned. C4 is gone.
    t3 = _row(table, "Tier 3")
    assert (t3.cohort_accounts, t3.retained_accounts) == (2, 1)
    assert (t3.grr, t3.nrr) == (1.0, 1.0)


def test_a_cohort_without_arr_has_no_revenue_retention():
    cohort = _activity(JAN).query("account_id == 'C4'")
    table = segment_retention(cohort, _activity(FEB))
    row = _row(table, "Tier 3")
    assert row.logo_retention == 1.0
    assert math.isnan(row.grr) and math.isnan(row.nrr)


def test_unparseable_contract_end_dates_give_no_signal_instead_of_an_error():
    odd = pd.DataFrame({"account_id": ["A1", "A2"], "contract_end_date": ["soon", None]})
    activity = customer_activity(snapshot(FEB), FEB, odd)
    assert activity.set_index("account_id").loc[["A1", "A2"], "active"].all()


def _month(*accounts: tuple[str, str, float], month: str) -> pd.DataFrame:
    frame = pd.DataFrame(accounts, columns=["account_id", "segment", "arr"])
    return customer_activity(frame, month)


def test_a_merge_inside_a_cohort_is_neither_churn_nor_expansion():
    # January: D1 (Tier 3, 10) and D2 (Tier 2, 20) are two records of one company.
    # February: D1 is folded into D2, which holds their ARR, 30. D2's own ARR is 20
    # both months (NRR 1); D1 leaves the Tier 3 cohort as merged, not churned.
    jan = _month(("D1", "Tier 3", 10.0), ("D2", "Tier 2", 20.0), month=JAN)
    feb = _month(("D2", "Tier 2", 30.0), month=FEB)
    table = segment_retention(jan, feb, merged_into={"D1": "D2"})
    t2 = _row(table, "Tier 2")
    assert (t2.cohort_accounts, t2.retained_accounts, t2.arr_start, t2.arr_end) == (1, 1, 20, 20)
    assert t2.nrr == 1.0
    t3 = _row(table, "Tier 3")
    assert (t3.cohort_accounts, t3.churned_accounts, t3.merged_accounts) == (0, 0, 1)


def _contracts(**ends: str) -> pd.DataFrame:
    return pd.DataFrame({"account_id": list(ends), "contract_end_date": list(ends.values())})


# November cohort: four Tier 2 accounts at 10, 20, 30 and 40 (100), every one still in
# December's snapshot at the same ARR. Their contracts end Dec 3 and Dec 6 (on or before
# a run on Dec 6), Dec 20 (later this month) and Jan 15 (next month).
NOV, DEC = "2026-11-01", "2026-12-01"
COHORT = (("E1", "Tier 2", 10.0), ("E2", "Tier 2", 20.0), ("E3", "Tier 2", 30.0),
          ("E4", "Tier 2", 40.0))  # fmt: skip
ENDS = _contracts(E1="2026-12-03", E2="2026-12-06", E3="2026-12-20", E4="2027-01-15")


def _december(as_of=None) -> pd.DataFrame:
    frame = pd.DataFrame(COHORT, columns=["account_id", "segment", "arr"])
    return customer_activity(frame, DEC, ENDS, as_of=as_of)


def test_the_open_month_counts_only_the_contract_ends_that_happened_by_the_runs_as_of():
    # Run on Dec 6 (a time of day is dropped): E1 (Dec 3) and E2 (Dec 6, its last day)
    # have ended; E3 (Dec 20) has not yet, E4 (Jan 15) not this month at all.
    dec = _december(pd.Timestamp("2026-12-06 14:30")).set_index("account_id")
    assert dec["active"].to_dict() == {"E1": False, "E2": False, "E3": True, "E4": True}
    assert dec.loc["E1", "inactive_reason"] == "contract_ended"
    assert pd.isna(dec.loc["E3", "inactive_reason"])

    # Retention of the November cohort as of Dec 6: E3 and E4 retained, 2 of 4 logos;
    # kept = end = 30 + 40 = 70 of 100. Counting E3 as churned would say 1 of 4 and 40.
    nov = _month(*COHORT, month=NOV)
    row = _row(segment_retention(nov, _december(pd.Timestamp("2026-12-06"))), "Tier 2")
    assert (row.cohort_accounts, row.retained_accounts, row.churned_accounts) == (4, 2, 2)
    assert (row.arr_start, row.arr_retained_gross, row.arr_end) == (100, 70, 70)
    assert row.logo_retention == 0.5
    assert (row.grr, row.nrr) == (pytest.approx(0.7), pytest.approx(0.7))


def test_a_finished_month_as_of_its_last_day_counts_every_contract_end_of_the_month():
    # As of Dec 31 (or without an as-of: a finished month) E1, E2 and E3 ended in
    # December; E4's contract runs into January. Same as before the as-of existed.
    closed = _december(pd.Timestamp("2026-12-31 23:59:59"))
    pd.testing.assert_frame_equal(closed, _december())
    assert closed.set_index("account_id")["active"].to_dict() == {
        "E1": False, "E2": False, "E3": False, "E4": True
    }  # fmt: skip
    row = _row(segment_retention(_month(*COHORT, month=NOV), closed), "Tier 2")
    assert (row.retained_accounts, row.churned_accounts, row.arr_end) == (1, 3, 40)
