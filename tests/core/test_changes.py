"""Folding an extract into the previous snapshot: positions kept, changes named exactly."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation_pipeline.core.changes import (
    ROW_HASH,
    ChangeSet,
    frame_hashes,
    group_hashes,
    merge_extract,
    unlisted_ids,
)

STAMP = "SystemModstamp"


def accounts(*rows):
    return pd.DataFrame(rows, columns=["Id", "Name", "ARR__c", STAMP])


def merge(previous, extract, **kwargs):
    kwargs.setdefault("full_refresh", False)
    return merge_extract(previous, extract, key="Id", ignore=[STAMP], **kwargs)


def ids(snapshot):
    return snapshot["Id"].tolist()


BASE = accounts(
    ("a", "Acme", "100", "2026-11-01"),
    ("b", "Beta", "200", "2026-11-01"),
    ("c", "Core", "300", "2026-11-01"),
)


def test_a_first_extract_is_all_new():
    snapshot, changes = merge(None, BASE, full_refresh=True)
    assert ids(snapshot) == ["a", "b", "c"]
    assert ROW_HASH in snapshot
    assert changes == ChangeSet(new=["a", "b", "c"])


def test_an_incremental_extract_replaces_edited_rows_in_place_and_appends_new_ones():
    previous, _ = merge(None, BASE, full_refresh=True)
    nightly = accounts(("d", "Delta", "50", "2026-11-02"), ("b", "Beta", "250", "2026-11-02"))

    snapshot, changes = merge(previous, nightly)

    assert ids(snapshot) == ["a", "b", "c", "d"]
    assert snapshot["ARR__c"].tolist() == ["100", "250", "300", "50"]
    assert changes == ChangeSet(new=["d"], updated=["b"], deleted=[], unchanged=0)


def test_a_record_touched_without_an_edit_is_unchanged_and_keeps_its_row():
    previous, _ = merge(None, BASE, full_refresh=True)
    touched = accounts(("a", "Acme", "100", "2026-11-05"))

    snapshot, changes = merge(previous, touched)

    assert changes == ChangeSet(unchanged=1)
    assert snapshot[STAMP].tolist() == ["2026-11-01"] * 3


def test_a_full_refresh_deletes_what_the_source_no_longer_has():
    previous, _ = merge(None, BASE, full_refresh=True)
    full = accounts(("a", "Acme", "100", "2026-11-01"), ("c", "Core", "300", "2026-11-01"))

    snapshot, changes = merge(previous, full, full_refresh=True)

    assert ids(snapshot) == ["a", "c"]
    assert changes == ChangeSet(deleted=["b"], unchanged=2)


def test_an_incremental_extract_deletes_only_what_the_source_reports():
    previous, _ = merge(None, BASE, full_refresh=True)
    snapshot, changes = merge(previous, accounts(), deleted_ids=["c", "zz"])
    assert ids(snapshot) == ["a", "b"]
    assert changes.deleted == ["c"]


def test_a_source_that_lists_every_account_names_the_missing_ones_deleted():
    """A file export holds every account: one it no longer lists is gone, even on a night
    that reads only the records edited since the mark."""
    previous, _ = merge(None, BASE, full_refresh=True)
    listed = pd.Series(["a", "c", "new"])
    assert unlisted_ids(previous, listed, full_refresh=False) == ["b"]
    assert unlisted_ids(previous, None, full_refresh=False) == []  # the source reports them
    assert unlisted_ids(previous, listed, full_refresh=True) == []  # the merge finds them
    assert unlisted_ids(None, listed, full_refresh=False) == []


def test_the_last_of_two_rows_with_one_id_wins():
    snapshot, changes = merge(
        None,
        accounts(("a", "Acme", "100", "t1"), ("a", "Acme", "900", "t2")),
        full_refresh=True,
    )
    assert snapshot["ARR__c"].tolist() == ["900"]
    assert changes.new == ["a"]


def test_rows_without_an_id_are_kept_not_lost():
    extract = accounts((None, "Nameless", "10", "t1"), ("a", "Acme", "100", "t1"))
    previous, _ = merge(None, extract, full_refresh=True)
    assert len(previous) == 2

    again, _ = merge(previous, accounts((None, "Nameless", "10", "t1")))
    assert again["Name"].tolist() == ["Acme", "Nameless"]  # held once, not twice

    replaced, _ = merge(previous, accounts(("a", "Acme", "100", "t1")), full_refresh=True)
    assert replaced["Name"].tolist() == ["Acme"]  # a full extract is the whole truth


def test_a_group_hash_changes_with_any_member_and_with_their_order():
    hashes = np.array([11, 22, 33, 44], dtype=np.uint64)
    groups = np.array([0, 0, 1, 1])
    base = group_hashes(hashes, groups, 2)
    edited = group_hashes(np.array([11, 22, 33, 45], dtype=np.uint64), groups, 2)
    swapped = group_hashes(np.array([22, 11, 33, 44], dtype=np.uint64), groups, 2)
    regrouped = group_hashes(hashes, np.array([0, 1, 1, 1]), 2)
    assert edited[0] == base[0] and edited[1] != base[1]
    assert swapped[0] != base[0] and swapped[1] == base[1]
    assert regrouped[0] != base[0] and regrouped[1] != base[1]


@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=30), st.randoms())
def test_a_group_hash_depends_on_its_members_not_on_where_they_sit(values, rnd):
    """Members interleaved with another group's rows, in the same relative order, hash
    alike."""
    alone = group_hashes(np.array(values, dtype=np.uint64), np.zeros(len(values), int), 1)
    others = [rnd.randrange(2**64) for _ in values]
    mixed, groups = [], []
    for mine, theirs in zip(values, others, strict=True):
        mixed += [theirs, mine]
        groups += [1, 0]
    together = group_hashes(np.array(mixed, dtype=np.uint64), np.array(groups), 2)
    assert together[0] == alone[0]


def test_an_edit_wins_over_a_reported_deletion_of_the_same_record():
    snapshot, _ = merge(None, BASE)
    edited = accounts(("b", "Beta", "250", "2026-11-02"))
    merged, changes = merge(snapshot, edited, deleted_ids=["b"])
    assert ids(merged) == ["a", "b", "c"]
    assert merged.loc[1, "ARR__c"] == "250"


def test_a_field_new_to_the_extract_is_kept_and_empty_on_older_records():
    snapshot, _ = merge(None, BASE)
    extract = accounts(("d", "Delta", "400", "2026-11-02")).assign(Region__c="EMEA")
    merged, _ = merge(snapshot, extract)
    assert ids(merged) == ["a", "b", "c", "d"]
    assert merged["Region__c"].tolist()[-1] == "EMEA"
    assert merged["Region__c"].isna().sum() == 3


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", None]),
            st.text(max_size=6),
            st.floats(allow_nan=True, allow_infinity=False),
            st.booleans(),
        ),
        max_size=40,
    ),
    st.sampled_from(["object", "str"]),
)
def test_frame_hashes_are_pandas_hashes_however_each_column_is_hashed(rows, text_dtype):
    """frame_hashes chooses per column whether to hash distinct values first; the hashes
    are pandas' own either way (stored row hashes must not change with the speed-up)."""
    frame = pd.DataFrame(rows, columns=["tier", "name", "score", "flag"])
    frame = frame.astype({"tier": text_dtype, "name": text_dtype})
    expected = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    assert np.array_equal(frame_hashes(frame), expected)
    many = pd.concat([frame] * 120, ignore_index=True)  # past the sampling threshold
    # Distinct names: complete, with a missing one, or (as object) with None and NaN.
    for gap in (None, "one", "both"):
        missing = {7: None, 11: np.nan} if gap == "both" else {7: None} if gap else {}
        many["name"] = [missing.get(i, f"n{i}") for i in range(len(many))]
        many = many.astype({"name": text_dtype})
        expected = pd.util.hash_pandas_object(many, index=False).to_numpy()
        assert np.array_equal(frame_hashes(many), expected)


