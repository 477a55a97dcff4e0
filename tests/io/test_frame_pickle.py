"""Packed pickles give back exactly the frame they were given."""

import io
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation_pipeline.io import frame_pickle
from segmentation_pipeline.io.frame_pickle import PackedFrame, pack


def _round_trip(obj):
    buffer = io.BytesIO()
    frame_pickle.dump(obj, buffer)
    buffer.seek(0)
    return frame_pickle.load(buffer)


def _assert_identical(restored: pd.DataFrame, original: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(restored, original)
    for name in original.columns:
        if original[name].dtype == object:
            kinds = [type(v) for v in original[name]]
            assert [type(v) for v in restored[name]] == kinds, name


def _segments(n: int) -> pd.DataFrame:
    tiers = np.array(["Tier 1", "Tier 2", "Tier 3", None], dtype=object)
    index = pd.RangeIndex(100, 100 + n)
    return pd.DataFrame(
        {
            "account_id": pd.Series([f"001{i:06d}" for i in range(n)], index, dtype="str"),
            "segment": pd.Series(tiers[np.arange(n) % 4], index, dtype=object),
            "arr": np.arange(n, dtype=float),
            "flag": pd.Series([None] * n, index, dtype=object),
        }
    )


def test_a_repetitive_text_column_is_stored_as_codes_and_comes_back_as_objects():
    frame = _segments(2_000)
    packed = pack(frame)
    assert isinstance(packed, PackedFrame)
    assert set(packed.columns) == {"segment", "flag"}
    restored = _round_trip(frame)
    _assert_identical(restored, frame)
    assert restored["segment"].iloc[3] is None
    assert list(restored.columns) == ["account_id", "segment", "arr", "flag"]


def test_missing_values_keep_their_kind():
    n = 2_000
    with_nan = pd.Series(["a" if i % 2 else float("nan") for i in range(n)], dtype=object)
    mixed = with_nan.copy()
    mixed.iloc[0] = None
    frame = pd.DataFrame({"nan": with_nan, "mixed": mixed})
    packed = pack(frame)
    assert list(packed.columns) == ["nan"]  # None beside NaN is kept as it is
    restored = _round_trip(frame)
    _assert_identical(restored, frame)
    assert restored["mixed"].iloc[0] is None and isinstance(restored["mixed"].iloc[2], float)


@pytest.mark.parametrize(
    "values",
    [
        [f"id-{i}" for i in range(2_000)],  # mostly distinct: not worth packing
        [1, "a"] * 1_000,  # not all text
        [True, False] * 1_000,
    ],
)
def test_columns_not_worth_packing_or_not_plain_text_are_left_alone(values):
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    assert pack(frame) is frame
    _assert_identical(_round_trip(frame), frame)


def test_small_frames_other_objects_and_old_plain_pickles_load_as_they_are():
    small = _segments(10)
    assert pack(small) is small
    assert _round_trip({"a": 1}) == {"a": 1}
    plain = io.BytesIO(pickle.dumps(_segments(2_000)))
    _assert_identical(frame_pickle.load(plain), _segments(2_000))


def test_a_repeated_index_survives():
    frame = _segments(2_000)
    frame.index = [7] * len(frame)
    _assert_identical(_round_trip(frame), frame)


TEXT = st.sampled_from(["SMB", "Mid-Market", "Enterprise", "", "é"])
CELL = st.one_of(TEXT, st.none(), st.just(float("nan")), st.integers(-3, 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CELL, TEXT | st.none()), min_size=0, max_size=40), st.integers(1, 60))
def test_any_frame_round_trips_exactly(rows, repeat):
    rows = rows * repeat
    frame = pd.DataFrame(
        {
            "any": pd.Series([a for a, _ in rows], dtype=object),
            "text": pd.Series([b for _, b in rows], dtype=object),
            "n": np.arange(len(rows)),
        }
    )
    _assert_identical(_round_trip(frame), frame)


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "int64[pyarrow]"])
def test_arrow_backed_columns_keep_their_chunks_and_dtype(dtype):
    values = ["Tier 1", None, "Tier 2"] if dtype != "int64[pyarrow]" else [1, None, 3]
    pieces = [pd.Series(values * 400, dtype=dtype), pd.Series(values[::-1] * 400, dtype=dtype)]
    column = pd.concat(pieces, ignore_index=True)  # an Arrow array of two chunks
    assert column.array._pa_array.num_chunks == 2
    frame = pd.DataFrame({"column": column, "n": np.arange(len(column))})
    restored = _round_trip(frame)
    _assert_identical(restored, frame)
    assert restored["column"].dtype == frame["column"].dtype
    assert restored["column"].array._pa_array.num_chunks == 2
