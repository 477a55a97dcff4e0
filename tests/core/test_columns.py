"""Whole-column helpers agree with the pandas operations they stand in for."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation_pipeline.core.columns import (
    absent_from,
    isin_by_hash,
    member_of,
    numbers,
    runs,
)


@pytest.mark.parametrize(
    ("values", "candidates"),
    [
        (pd.Series(["a", "b", None, "d"], dtype="str"), pd.Series(["b", "d", "x"], dtype="str")),
        (pd.Series(["a", None], dtype="str"), pd.Series([None, "a"], dtype=object)),
        (pd.Series(["a", "b"], dtype=object), pd.Index(["b"])),
        (pd.Series([1, 2, 3]), pd.Series([3, 4])),  # not text: pandas' own isin
        (pd.Series(["a", "b"], dtype="str"), pd.Series([], dtype=object)),
    ],
)
def test_member_of_matches_isin(values, candidates):
    expected = values.isin(candidates)
    assert member_of(values, candidates).tolist() == expected.tolist()


def test_member_of_keeps_the_index():
    values = pd.Series(["a", "b"], index=[10, 20], dtype="str")
    assert member_of(values, pd.Series(["b"])).index.tolist() == [10, 20]


def test_absent_from_is_the_sorted_set_difference_without_missing_values():
    values = pd.Series(["c", "a", None, "b", "a"], dtype="str")
    others = pd.Series(["b", None, "x"], dtype="str")
    assert absent_from(values, others) == ["a", "c"]
    assert absent_from(values, values) == []


NUMBER_TEXT = st.text(alphabet="0123456789.-+eE ,_xnaifNAIF", max_size=8)


@given(st.lists(st.none() | NUMBER_TEXT, max_size=30), st.sampled_from(["str", object]))
def test_numbers_equal_to_numeric_with_coercion(texts, dtype):
    values = pd.Series(texts, dtype=dtype)
    expected = pd.to_numeric(values, errors="coerce").astype("float64")
    pd.testing.assert_series_equal(numbers(values), expected)


def test_numbers_fall_back_to_pandas_for_text_arrow_cannot_cast():
    values = pd.Series(["1,000", " 12", "7", None], dtype="str", index=[5, 6, 7, 8])
    result = numbers(values)
    assert result.index.tolist() == [5, 6, 7, 8]
    assert result.tolist()[1:3] == [12.0, 7.0]
    assert result.isna().tolist() == [True, False, False, True]


def test_numbers_of_a_numeric_column_are_floats():
    assert numbers(pd.Series([1, 2], dtype="int64")).tolist() == [1.0, 2.0]
    assert numbers(pd.Series([1.5, None], dtype=object)).isna().tolist() == [False, True]


_HASHES = st.lists(st.integers(0, 2**64 - 1), max_size=40).map(
    lambda values: np.array(values, dtype=np.uint64)
)


@given(_HASHES, _HASHES)
def test_hash_membership_is_numpys(values, known):
    assert isin_by_hash(values, known).tolist() == np.isin(values, known).tolist()


def test_hash_membership_by_hand():
    values = np.array([5, 2**63 + 1, 5, 7], dtype=np.uint64)
    known = np.array([7, 2**63 + 1], dtype=np.uint64)
    assert isin_by_hash(values, known).tolist() == [False, True, False, True]


def test_account_index_finds_the_first_row_of_each_id():
    from segmentation_pipeline.core.columns import AccountIndex

    accounts = AccountIndex(pd.Series(["A", "B", "A", None, "C"], dtype="str"))
    assert accounts.find(pd.Series(["C", "A", "Z", None], dtype=object)).tolist() == [4, 0, -1, 3]
    assert accounts.find(np.array(["B"], dtype=object)).tolist() == [1]
    assert accounts.find(pd.Series([], dtype="str")).tolist() == []


def test_account_index_of_ids_that_are_not_text_or_probed_by_numbers():
    from segmentation_pipeline.core.columns import AccountIndex

    numeric = AccountIndex(pd.Series([7, 3, 7]))
    assert numeric.find(pd.Series([3, 7, 9])).tolist() == [1, 0, -1]
    text = AccountIndex(pd.Series(["7", "3"]))
    assert text.find(pd.Series([3, 7])).tolist() == [-1, -1]  # 3 is not "3"
    assert text.find(pd.Series(["3", 7], dtype=object)).tolist() == [1, -1]


@given(
    st.lists(st.sampled_from(["a", "b", "c", None]), max_size=12),
    st.lists(st.sampled_from(["a", "b", "d", None]), max_size=12),
)
def test_account_index_agrees_with_a_pandas_index(ids, keys):
    from segmentation_pipeline.core.columns import AccountIndex

    first = {}
    for row, value in enumerate(ids):
        first.setdefault(value, row)
    expected = [first.get(k, -1) for k in keys]
    assert (
        AccountIndex(pd.Series(ids, dtype=object)).find(pd.Series(keys, dtype=object)).tolist()
        == expected
    )


@given(
    st.lists(st.sampled_from(["a", "b", "c", None]), max_size=10),
    st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "d"]), st.floats()),
        st.dictionaries(st.sampled_from(["a", "b", "d"]), st.text(max_size=3)),
    ),
)
def test_map_by_key_is_series_map(keys, mapping):
    from segmentation_pipeline.core.columns import map_by_key

    keys = pd.Series(keys, index=range(10, 10 + len(keys)), dtype="str", name="account_id")
    values = pd.Series(
        mapping, dtype=object if any(isinstance(v, str) for v in mapping.values()) else float
    )
    pd.testing.assert_series_equal(map_by_key(keys, values), keys.map(values))


def test_map_by_key_by_hand():
    from segmentation_pipeline.core.columns import map_by_key

    keys = pd.Series(["b", "z", "a"], dtype="str")
    nps = pd.Series([30.0, 50.0], index=pd.Index(["a", "b"], dtype="str"))
    assert map_by_key(keys, nps).fillna(-1).tolist() == [50.0, -1, 30.0]


def test_map_by_key_with_an_empty_mapping_gives_every_key_missing_in_its_dtype():
    """Series.map fails on an empty mapping of dates (a month's contracts frame with no
    rows: customer_activity stopped with "Cannot cast DatetimeArray to dtype float64")."""
    from segmentation_pipeline.core.columns import map_by_key

    ends = pd.Series([], dtype="datetime64[ns]", index=pd.Index([], dtype=object))
    found = map_by_key(pd.Series(["a", "b"], index=[3, 4]), ends)
    assert found.dtype == "datetime64[ns]" and found.isna().all()
    assert found.index.tolist() == [3, 4]


def test_factorize_gives_an_object_columns_uniques_as_an_array_as_pandas_hashing_does():
    from segmentation_pipeline.core import columns

    stamps = pd.Series([pd.Timestamp("2026-01-01"), None, pd.Timestamp("2026-01-01")], dtype=object)
    codes, uniques = columns.factorize(stamps)
    assert codes.tolist() == [0, -1, 0]
    assert isinstance(uniques, np.ndarray) and uniques.dtype == object
    assert list(uniques) == [pd.Timestamp("2026-01-01")]


def test_take_frame_is_pandas_take_with_arrow_columns_taken_in_threads(monkeypatch):
    """Same values, dtypes, column order and index as `frame.take`, whichever columns the
    worker threads took."""
    from segmentation_pipeline.core import columns

    monkeypatch.setattr(columns, "TAKE_PARALLEL_ROWS", 0)
    monkeypatch.setattr(columns.os, "cpu_count", lambda: 2)
    frame = pd.DataFrame(
        {
            "account_id": pd.array(["A", "B", None, "D"], dtype="str"),
            "score": [1.5, np.nan, 3.0, 4.0],
            "segment": np.array(["Tier 1", None, "Tier 2", "Tier 1"], dtype=object),
            "explanation": pd.array(["x", "y", "z", None], dtype=pd.ArrowDtype(pa.large_string())),
            "flag": [True, False, True, False],
            "arr": pd.array([1.0, None, 3.0, 4.0], dtype="Float64"),
        },
        index=[10, 11, 12, 13],
    )
    positions = np.array([3, 0, 0, 2])
    taken = columns.take_frame(frame, positions)
    pd.testing.assert_frame_equal(taken, frame.take(positions))
    assert taken.index.tolist() == [13, 10, 10, 12]
    assert taken["explanation"].isna().tolist() == [True, False, False, False]
    assert taken["explanation"].iloc[1] == "x"
    assert taken["account_id"].tolist()[:2] == ["D", "A"]


def test_runs_are_the_spans_of_equal_neighbours():
    assert runs(np.array(["a", "a", "b", "c", "c", "c"], dtype=object)) == [(0, 2), (2, 3), (3, 6)]
    assert runs(np.array([], dtype=object)) == []
