"""A survivor deleted in the CRM while a duplicate folded into it lives on: retention and
the migration matrix follow the customer to that duplicate, its heir.

Each story is two months of a few accounts (ARR in $K), worked out by hand in the comments.
In January deduplication chose A as the survivor of a company and folded its duplicate B
into it (January's merge audit: B -> A); A's January ARR holds B's.
"""

import pandas as pd
import pytest

from segmentation_pipeline.core.reports import customer_activity, segment_retention
from segmentation_pipeline.core.reports.migration import (
    GONE,
    MERGED,
    NEW,
    migration_matrix,
    migration_pivot,
)

JAN, FEB = "2026-01-01", "2026-02-01"
B_INTO_A = {"B": "A"}  # January's merge audit: folded account -> survivor


def _snapshot(*accounts: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(accounts, columns=["account_id", "segment", "arr"])


def _activity(month: str, *accounts: tuple[str, str, float], ended=()) -> pd.DataFrame:
    """`ended`: accounts whose contract ends inside `month` (not active then)."""
    contracts = pd.DataFrame({"account_id": list(ended), "contract_end_date": "2026-02-15"})
    return customer_activity(_snapshot(*accounts), month, contracts if ended else None)


def _row(table: pd.DataFrame, segment: str):
    hit = table[(table["segment"] == segment) & (table["dimension"] == "all")]
    assert len(hit) == 1, f"expected one row for {segment}"
    return hit.iloc[0]


def test_a_survivor_deleted_while_its_duplicate_lives_on_is_retained_through_it():
    # January: A (Tier 1, 100, B's ARR included). February: A is deleted in the CRM; B is
    # its own survivor, active, at 120 in Tier 2. The customer stayed and grew:
    # retained 1 of 1, kept min(120, 100) = 100, end 120 -> logo 1, GRR 1, NRR 1.2.
    jan = _activity(JAN, ("A", "Tier 1", 100.0))
    feb = _activity(FEB, ("B", "Tier 2", 120.0))
    table = segment_retention(jan, feb, folded_before=B_INTO_A)
    t1 = _row(table, "Tier 1")
    assert (t1.cohort_accounts, t1.retained_accounts, t1.churned_accounts) == (1, 1, 0)
    assert (t1.arr_start, t1.arr_retained_gross, t1.arr_end) == (100, 100, 120)
    assert (t1.logo_retention, t1.grr) == (1.0, 1.0)
    assert t1.nrr == pytest.approx(1.2)
    assert "Tier 2" not in set(table["segment"])  # B is in no cohort: not new revenue


def test_a_survivor_deleted_whose_duplicate_also_ended_its_contract_churned():
    # As above, but B's contract ends on 2026-02-15: nobody carries A on. Churned:
    # logo 0, GRR 0, NRR 0.
    jan = _activity(JAN, ("A", "Tier 1", 100.0))
    feb = _activity(FEB, ("B", "Tier 2", 120.0), ended=["B"])
    table = segment_retention(jan, feb, folded_before=B_INTO_A)
    t1 = _row(table, "Tier 1")
    assert (t1.cohort_accounts, t1.retained_accounts, t1.churned_accounts) == (1, 0, 1)
    assert (t1.logo_retention, t1.grr, t1.nrr) == (0.0, 0.0, 0.0)


def test_the_migration_matrix_sends_the_deleted_survivor_to_its_duplicates_segment():
    # A (Tier 1, 100) -> B's segment, Tier 2, at 120: one account moved, nothing gone or new.
    matrix = migration_matrix(
        _snapshot(("A", "Tier 1", 100.0)),
        _snapshot(("B", "Tier 2", 120.0)),
        folded_before=B_INTO_A,
    )
    assert matrix[["from_segment", "to_segment", "accounts"]].values.tolist() == [
        ["Tier 1", "Tier 2", 1]
    ]
    row = matrix.iloc[0]
    assert (row.arr_before, row.arr_after, row.moved) == (100, 120, True)
    assert not {GONE, NEW} & (set(matrix["from_segment"]) | set(matrix["to_segment"]))


def test_several_duplicates_carry_the_survivor_on_together():
    # January: B1 and B2 folded into A (Tier 1, 100). February: A deleted; B1 at 70 in
    # Tier 2, B2 at 60 in Tier 3. A's ARR_M = 70 + 60 = 130: GRR 1, NRR 1.3. In the
    # matrix A goes to the segment of its larger heir, B1's Tier 2, with 130.
    jan = _snapshot(("A", "Tier 1", 100.0))
    feb = _snapshot(("B1", "Tier 2", 70.0), ("B2", "Tier 3", 60.0))
    folded = {"B1": "A", "B2": "A"}
    table = segment_retention(
        customer_activity(jan, JAN), customer_activity(feb, FEB), folded_before=folded
    )
    t1 = _row(table, "Tier 1")
    assert (t1.retained_accounts, t1.arr_end, t1.grr) == (1, 130, 1.0)
    assert t1.nrr == pytest.approx(1.3)
    matrix = migration_matrix(jan, feb, folded_before=folded)
    assert matrix[["from_segment", "to_segment", "accounts", "arr_after"]].values.tolist() == [
        ["Tier 1", "Tier 2", 1, 130.0]
    ]


def test_a_duplicate_folded_into_another_survivor_makes_the_deleted_one_merged_not_churned():
    # January: A (Tier 2, 30, with B folded in) and C (Tier 1, 200). February: A is
    # deleted and B is folded into C, which reports 235. A was merged into C through B:
    # out of the Tier 2 cohort as merged, and its 30 is taken off C's end ARR, so C's
    # NRR is (235 - 30) / 200 = 1.025, not 235 / 200 (nothing counted twice).
    jan = _activity(JAN, ("A", "Tier 2", 30.0), ("C", "Tier 1", 200.0))
    feb = _activity(FEB, ("C", "Tier 1", 235.0))
    table = segment_retention(jan, feb, merged_into={"B": "C"}, folded_before=B_INTO_A)
    t2 = _row(table, "Tier 2")
    assert (t2.cohort_accounts, t2.churned_accounts, t2.merged_accounts) == (0, 0, 1)
    t1 = _row(table, "Tier 1")
    assert (t1.retained_accounts, t1.arr_start, t1.arr_end) == (1, 200, 205)
    assert t1.nrr == pytest.approx(1.025)
    grid = migration_pivot(
        migration_matrix(
            _snapshot(("A", "Tier 2", 30.0), ("C", "Tier 1", 200.0)),
            _snapshot(("C", "Tier 1", 235.0)),
            merged=["B"],
            folded_before=B_INTO_A,
        )
    )
    assert grid.loc["Tier 2", MERGED] == 1
    assert GONE not in grid.columns


def test_an_heir_that_absorbed_a_cohort_account_is_not_counted_as_expansion():
    # January: A (Tier 1, 100, B folded in) and D (Tier 3, 10). February: A deleted, B is
    # the survivor and D is folded into B, which reports 130. D is merged (out of its
    # cohort); A carries on through B at 130 - D's 10 = 120: NRR 1.2.
    jan = _activity(JAN, ("A", "Tier 1", 100.0), ("D", "Tier 3", 10.0))
    feb = _activity(FEB, ("B", "Tier 1", 130.0))
    table = segment_retention(jan, feb, merged_into={"D": "B"}, folded_before=B_INTO_A)
    t1 = _row(table, "Tier 1")
    assert (t1.retained_accounts, t1.arr_start, t1.arr_end) == (1, 100, 120)
    assert t1.nrr == pytest.approx(1.2)
    assert _row(table, "Tier 3").merged_accounts == 1


def test_a_survivor_still_active_keeps_its_own_arr_and_its_duplicates_change_nothing():
    # A is still there (110) and B is its own account again: A is retained at its own
    # ARR, B is new and in no cohort; only a survivor that is gone is carried on.
    jan = _activity(JAN, ("A", "Tier 1", 100.0))
    feb = _activity(FEB, ("A", "Tier 1", 110.0), ("B", "Tier 2", 20.0))
    t1 = _row(segment_retention(jan, feb, folded_before=B_INTO_A), "Tier 1")
    assert (t1.retained_accounts, t1.arr_end) == (1, 110)
