"""segment_history as a type-2 table: versions open and close only on real change."""

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from segmentation_pipeline.core.history import (
    HISTORY_COLUMNS,
    HistoryChanges,
    _as_text,
    _differs,
    history_changes,
    history_reads,
)
from segmentation_pipeline.core.transitions import utc_naive
from segmentation_pipeline.framework import parse_framework

NOV = pd.Timestamp("2026-11-01")
DEC = pd.Timestamp("2026-12-01")


def assignments(**by_account: dict) -> pd.DataFrame:
    """One assignment row per account: Tier 2, segmented, unless told otherwise."""
    base = {
        "segment": "Tier 2",
        "status": "segmented",
        "service_model": "low_touch",
        "unsegmented_reason": None,
        "framework_version": "2026.1",
        "composite_score": 3.2,
        "provisional": False,
        "at_risk": False,
        "explanation": "Tier 2 (Low-Touch): ...",
    }
    return pd.DataFrame([base | {"account_id": a} | f for a, f in by_account.items()])


def apply_changes(history: pd.DataFrame, changes: HistoryChanges) -> pd.DataFrame:
    """The whole table after the changes (what the warehouse does, in memory)."""
    history = history.reindex(columns=list(HISTORY_COLUMNS)).copy()
    closing = history["history_id"].isin(changes.closed["history_id"])
    if closing.any():
        ends = dict(zip(changes.closed["history_id"], changes.closed["valid_to"], strict=True))
        history["valid_to"] = pd.to_datetime(history["valid_to"])
        history.loc[closing, "valid_to"] = [ends[i] for i in history.loc[closing, "history_id"]]
        history.loc[closing, "is_current"] = False
    if changes.opened.empty:
        return history.reset_index(drop=True)
    if history.empty:
        return changes.opened.reset_index(drop=True)
    return pd.concat([history, changes.opened], ignore_index=True)


def segment_on(history: pd.DataFrame, account_id: str, moment: datetime) -> pd.Series | None:
    """The history row in force for an account at a moment, or None."""
    valid_from = pd.to_datetime(history["valid_from"])
    valid_to = pd.to_datetime(history["valid_to"])
    when = utc_naive(moment)
    rows = history[
        history["account_id"].eq(account_id)
        & (valid_from <= when)
        & (valid_to.isna() | (valid_to > when))
    ]
    return None if rows.empty else rows.iloc[-1]


def run(history, rows, framework, as_of, run_id="r"):
    current = history[history["is_current"].astype(bool)] if len(history) else history
    changes = history_changes(current, rows, framework, as_of, run_id)
    return apply_changes(history, changes), changes


@pytest.fixture
def first(framework):
    return run(pd.DataFrame(), assignments(A={}, B={}), framework, NOV, "run1")[0]


def test_first_run_opens_one_current_row_per_account(first):
    assert first["account_id"].tolist() == ["A", "B"]
    assert first["is_current"].tolist() == [True, True]
    assert (first["valid_from"] == NOV).all() and first["valid_to"].isna().all()
    assert first["run_id"].tolist() == ["run1", "run1"]
    assert first["framework_version"].tolist() == ["2026.1", "2026.1"]


def test_unchanged_rerun_changes_no_row(framework, first):
    later, changes = run(first, assignments(A={}, B={}), framework, DEC, "run2")
    assert changes.empty
    pd.testing.assert_frame_equal(later, first)


def test_untracked_columns_do_not_open_a_version(framework, first):
    rows = assignments(A={"composite_score": 3.4, "at_risk": True}, B={})
    assert run(first, rows, framework, DEC)[1].empty


@pytest.mark.parametrize(
    "change",
    [
        {"segment": "Tier 1", "service_model": "high_touch"},
        {"status": "overridden"},
        {"framework_version": "2027.1"},
        {"framework_version": "2026.10"},  # text, not the number 2026.1
        {"segment": "Unsegmented", "status": "unsegmented", "unsegmented_reason": "missing_arr"},
    ],
)
def test_a_tracked_change_closes_the_version_and_opens_one(framework, first, change):
    later, changes = run(first, assignments(A=change, B={}), framework, DEC, "run2")
    assert len(changes.opened) == 1 and len(changes.closed) == 1
    a = later[later["account_id"].eq("A")].sort_values("valid_from")
    assert a["valid_from"].tolist() == [NOV, DEC]
    assert a["valid_to"].iloc[0] == DEC and pd.isna(a["valid_to"].iloc[1])
    assert a["is_current"].tolist() == [False, True]
    assert a["run_id"].tolist() == ["run1", "run2"]


