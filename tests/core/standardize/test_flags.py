import pandas as pd

from segmentation_pipeline.core.standardize.flags import parse_flag, standardize_flags


def test_only_an_explicit_yes_is_true():
    assert [parse_flag(v) for v in ("true", "TRUE", " yes ", "1", "x", True)] == [True] * 6
    assert [parse_flag(v) for v in ("false", "0", "", None, "maybe", False)] == [False] * 6


def test_column():
    raw = pd.Series(["true", "False", None, "X", 1])
    assert standardize_flags(raw).tolist() == [True, False, False, True, True]
    assert standardize_flags(pd.Series([True, False])).dtype == bool
