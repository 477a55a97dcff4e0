import pandas as pd

from segmentation_pipeline.core.standardize.flags import (
    parse_flag,
    standardize_flags,
    unreadable_flags,
)


def test_only_an_explicit_yes_is_true():
    assert [parse_flag(v) for v in ("true", "TRUE", " yes ", "1", "x", True)] == [True] * 6
    assert [parse_flag(v) for v in ("false", "0", "", None, "maybe", False)] == [False] * 6


def test_column():
    raw = pd.Series(["true", "False", None, "X", 1])
    assert standardize_flags(raw).tolist() == [True, False, False, True, True]
    assert standardize_flags(pd.Series([True, False])).dtype == bool


def test_a_spreadsheets_own_word_for_true_is_a_yes():
    """A checkbox column saved by a German, French, Spanish, Italian or Dutch spreadsheet
    holds its language's TRUE and FALSE."""
    raw = pd.Series(["WAHR", "VRAI", "VERDADERO", "VERO", "WAAR", "FALSCH", "FAUX", "FALSO"])
    assert standardize_flags(raw).tolist() == [True] * 5 + [False] * 3
    assert [parse_flag(v) for v in raw] == [True] * 5 + [False] * 3


def test_a_value_neither_yes_nor_no_is_named_with_its_count():
    raw = pd.Series(["true", "maybe", "FALSE", None, "", "2", "maybe", "Nein", "WAHR", " no "])
    assert unreadable_flags(raw) == {"maybe": 2, "2": 1}
    assert unreadable_flags(pd.Series([True, False])) == {}
