"""CSM book of business and pending transitions on the hand-built February snapshot."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.reports import (
    BOOK_INPUT_COLUMNS,
    TransitionsTableError,
    csm_accounts,
    csm_book,
    pending_moves,
    pending_transitions,
)
from segmentation_pipeline.core.reports.book import _owners
from tests.core.reports.history import FEB, snapshot

TRANSITIONS = pd.DataFrame(
    {
        "account_id": ["B1", "B1", "A2", "C2"],
        "from_segment": ["Tier 2", "Tier 2", "Tier 1", "Tier 3"],
        "to_segment": ["Tier 1", "Tier 1", "Tier 2", "Tier 2"],
        "status": ["Pending", "pending", "approved", "rejected"],
    }
)


def test_only_pending_transitions_are_shown_and_duplicates_are_joined():
    pending = pending_transitions(TRANSITIONS)
    assert pending.to_dict() == {"B1": "Tier 2 -> Tier 1; Tier 2 -> Tier 1"}


def test_a_transitions_table_without_the_expected_columns_is_a_clear_error():
    with pytest.raises(TransitionsTableError, match="to_segment, status"):
        pending_transitions(TRANSITIONS[["account_id", "from_segment"]])


def test_an_empty_transitions_table_means_nothing_pending():
    assert pending_transitions(pd.DataFrame()).empty


def test_csm_accounts_group_by_owner_and_put_the_unowned_under_unassigned():
    accounts = csm_accounts(snapshot(FEB), pending_transitions(TRANSITIONS))
    assert accounts.loc[accounts["account_id"] == "C4", "owner_id"].item() == "(unassigned)"
    csm1 = accounts[accounts["owner_id"] == "csm-1"]
    # csm-1 in February: A1 A2 B1 (Tier 1, by composite then stable), B2, C1.
    assert list(csm1["segment"]) == ["Tier 1", "Tier 1", "Tier 1", "Tier 2", "Tier 3"]
    assert csm1.set_index("account_id").loc["B1", "pending_transition"] == (
        "Tier 2 -> Tier 1; Tier 2 -> Tier 1"
    )


def test_csm_book_sums_each_owners_segments():
    feb = snapshot(FEB).assign(at_risk=lambda f: f["account_id"].eq("A2"))
    book = csm_book(csm_accounts(feb, pending_transitions(TRANSITIONS)))
    row = book.set_index(["owner_id", "segment"]).loc[("csm-1", "Tier 1")]
    # A1 220 + A2 120 + B1 110; A2 at risk; B1 pending; 3 of csm-1's 5 accounts.
    assert (row.accounts, row.arr, row.at_risk, row.pending_transitions) == (3, 450, 1, 1)
    assert row.share_of_book == pytest.approx(3 / 5)
    assert row.service_model_label == "High-Touch"
    assert book["accounts"].sum() == len(feb)


def test_the_book_from_the_narrow_account_list_is_the_same():
    feb = snapshot(FEB).assign(at_risk=lambda f: f["account_id"].eq("A2"))
    pending = pending_transitions(TRANSITIONS)
    narrow = csm_accounts(feb, pending, BOOK_INPUT_COLUMNS)
    assert list(narrow.columns) == list(BOOK_INPUT_COLUMNS)
    pd.testing.assert_frame_equal(csm_book(narrow), csm_book(csm_accounts(feb, pending)))


def test_crossings_waiting_for_review_come_from_the_assignments_gate_columns():
    assignments = pd.DataFrame(
        {
            "account_id": ["a1", "a2", "a3"],
            "transition_status": ["pending", "applied", None],
            "transition_from": ["Tier 2", "Tier 3", None],
            "transition_to": ["Tier 1", "Tier 2", None],
        }
    )
    assert pending_moves(assignments).to_dict() == {"a1": "Tier 2 -> Tier 1"}
    assert pending_moves(assignments.drop(columns=["transition_status"])).empty


owner_values = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["", "  ", "csm-1", " csm-2 ", "\t"]),
    st.text(max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(
    owners=st.lists(owner_values, min_size=1, max_size=40),
    as_text=st.booleans(),
)
def test_owners_missing_or_blank_are_unassigned_and_the_rest_kept_as_they_are(owners, as_text):
    """What every account's owner becomes, whether the column is text or objects."""
    column = pd.Series(owners, dtype="str" if as_text else object)
    got = _owners(pd.DataFrame({"owner_id": column}))
    plain = column.astype(object)
    expected = plain.where(plain.notna() & plain.astype(str).str.strip().ne(""), "(unassigned)")
    assert got.dtype == object
    assert got.tolist() == expected.tolist()


def test_owners_that_are_not_text_are_kept_as_objects():
    got = _owners(pd.DataFrame({"owner_id": pd.Series([7, None, "csm-1", 7.0], dtype=object)}))
    assert got.tolist() == [7, "(unassigned)", "csm-1", 7.0]
    assert [type(v) for v in got] == [int, str, str, float]