def test_segment_on_a_date_is_a_range_query(framework, first):
    later, _ = run(first, assignments(A={"segment": "Tier 1"}, B={}), framework, DEC)
    assert segment_on(later, "A", NOV - pd.Timedelta(days=1)) is None
    assert segment_on(later, "A", NOV + pd.Timedelta(days=15))["segment"] == "Tier 2"
    assert segment_on(later, "A", DEC)["segment"] == "Tier 1"
    assert segment_on(later, "A", DEC + pd.Timedelta(days=400))["segment"] == "Tier 1"


def test_accounts_that_leave_the_crm_get_their_version_closed(framework, first):
    later, changes = run(first, assignments(A={}), framework, DEC)
    assert changes.closed["history_id"].tolist() == first["history_id"].tolist()[1:]
    b = later[later["account_id"].eq("B")].iloc[0]
    assert (b["valid_to"], b["is_current"]) == (DEC, False)


def test_absent_accounts_stay_open_when_configured(framework, first):
    data = framework.model_dump()
    data["assignment"]["history"]["close_absent_accounts"] = False
    keep = parse_framework(data)
    assert run(first, assignments(A={}), keep, DEC)[1].empty


def test_an_older_as_of_never_rewrites_history(framework, first):
    older = NOV - pd.Timedelta(days=31)
    _, changes = run(first, assignments(A={"segment": "Tier 3"}, B={}), framework, older)
    assert changes.empty and changes.stale_accounts == 2


def test_values_read_back_from_a_database_compare_equal(framework, first):
    # SQLite hands booleans back as 0/1 and text as text: still no change.
    stored = first.assign(provisional=0, at_risk=0, is_current=1)
    data = framework.model_dump()
    data["assignment"]["history"]["tracked_columns"] = ["segment", "provisional", "composite_score"]
    tracked = parse_framework(data)
    assert run(stored, assignments(A={}, B={}), tracked, DEC)[1].empty


# --- the comparison on codes ------------------------------------------------------------
def test_history_reads_the_keys_valid_from_and_the_tracked_columns(framework):
    tracked = framework.assignment.history.tracked_columns
    assert history_reads(framework) == ["history_id", "account_id", "valid_from", *tracked]


def test_differs_on_codes_as_text_would_across_a_round_trip():
    # Booleans against SQLite's 0/1, floats within rounding, nulls on either side.
    mine = pd.Series([True, False, None, True, 2.0000001], dtype=object)
    theirs = pd.Series([1, 0, None, 0, 2.0, "unused"], dtype=object)
    expected = [False, False, False, True, False]
    assert _differs(mine, np.arange(5), theirs, np.arange(5)).tolist() == expected
    # A column mixing text and numbers compares as text, as before: 2.0000001 != 2.0.
    mixed = pd.Series([2.0000001, "x"], dtype=object)
    assert _differs(mixed, np.arange(2), theirs, np.array([4, 0])).tolist() == [True, True]
    # Flags: bool on one side, 0/1 floats on the other; only the taken rows count.
    flags = pd.Series([True, False, True])
    stored = pd.Series([1.0, 1.0, 0.0, 1.0])
    assert _differs(flags, np.arange(3), stored, np.array([3, 2, 0])).tolist() == [
        False,
        False,
        False,
    ]


def _comparable(values: pd.Series) -> np.ndarray:
    """Each row's value as the text `_differs` compares, built row by row: the oracle."""
    codes, uniques = pd.factorize(pd.Series(values).reset_index(drop=True))
    return np.append(_as_text(uniques), "<null>")[codes]


def test_differs_agrees_with_comparing_text_per_row():
    rng = np.random.default_rng(3)
    pools = [["Tier 1", "Tier 2", None], [1.0, 2.5, np.nan, 2.5000001], [True, False]]
    for pool in pools * 5:
        mine = pd.Series(rng.choice(np.array(pool, dtype=object), 40))
        theirs = pd.Series(rng.choice(np.array(pool, dtype=object), 30))
        mine_rows, their_rows = rng.choice(40, 20, replace=False), rng.choice(30, 20)
        by_text = _comparable(mine)[mine_rows] != _comparable(theirs.iloc[their_rows])
        assert (_differs(mine, mine_rows, theirs, their_rows) == by_text).all()
