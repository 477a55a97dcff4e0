"""Company names -> a matching key: "The Crème Company, Inc." and "CREME CO" both give
"creme".

Steps: fold case and accents; drop dots and apostrophes inside words ("A.B.C." -> "abc");
"&" -> "and"; any other punctuation -> space; a leading "the"; then trailing legal-form
words (Inc, GmbH, S.A. de C.V., Pty Ltd, ...) one after another. The first word is never
stripped, so a name made only of legal words keeps a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation_pipeline.core.standardize.text import (
    MISSING,
    Parsed,
    arrow,
    as_text,
    column,
    fold,
)


def _normalize(text: pd.Series) -> pa.Array:
    words = pc.replace_substring_regex(arrow(fold(text)), r"['’`´.]", "")
    words = pc.replace_substring(words, "&", " and ")
    words = pc.replace_substring_regex(words, r"[^\p{L}\p{N} ]+", " ")
    return pc.utf8_trim(pc.replace_substring_regex(words, "  +", " "), " ")


@lru_cache(maxsize=16)
def legal_suffix_pattern(suffixes: tuple[str, ...]) -> str:
    """One RE2 pattern stripping any run of legal-form words at the end of a key."""
    normalized = _normalize(pd.Series(list(suffixes), dtype="str")).to_pylist()
    words = sorted({w for w in normalized if w}, key=lambda w: (-len(w), w))
    alternatives = "|".join(re.escape(w).replace("\\ ", " ") for w in words)
    return rf"(?: (?:{alternatives}))+$" if words else r"$^"


def name_keys(names: pd.Series, legal_suffixes: Iterable[str]) -> pd.Series:
    """The matching key of every name in a column; null where a name has no letter or digit."""
    key = _normalize(as_text(names))
    key = pc.replace_substring_regex(key, r"^the ", "")
    key = pc.replace_substring_regex(key, legal_suffix_pattern(tuple(legal_suffixes)), "")
    blank = pc.equal(key, "")
    return column(pc.if_else(blank, pa.scalar(None, key.type), key), names.index)


def name_key(name: str | None, legal_suffixes: Iterable[str]) -> Parsed:
    """The matching key of one name, or null and why."""
    if name is None or not str(name).strip():
        return MISSING
    key = name_keys(pd.Series([str(name)], dtype="str"), legal_suffixes).iloc[0]
    return Parsed(None, "no_letters") if pd.isna(key) else Parsed(key, None)