@pytest.mark.parametrize(
    "value",
    [lambda i: i, lambda i: pd.Timestamp("2026-01-01") + pd.Timedelta(seconds=i)],
    ids=["numbers", "timestamps"],
)
@pytest.mark.parametrize("gap", [False, True])
def test_frame_hashes_of_distinct_objects_that_are_not_text_are_pandas_hashes(value, gap):
    """Pandas hashes such objects by the type it infers for their distinct values, so
    they must not take the value-by-value path kept for text."""
    values = [None if gap and i == 5 else value(i) for i in range(3_000)]
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    expected = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    assert np.array_equal(frame_hashes(frame), expected)


def test_assignment_hashes_are_the_frame_hashes_of_every_other_column():
    from segmentation_pipeline.core.changes import (
        ASSIGNMENT_HASH,
        split_assignment_hashes,
        with_assignment_hashes,
    )

    assignments = pd.DataFrame({"account_id": ["A", "B"], "segment": ["Tier 1", None]})
    carried = with_assignment_hashes(assignments)
    expected = pd.util.hash_pandas_object(assignments, index=False).to_numpy()
    assert carried[ASSIGNMENT_HASH].to_numpy().tolist() == expected.tolist()
    # Hashing again does not hash the hash.
    again = with_assignment_hashes(carried)
    assert again[ASSIGNMENT_HASH].tolist() == carried[ASSIGNMENT_HASH].tolist()
    rows, hashes = split_assignment_hashes(again)
    pd.testing.assert_frame_equal(rows, assignments)
    assert hashes.tolist() == expected.tolist()
    assert split_assignment_hashes(assignments)[1] is None


@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=200),
    st.lists(st.integers(0, 2), min_size=1, max_size=200),
)
def test_frame_hashes_of_object_columns_factorized_by_identity_are_pandas_hashes(texts, stamps):
    """The object columns' distinct values are found by `columns.factorize` instead of
    pandas' own factorize; the hashes stay pandas' (text, missing values, and objects
    pandas hashes by the type it infers for their distinct values, such as timestamps)."""
    text_pool = ["Tier 1", "".join(["Tier ", "1"]), "Tier 2", None, np.nan, ""]
    stamp_pool = [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"), None]
    rows = max(len(texts), len(stamps))
    tiers = [text_pool[texts[i % len(texts)]] for i in range(rows)]
    since = [stamp_pool[stamps[i % len(stamps)]] for i in range(rows)]
    frame = pd.DataFrame(
        {"tier": pd.Series(tiers, dtype=object), "since": pd.Series(since, dtype=object)}
    )
    expected = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    assert np.array_equal(frame_hashes(frame), expected)
