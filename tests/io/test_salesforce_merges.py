"""The accounts merged away in Salesforce are kept in the state store between nights."""

from segmentation_pipeline.io.salesforce.merges import STATE_NAME, keep_merges, load_merges
from segmentation_pipeline.io.state_store import StateStore


def test_merges_are_kept_beside_the_related_records_and_read_back(tmp_path):
    store = StateStore(str(tmp_path))
    related = {"stamp": {"code": "1"}, "files": {"Case": "c.arrow"}}
    kept = keep_merges(store, related, {"B": "A", "D": "C"}, held=None)
    assert kept["files"] == related["files"] and kept["stamp"] == related["stamp"]
    assert load_merges(store, kept) == {"B": "A", "D": "C"}


def test_unchanged_merges_keep_last_nights_file_and_none_leave_no_file(tmp_path):
    store = StateStore(str(tmp_path))
    night1 = keep_merges(store, None, {"B": "A"}, held=None)
    night2 = keep_merges(store, None, {"B": "A"}, held=night1)
    assert night2 == night1  # a re-run writes no state
    night3 = keep_merges(store, None, {"B": "A", "D": "C"}, held=night2)
    assert night3["merges"] != night1["merges"]
    assert sorted(p.name for p in (tmp_path / STATE_NAME).iterdir()) == sorted(
        [night1["merges"], night3["merges"]]
    )  # last night's stays until tonight's commit
    assert keep_merges(store, {"files": {}}, {}, held=night3) == {"files": {}}
    assert keep_merges(store, None, {}, held=None) is None
    assert load_merges(store, {"merges": "gone.arrow"}) == {}
