"""The change set: which accounts changed and which of their inputs, the one rule for a
full pass, and carrying stored rows by account id and input hash."""

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import (
    account_changes,
    carried_positions,
    carry_over,
    carry_rows,
    extract_full_pass,
    full_pass_reason,
)
from segmentation_pipeline.core.changes import ChangeSet

BEFORE = pd.DataFrame(
    {
        "Id": ["a", "b", "c", "d"],
        "Name": ["Acme", "Beta", "Gamma", "Delta"],
        "ARR__c": ["10", "20", "30", "40"],
        "Customer_Tier__c": [None, None, None, None],
    }
)


def test_changed_accounts_name_which_inputs_moved_and_own_write_backs_are_no_change():
    after = BEFORE.copy()
    after.loc[0, "Name"] = "Acme Group"  # a rename: match fields
    after.loc[1, "ARR__c"] = "25"  # scoring only
    after.loc[2, "Customer_Tier__c"] = "Tier 1"  # the pipeline's own write-back, echoed
    after = pd.concat([after, pd.DataFrame({"Id": ["e"], "Name": ["Epsilon"]})])
    changes = ChangeSet(new=["e"], updated=["a", "b", "c"], deleted=["x"], unchanged=1)
    frame = account_changes(BEFORE, after, changes, own_write_backs=["c"])
    by_id = frame.set_index("account_id")
    assert by_id["change"].to_dict() == {"e": "new", "a": "changed", "b": "changed", "x": "deleted"}
    assert by_id.loc["a", ["match_fields", "scoring_fields"]].tolist() == [True, False]
    assert by_id.loc["b", ["match_fields", "enrichment_inputs", "scoring_fields"]].tolist() == [
        False,
        False,
        True,
    ]
    assert frame["full_pass_reason"].isna().all()


def test_a_night_computed_whole_names_every_account_with_the_reason():
    frame = account_changes(None, BEFORE, ChangeSet(new=list("abcd")), full_pass="new month")
    assert frame["account_id"].tolist() == list("abcd")
    assert full_pass_reason(frame, state_kept=True) == "new month"


def test_the_full_pass_rules():
    quiet = account_changes(BEFORE, BEFORE, ChangeSet(unchanged=4))
    assert quiet.empty
    assert full_pass_reason(quiet, state_kept=True, match_sensitive=True) is None
    assert full_pass_reason(quiet, state_kept=False).startswith("no state")
    renamed = BEFORE.assign(Name=["Acme Group", "Beta", "Gamma", "Delta"])
    moved = account_changes(BEFORE, renamed, ChangeSet(updated=["a"], unchanged=3))
    assert full_pass_reason(moved, state_kept=True) is None  # a row-by-row step carries on
    assert full_pass_reason(moved, True, match_sensitive=True) == (
        "match fields of 1 accounts changed"
    )
    added = account_changes(BEFORE, BEFORE, ChangeSet(new=["e"], unchanged=4))
    assert full_pass_reason(added, True, match_sensitive=True) == "1 accounts added or deleted"


def test_stored_rows_are_carried_only_under_the_same_id_and_input_hash():
    stored = pd.DataFrame(
        {"account_id": ["a", "b", "c"], "tier": ["T1", "T2", "T3"], "_h": np.uint64([1, 2, 3])}
    )
    keys = pd.Series(["c", "b", "new", "a"])
    at = carried_positions(keys, np.uint64([3, 9, 5, 1]), stored, "account_id", "_h")
    assert at.tolist() == [2, -1, -1, 0]
    fresh = pd.DataFrame(
        {"account_id": ["b", "new"], "tier": ["T9", "T5"], "_h": np.uint64([9, 5])}
    )
    rows = carry_rows(stored, at, fresh)
    assert rows["account_id"].tolist() == ["c", "b", "new", "a"]
    assert rows["tier"].tolist() == ["T3", "T9", "T5", "T1"]
    assert (
        carried_positions(keys, np.uint64([3, 9, 5, 1]), None, "account_id", "_h").tolist()
        == [-1] * 4
    )


def test_rows_all_stored_are_taken_as_they_are_or_in_tonights_order():
    stored = pd.DataFrame({"account_id": ["a", "b"], "tier": ["T1", "T2"]})
    no_fresh = stored.iloc[:0]
    # Every row stored and in place (enrichment on a night that changed nothing).
    assert carry_rows(stored, np.array([0, 1]), no_fresh) is stored
    moved = carry_rows(stored, np.array([1, 0]), no_fresh)
    assert moved["account_id"].tolist() == ["b", "a"]
    assert moved.index.tolist() == [0, 1]


def test_carry_over_computes_the_rest_and_names_the_keys_to_store_again():
    stored = pd.DataFrame(
        {"account_id": ["a", "b", "c", "gone"], "tier": ["T1", "T2", "T3", "T2"],
         "_input_hash": np.uint64([1, 2, 3, 4])}
    )  # fmt: skip
    asked = []

    def compute(rows):
        asked.append(rows.tolist())
        return pd.DataFrame({"account_id": keys.take(rows).tolist(), "tier": "fresh"})

    keys = pd.Series(["a", "b", "c", "new"])
    carried = carry_over(keys, np.uint64([1, 9, 3, 5]), stored, compute)
    assert asked == [[1, 3]]  # b's input moved; new is new
    assert carried.rows["tier"].tolist() == ["T1", "fresh", "T3", "fresh"]
    assert carried.rows["_input_hash"].tolist() == [1, 9, 3, 5]
    assert carried.computed.tolist() == [False, True, False, True]
    assert sorted(set(carried.changed)) == ["b", "gone", "new"]  # gone: it left

    # `moved` names rows whose stored result is stale though their input is not.
    carried = carry_over(keys, np.uint64([1, 2, 3, 5]), stored, compute,
                         moved=lambda rows, at: keys.eq("c").to_numpy())  # fmt: skip
    assert asked[-1] == [2, 3]
    # A key held twice is computed every night: its rows may share per-account state.
    twice = pd.Series(["a", "a", "c", "new"])
    carried = carry_over(twice, np.uint64([1, 1, 3, 5]), stored, compute)
    assert asked[-1] == [0, 1, 3]
    # Nothing moved: the stored rows as they are, nothing to compute or store.
    carried = carry_over(stored["account_id"], np.uint64([1, 2, 3, 4]), stored, compute)
    assert asked[-1] == [0, 1, 3] and carried.changed == [] and carried.rows is stored


def test_only_a_request_a_new_source_or_no_snapshot_make_the_extract_force_a_full_pass():
    assert extract_full_pass(None, False, True, True) is None
    month = "new month: full reconcile"
    assert extract_full_pass(month, False, True, True) is None  # compared with the snapshot
    assert extract_full_pass("requested", True, True, True) == "requested"
    assert extract_full_pass("first run", False, False, False) == "first run"
    assert extract_full_pass("CRM source changed", False, True, False) == "CRM source changed"
