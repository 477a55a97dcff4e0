"""Last night's clusters are carried over exactly when no row's match inputs moved, and
the carried finding gives what matching afresh gives (`core.change_set.carried_matching`,
the safety net under the change set's full-pass rule)."""

import numpy as np
import pandas as pd
import pytest

from segmentation_pipeline.core.change_set import carried_matching, matching_of
from segmentation_pipeline.core.changes import SOURCE_HASH
from segmentation_pipeline.core.dedup import deduplicate
from segmentation_pipeline.core.dedup.keys import MATCH_INPUTS, match_keys

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
    return frame, result, matching_of(result.finding, frame)


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


def test_an_untouched_base_carries_its_clusters_without_hashing(night):
    frame, _, kept = night
    assert carried_matching(kept, frame) == (kept, 0)
    assert carried_matching(None, frame) == (None, 0)


def test_an_arr_edit_carries_the_clusters_and_still_sums_the_new_arr(night, framework):
    frame, _, kept = night
    edited = _edit(frame, "A2", arr=70000.0)
    carried, hashed = carried_matching(kept, edited)
    assert carried.finding is kept.finding and hashed == 1
    assert carried.source_hashes.tolist() == edited[SOURCE_HASH].tolist()  # for tomorrow
    assert carried.match_hashes is kept.match_hashes
    again = deduplicate(edited, framework, carried.finding)
    fresh = deduplicate(edited, framework)
    pd.testing.assert_frame_equal(again.survivors, fresh.survivors)
    pd.testing.assert_frame_equal(again.audit, fresh.audit)
    assert again.survivors.set_index("account_id").loc["A1", "arr"] == 90000.0


def test_a_renamed_account_an_added_one_or_another_order_is_matched_afresh(night):
    frame, _, kept = night
    assert carried_matching(kept, _edit(frame, "C2", name_key="brightwave media"))[0] is None
    grown = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    assert carried_matching(kept, grown)[0] is None
    assert carried_matching(kept, frame.iloc[::-1].reset_index(drop=True))[0] is None


def test_a_finding_of_other_rows_is_refused(night, framework):
    frame, result, _ = night
    with pytest.raises(ValueError, match="5 rows given for 4 accounts"):
        deduplicate(frame.iloc[:4], framework, result.finding)
