"""Review decisions from the CRM or the launchpad, as rows of segment_transition_decisions."""

import pandas as pd

from segmentation_pipeline.core.review_decisions import (
    launchpad_decisions,
    new_decisions,
    normalize_decisions,
)

ENTRIES = pd.DataFrame(
    {
        "account_id": ["001A", "001B", "001C", None, "001E"],
        "decision": ["Approve", " reject ", "maybe", "approve", "approve"],
        "to_segment": ["Tier 1", None, None, None, ""],
        "decided_by": ["ana@example.com", "bo@example.com", "cy@example.com", "d", None],
        "decided_at": ["2026-11-03T09:30:00.000+0000", "2026-11-04T10:00:00Z", "2026-11-05",
                       "2026-11-05", "2026-11-05"],
        "note": ["big expansion", None, None, None, None],
    }
)  # fmt: skip


def test_decision_words_map_and_times_become_naive_utc():
    read = normalize_decisions(ENTRIES)
    assert read.decisions[["account_id", "decision", "to_segment"]].values.tolist() == [
        ["001A", "approved", "Tier 1"],
        ["001B", "rejected", None],
    ]
    assert read.decisions["decided_at"].tolist() == [
        pd.Timestamp("2026-11-03 09:30"),
        pd.Timestamp("2026-11-04 10:00"),
    ]


def test_entries_that_are_not_a_decision_are_reported_with_their_problem():
    invalid = normalize_decisions(ENTRIES).invalid
    assert invalid[["account_id", "problem"]].fillna("").values.tolist() == [
        ["001C", "decision is not approve or reject"],
        ["", "no account"],
        ["001E", "no author"],
    ]


def test_a_decision_already_stored_is_not_new_even_read_again_to_the_millisecond():
    decisions = normalize_decisions(ENTRIES).decisions
    stored = decisions.iloc[:1].assign(decided_at=pd.Timestamp("2026-11-03 09:30:00.000"))
    again = pd.concat([decisions, decisions.iloc[1:]], ignore_index=True)
    fresh = new_decisions(again, stored)
    assert fresh["account_id"].tolist() == ["001B"]


def test_a_second_decision_on_the_same_account_is_new():
    first = normalize_decisions(ENTRIES).decisions.iloc[:1]
    later = first.assign(decision="rejected", decided_at=pd.Timestamp("2026-11-10"))
    assert new_decisions(later, first)["decision"].tolist() == ["rejected"]


def test_launchpad_decisions_are_taken_at_the_runs_moment():
    frame = launchpad_decisions(
        [{"account_id": "001A", "decision": "approve", "decided_by": "ana", "note": "ok"}],
        pd.Timestamp("2026-11-05T08:00:00+01:00"),
    )
    read = normalize_decisions(frame)
    assert read.decisions[["decision", "decided_at", "note"]].values.tolist() == [
        ["approved", pd.Timestamp("2026-11-05 07:00"), "ok"]
    ]
