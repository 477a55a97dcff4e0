"""Whole-column helpers agree with the pandas operations they stand in for."""

import pandas as pd
import pytest

from segmentation_pipeline.core.columns import member_of


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
