import numpy as np
import pandas as pd

from segmentation_pipeline.core.standardize.text import (
    Parsed,
    as_text,
    fold,
    lookup_key,
    map_unique,
    on_distinct,
)


def test_as_text_trims_collapses_and_blanks_to_null():
    raw = pd.Series([" Acme \t Corp ", "x\u00a0y", "   ", None, 42], dtype=object)
    assert as_text(raw).tolist()[:2] == ["Acme Corp", "x y"]
    assert as_text(raw).isna().tolist() == [False, False, True, True, False]
    assert as_text(raw).iloc[4] == "42"


def test_fold_removes_case_and_accents_including_letters_nfkd_keeps():
    folded = fold(pd.Series(["Crème", "STRASSE", "Straße", "Ørsted", None], dtype="str"))
    assert folded.tolist()[:4] == ["creme", "strasse", "strasse", "orsted"]
    assert pd.isna(folded.iloc[4])


def test_lookup_key_ignores_punctuation_and_spacing():
    keys = lookup_key(pd.Series(["U.S.A.", "u s a", "Oil & Gas", "--"], dtype="str"))
    assert keys.tolist()[:3] == ["usa", "usa", "oilandgas"]
    assert pd.isna(keys.iloc[3])


def test_map_unique_calls_the_rule_once_per_distinct_value():
    seen = []

    def rule(value):
        seen.append(value)
        return Parsed(None if value is None else value.upper(), None if value else "missing")

    values, reasons = map_unique(pd.Series(["a", "b", "a", None, "a"], dtype="str"), rule)
    assert values.tolist() == ["A", "B", "A", None, "A"]
    assert reasons.tolist() == [None, None, None, "missing", None]
    assert len(seen) == 3 and set(seen) == {"a", "b", None}


def test_on_distinct_gives_the_same_result_as_the_whole_column():
    column = pd.Series(["  x ", "y", None, "  x "] * 50, dtype="str")
    assert on_distinct(column, as_text).equals(as_text(column))
    assert isinstance(on_distinct(column, as_text).to_numpy(), np.ndarray)
