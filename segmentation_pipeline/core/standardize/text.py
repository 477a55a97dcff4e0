"""Text primitives every rule shares: a uniform text column, folding, unique-value mapping.

Column operations call Arrow compute kernels (RE2 regular expressions) directly, so each
step is one vectorized pass over a million strings rather than a Python loop per row.
(pandas' `.str` methods fall back to a Python loop for some patterns, such as `\\s`.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

# Letters NFKD does not decompose into a base letter plus accents.
_UNDECOMPOSED = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                 "þ": "th", "ı": "i"}  # fmt: skip
# Whitespace other than the plain space; runs holding one (or two plain spaces) collapse.
_ODD_SPACE = (
    r"[\t\n\r\f\x0b\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_SPACE_RUN = rf"(?: |{_ODD_SPACE})*{_ODD_SPACE}(?: |{_ODD_SPACE})*|  +"


class Parsed(NamedTuple):
    """What every scalar rule returns: a value, or None and the reason why."""

    value: object
    reason: str | None


MISSING = Parsed(None, "missing")


def arrow(text: pd.Series) -> pa.Array:
    """The Arrow array behind a `str` column (one contiguous array)."""
    values = pa.array(text.array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def column(values: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype="str")


def replace(text: pd.Series, pattern: str, replacement: str) -> pd.Series:
    return column(pc.replace_substring_regex(arrow(text), pattern, replacement), text.index)


def fullmatch(text: pd.Series, pattern: str) -> np.ndarray:
    """Whole-string RE2 match; null text never matches."""
    hits = pc.match_substring_regex(arrow(text), f"^(?:{pattern})$")
    return np.asarray(pc.fill_null(hits, False), dtype=bool)


def starts_with(text: pd.Series, pattern: str) -> np.ndarray:
    """RE2 match anchored at the start only; null text never matches."""
    hits = pc.match_substring_regex(arrow(text), f"^(?:{pattern})")
    return np.asarray(pc.fill_null(hits, False), dtype=bool)


def prefix(text: pd.Series, pattern: str) -> pd.Series:
    """The part of each text matched by `pattern` at its start, null where none."""
    found = pc.extract_regex(arrow(text), f"^(?P<found>{pattern})")
    return column(pc.struct_field(found, [0]), text.index)


def as_text(values: pd.Series) -> pd.Series:
    """Any column as Arrow strings, whitespace trimmed and collapsed, blanks as null."""
    text = values if values.dtype == "str" else values.astype("str")
    raw = arrow(text)
    untidy = pc.fill_null(pc.match_substring_regex(raw, f"  |{_ODD_SPACE}"), False)
    if pc.any(untidy).as_py():
        tidied = pc.replace_substring_regex(pc.filter(raw, untidy), _SPACE_RUN, " ")
        raw = pc.replace_with_mask(raw, untidy, tidied)
    trimmed = pc.utf8_trim_whitespace(raw)
    blank = pc.equal(trimmed, "")
    if pc.any(blank).as_py():
        trimmed = pc.if_else(blank, pa.scalar(None, trimmed.type), trimmed)
    return column(trimmed, text.index)


_SAMPLE = 10_000


def most_frequent(counts: pd.Series, shown: int = 20) -> dict[str, int]:
    """Value -> count for the `shown` most frequent of `counts` (a `value_counts`), the
    rest counted together under "(other values)": a column of garbage cannot flood a log
    line or an asset's metadata."""
    named = {str(k): int(n) for k, n in counts.head(shown).items()}
    if len(counts) > shown:
        named["(other values)"] = int(counts.iloc[shown:].sum())
    return named


