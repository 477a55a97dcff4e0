"""Last night's clusters are carried over exactly when no row's match inputs moved."""

import numpy as np
import pandas as pd
import pytest

from segmentation_pipeline.core.changes import SOURCE_HASH
from segmentation_pipeline.core.dedup import deduplicate
from segmentation_pipeline.core.dedup.keys import MATCH_INPUTS, match_keys
from segmentation_pipeline.core.dedup.reuse import carried_finding, memo_of

ROWS = [
    {"Id": "A1", "Name": "Zentrix Inc", "Website": "zentrix.com", "BillingCountry": "US",
     "BillingCity": "Austin", "ARR__c": "20000"},
    {"Id": "A2", "Name": "ZENTRIX, INC.", "Website": "https://www.zentrix.com/about",
     "BillingCountry": "USA", "ARR__c": "10000"},
    {"Id": "C1", "Name": "Quorabel GmbH", "BillingCountry": "DE", "BillingCity": "München"},
    {"Id": "C2", "Name": "Quorabel", "BillingCountry": "Deutschland", "BillingCity": "Munchen"},
    {"Id": "D1", "Name": "Brightwave Media", "Website": "brightwave.io", "ARR__c": "5000"},
]  # fmt: skip


@pytest.fixture
def night(framework, standardize):
    """The first night: standardized rows with record hashes, matched afresh."""
    frame = standardize(ROWS)
    frame[SOURCE_HASH] = np.arange(1, len(frame) + 1, dtype=np.uint64)
    result = deduplicate(frame, framework)
    return frame, result, memo_of(result.finding, frame)


def _edit(frame: pd.DataFrame, account: str, **values) -> pd.DataFrame:
    """A night's edit of one record: new values and a new record hash."""
    edited = frame.copy()
    row = edited["account_id"].eq(account)
    for column, value in values.items():
        edited.loc[row, column] = value
    edited.loc[row, SOURCE_HASH] = np.uint64(1000)
    return edited


def test_match_keys_read_only_the_match_inputs(framework, standardize):
    frame = standardize(ROWS)
    assert match_keys(frame.loc[:, list(MATCH_INPUTS)]).name_code.tolist() == (
        match_keys(frame).name_code.tolist()
    )


def test_nothing_to_carry_on_the_first_night_or_from_a_foreign_file(night):
    frame, _, _ = night
    assert carried_finding(None, frame) == (None, "no earlier matching")
    assert carried_finding({"accounts": frame}, frame) == (None, "no earlier matching")


def test_an_untouched_base_carries_its_clusters(night):
    frame, result, memo = night
    finding, why = carried_finding(memo, frame)
    assert finding is result.finding and why == "no account record changed"


def test_an_arr_edit_carries_the_clusters_and_still_sums_the_new_arr(night, framework):
    frame, _, memo = night
    edited = _edit(frame, "A2", arr=70000.0)
    finding, why = carried_finding(memo, edited)
    assert finding is memo.finding
    assert why == "1 account records changed, none of their match fields"
    carried = deduplicate(edited, framework, finding)
    fresh = deduplicate(edited, framework)
    pd.testing.assert_frame_equal(carried.survivors, fresh.survivors)
    pd.testing.assert_frame_equal(carried.audit, fresh.audit)
    assert carried.survivors.set_index("account_id").loc["A1", "arr"] == 90000.0


def test_a_renamed_account_is_matched_afresh(night, framework):
    frame, _, memo = night
    edited = _edit(frame, "C2", name_key="brightwave media")
    assert carried_finding(memo, edited) == (None, "match fields of 1 accounts changed")


def test_a_new_account_is_matched_afresh(night, framework, standardize):
    frame, _, memo = night
    grown = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    assert carried_finding(memo, grown) == (None, "accounts went from 5 to 6")


def test_without_record_hashes_every_row_is_compared(night):
    frame, result, _ = night
    bare = frame.drop(columns=[SOURCE_HASH])
    memo = memo_of(result.finding, bare)
    assert carried_finding(memo, bare)[0] is result.finding
    moved = bare.copy()
    moved.loc[0, "city"] = "Dallas"
    assert carried_finding(memo, moved) == (None, "match fields of 1 accounts changed")


def test_the_next_memo_takes_the_new_record_hashes(night):
    frame, _, memo = night
    edited = _edit(frame, "A2", arr=70000.0)
    finding, _ = carried_finding(memo, edited)
    tomorrow = memo_of(finding, edited, carried_from=memo)
    assert tomorrow.source_hashes.tolist() == edited[SOURCE_HASH].tolist()
    assert tomorrow.match_hashes is memo.match_hashes
    assert carried_finding(tomorrow, edited) == (finding, "no account record changed")
    assert memo_of(finding, edited, carried_from=tomorrow) is tomorrow  # nothing to write


def test_a_finding_of_other_rows_is_refused(night, framework):
    frame, result, _ = night
    with pytest.raises(ValueError, match="5 rows given for 4 accounts"):
        deduplicate(frame.iloc[:4], framework, result.finding)