def mostly_distinct(values: pd.Series) -> bool:
    """Whether nearly every value of a long column differs (ids, amounts), judged on every
    n-th value: factorizing such a column to work once per distinct value would not pay."""
    if len(values) < 4 * _SAMPLE:
        return False
    sample = values.iloc[:: len(values) // _SAMPLE].dropna()
    return len(sample) > 0 and sample.nunique() > 0.9 * len(sample)


def on_distinct(values: pd.Series, step: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Run a column step once per distinct value when values repeat a lot (picklists,
    countries), else on the column itself: same result, less work."""
    if mostly_distinct(values):
        return step(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) * 4 > len(values):
        return step(values)
    distinct = step(pd.Series(uniques, dtype=values.dtype if values.dtype == "str" else None))
    of_null = step(pd.Series([None], dtype="str"))
    if distinct.dtype == "str" and of_null.dtype == "str":
        # Take back in Arrow: building a text column from Python objects costs a pass per row.
        table = pa.concat_arrays([arrow(distinct), arrow(of_null).cast(arrow(distinct).type)])
        rows = np.where(codes < 0, len(uniques), codes)
        return column(table.take(pa.array(rows)), values.index)
    taken = distinct.to_numpy(dtype=object, na_value=None)
    result = np.append(taken, of_null.iloc[0])[codes]
    return pd.Series(result, index=values.index, dtype=distinct.dtype)


def fold(text: pd.Series) -> pd.Series:
    """Lower case without accents: 'Crème' and 'CREME' fold to 'creme'."""
    values = arrow(text)
    ascii_rows = pc.fill_null(pc.string_is_ascii(values), True)
    folded = pc.ascii_lower(values)
    if not pc.all(ascii_rows).as_py():
        others = pc.utf8_normalize(pc.filter(values, pc.invert(ascii_rows)), "NFKD")
        others = pc.utf8_lower(pc.replace_substring_regex(others, r"\p{M}+", ""))
        for letter, plain in _UNDECOMPOSED.items():
            others = pc.replace_substring(others, letter, plain)
        folded = pc.replace_with_mask(folded.cast(others.type), pc.invert(ascii_rows), others)
    return column(folded, text.index)


def lookup_key(text: pd.Series) -> pd.Series:
    """Folded, with every run of non-alphanumerics removed: 'U.S.A.' -> 'usa'."""
    key = pc.replace_substring(arrow(fold(text)), "&", "and")
    key = pc.replace_substring_regex(key, r"[^\p{L}\p{N}]", "")
    return column(pc.if_else(pc.equal(key, ""), pa.scalar(None, key.type), key), text.index)


def lookup_keys_of(values: Iterable[str]) -> list[str]:
    """`lookup_key` of many strings at once ('' where nothing is left)."""
    return lookup_key(pd.Series(list(values), dtype="str")).fillna("").tolist()


def lookup_key_of(value: str) -> str:
    """`lookup_key` of one string (scalar rules)."""
    return lookup_keys_of([value])[0]


def per_distinct(values: pd.Series, rule: Callable[[object], object]) -> np.ndarray:
    """A scalar rule over a column, run once per distinct value (and once, as None, for
    the nulls); one result per row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate([*uniques.tolist(), None]):
        results[i] = rule(value)
    return results[codes]


def map_unique(
    text: pd.Series, rule: Callable[[str | None], tuple]
) -> tuple[np.ndarray, np.ndarray]:
    """Apply a scalar rule once per distinct value and spread its (value, reason) over rows."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    results = [rule(value) for value in uniques.tolist()] + [rule(None)]
    values = np.empty(len(results), dtype=object)
    reasons = np.empty(len(results), dtype=object)
    values[:] = [r[0] for r in results]
    reasons[:] = [r[1] for r in results]
    return values[codes], reasons[codes]


def null_tokens_of(tokens: Iterable[str]) -> frozenset[str]:
    """Placeholder texts ('n/a', 'unknown', '-') as lookup keys; '-' alone reduces to ''."""
    return frozenset(lookup_keys_of(tokens)) - {""}


class FuzzyKeys:
    """Lookup keys -> values, tolerant of a typo: a key not in the table takes the value of
    its closest keys (rapidfuzz ratio >= `min_score`) when they all agree on one value.
    Keys shorter than `min_length` never match fuzzily: one edit in "usa" is "usb". A
    typo keeps its first letter: "N. America" ("namerica") is no typo of "America"."""

    def __init__(self, table: dict[str, str], min_score: float, min_length: int = 5) -> None:
        self._table = table
        self._choices: dict[str, list[str]] = {}
        for key in table:
            if len(key) >= min_length:
                self._choices.setdefault(key[0], []).append(key)
        self._min_score = min_score
        self._min_length = min_length

    def closest(self, key: str) -> str | None:
        if len(key) < self._min_length:
            return None
        best = process.extract(
            key,
            self._choices.get(key[0], []),
            scorer=fuzz.ratio,
            score_cutoff=self._min_score,
            limit=5,
        )
        if not best:
            return None
        values = {self._table[choice] for choice, score, _ in best if score == best[0][1]}
        return values.pop() if len(values) == 1 else None
