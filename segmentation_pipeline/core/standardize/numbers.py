"""Counts and money written by people -> numbers, or null with a reason.

Accepted: thousands separators ("1,200", "1.200", "1 200"), decimals ("12.5", "12,5"),
multipliers ("1.2k", "3M", "2bn"), currency marks ("$45,000", "EUR 45k"), ranges
("1-10" -> midpoint 5.5, rounded for counts; a multiplier written once is both bounds'
unit: "50-150k" -> 100,000), open ranges ("50+" -> 50, "<50" -> 25),
accounting negatives ("(500)"). A lone separator followed by exactly three digits
("1.200", "1,200") is a thousands separator. Reasons: missing, unparseable, negative,
zero (counts only), implausible (above the configured maximum), other_currency (money
marked with a currency other than the one the CRM's amounts are in: no rate is applied,
so "JPY 2,000,000" is never read as two million dollars).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation_pipeline.core.standardize.text import (
    MISSING,
    Parsed,
    arrow,
    as_text,
    map_unique,
    mostly_distinct,
)

_MULTIPLIERS = {"": 1.0, "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6,
                "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}  # fmt: skip
# Currency marks people write beside amounts -> ISO 4217 code. "$" is whichever dollar
# the CRM keeps its amounts in (see `other_currency`).
_CURRENCY_MARKS = {
    "usd": "USD", "us$": "USD", "eur": "EUR", "€": "EUR", "gbp": "GBP", "£": "GBP",
    "cad": "CAD", "aud": "AUD", "chf": "CHF", "jpy": "JPY", "¥": "JPY", "inr": "INR",
    "₹": "INR",
}  # fmt: skip
_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"})
# Reading a number looks past every currency mark (which currency it was is
# `other_currency`'s question), longest first so "us$" is not read as "$".
_CURRENCY_ALTERNATIVES = "|".join(
    re.escape(mark) for mark in sorted([*_CURRENCY_MARKS, "$"], key=len, reverse=True)
)
_NOISE = re.compile(
    r"(?:approx\.?|approximately|about|around|circa|ca\.|~|employees?|staff|people|"
    rf"heads?|fte|{_CURRENCY_ALTERNATIVES}|per year|/\s*yr|/\s*year|"
    r"annually|p\.a\.)"
)
_NUMBER = r"(\d[\d.,' ]*)\s*(thousand|million|billion|mm|mn|bn|[kmb])?"
_RANGE = re.compile(rf"{_NUMBER}\s*(?:-|–|—|to)\s*{_NUMBER}")
_SINGLE = re.compile(rf"([<>+]?)\s*{_NUMBER}\s*(\+?)")
# Plain numbers (for the data-quality report: already in standard form).
PLAIN_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
# The common shapes a vectorized pass reads exactly as `parse_quantity` does ("$45,000",
# "USD 45000.00", "45k", "-12.5"); "1.200" (thousands or decimals?) is left to it.
_COMMON_SHAPE = (
    r"(?P<sign>-)?(?:(?:usd|eur|gbp|chf|cad|aud) ?|[$€£] ?)?"
    r"(?P<number>[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?) ?"
    r"(?P<multiplier>k|m|mm|mn|b|bn)?"
)
_AMBIGUOUS_DOT = r"[0-9]{1,3}\.[0-9]{3}"
_PLAIN_UNSIGNED = r"^[0-9]+(?:\.[0-9]+)?$"


def _digits(text: str) -> float | None:
    """'1,200.50' / '1.200,50' / '1 200' / "1'200" -> float; None when malformed."""
    text = text.replace(" ", "").replace("'", "")
    if not text or not re.fullmatch(r"[\d.,]+", text) or not text[0].isdigit():
        return None
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        grouping = "," if decimal == "." else "."
        whole, _, fraction = text.rpartition(decimal)
        if not re.fullmatch(rf"\d{{1,3}}(?:\{grouping}\d{{3}})*", whole) or not fraction.isdigit():
            return None
        return float(whole.replace(grouping, "") + "." + fraction)
    separator = "." if dots else "," if commas else ""
    if not separator:
        return float(text)
    parts = text.split(separator)
    if not all(part.isdigit() for part in parts):
        return None
    grouped = (
        1 <= len(parts[0]) <= 3
        and not parts[0].startswith("0")
        and all(len(part) == 3 for part in parts[1:])
    )
    if grouped:
        return float("".join(parts))
    if len(parts) == 2:
        return float(parts[0] + "." + parts[1])
    return None


def _amount(number: str, multiplier: str | None) -> float | None:
    value = _digits(number.strip())
    return None if value is None else value * _MULTIPLIERS[multiplier or ""]


def parse_quantity(text: str | None, null_tokens: Iterable[str] = ()) -> Parsed:
    """A number written by a person, before any plausibility rule."""
    if text is None:
        return MISSING
    cleaned = " ".join(str(text).lower().split())
    if not cleaned or cleaned in {t.lower() for t in null_tokens}:
        return MISSING
    negative = cleaned.startswith("-") or (cleaned.startswith("(") and cleaned.endswith(")"))
    body = _NOISE.sub(" ", cleaned.strip("()").removeprefix("-"))
    body = " ".join(body.split())
    if not body:
        return Parsed(None, "unparseable")
    if match := _RANGE.fullmatch(body):
        # A multiplier written once is the whole range's unit ("50-150k", "10k-20").
        low, high = _amount(match[1], match[2] or match[4]), _amount(match[3], match[4] or match[2])
        if low is None or high is None or high < low:
            return Parsed(None, "unparseable")
        return Parsed(-(low + high) / 2 if negative else (low + high) / 2, None)
    if match := _SINGLE.fullmatch(body):
        bound, number, multiplier, plus = match.groups()
        value = _amount(number, multiplier)
        if value is None or (bound and plus):
            return Parsed(None, "unparseable")
        if bound == "<":
            value /= 2
        return Parsed(-value if negative else value, None)
    return Parsed(None, "unparseable")


def judge(
    values: np.ndarray,
    *,
    allow_zero: bool,
    maximum: float | None,
    integer: bool,
    allow_negative: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the plausibility rules to parsed numbers (NaN = not parsed, reason kept)."""
    values = values.astype("float64", copy=True)
    if integer:
        values = np.floor(values + 0.5)
    reasons = np.full(len(values), None, dtype=object)
    rules = [
        (~np.isfinite(values) & ~np.isnan(values), "unparseable"),
        ((values < 0) & (not allow_negative), "negative"),
        ((values == 0) & (not allow_zero), "zero"),
        (values > maximum if maximum is not None else np.zeros(len(values), bool), "implausible"),
    ]
    for mask, reason in rules:
        hit = mask & ~np.isnan(values)
        reasons[hit] = reason
        values[hit] = np.nan
    return values, reasons


def parse_count(text: str | None, null_tokens: Iterable[str] = (), maximum: float | None = None):
    """An employee count: whole, positive, at most `maximum`."""
    return _judged(parse_quantity(text, null_tokens), False, maximum, True)


def parse_money(text: str | None, null_tokens: Iterable[str] = ()) -> Parsed:
    """An amount of money: zero allowed, negative not."""
    return _judged(parse_quantity(text, null_tokens), True, None, False)


def _judged(parsed: Parsed, allow_zero: bool, maximum: float | None, integer: bool) -> Parsed:
    if parsed.value is None:
        return parsed
    values, reasons = judge(
        np.array([parsed.value], dtype="float64"),
        allow_zero=allow_zero,
        maximum=maximum,
        integer=integer,
    )
    value = float(values[0])
    return Parsed(None if math.isnan(value) else value, reasons[0])


def _read_common_shapes(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, which rows were read) for the texts in one of the common shapes."""
    lowered = pc.ascii_lower(arrow(text))
    # Plain digits are most of a column and are their own number: the (costlier) extraction
    # of sign, currency and multiplier runs on the other rows only.
    plain = pc.fill_null(pc.match_substring_regex(lowered, _PLAIN_UNSIGNED), False)
    others = pc.invert(plain)
    parts = pc.extract_regex(pc.filter(lowered, others), f"^{_COMMON_SHAPE}$")
    none = pa.scalar(None, lowered.type)
    number = pc.replace_with_mask(
        pc.if_else(plain, lowered, none), others, pc.struct_field(parts, ["number"])
    )
    nothing = pa.nulls(len(lowered), lowered.type)
    sign = pc.replace_with_mask(nothing, others, pc.struct_field(parts, ["sign"]))
    multiplier = pc.replace_with_mask(nothing, others, pc.struct_field(parts, ["multiplier"]))
    common = np.asarray(pc.is_valid(number)) & ~np.asarray(
        pc.fill_null(pc.match_substring_regex(number, f"^{_AMBIGUOUS_DOT}$"), False)
    )
    amount = pc.cast(pc.replace_substring(number, ",", ""), pa.float64())
    spelled = pa.array(list(_MULTIPLIERS), lowered.type)
    factors = np.append(np.array(list(_MULTIPLIERS.values()), dtype=float), 1.0)
    which = pc.fill_null(pc.index_in(multiplier, value_set=spelled), len(factors) - 1)
    factor = factors[np.asarray(which, dtype=np.int64)]
    negative = np.asarray(pc.fill_null(pc.equal(sign, "-"), False))
    read = np.asarray(pc.fill_null(amount, np.nan), dtype=float) * factor
    values = np.where(common, np.where(negative, -read, read), np.nan)
    return values, common


def _parse_texts(text: pd.Series, null_tokens: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(parsed numbers, parse reasons) of a text column: common shapes vectorized, the rest
    by `parse_quantity`; each distinct text once when texts repeat (employee counts)."""
    if mostly_distinct(text):
        return _parse_texts_once(text, null_tokens)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    if len(uniques) * 4 <= len(text):
        distinct = pd.Series([*uniques, None], dtype="str")
        values, reasons = _parse_texts_once(distinct, null_tokens)
        rows = np.where(codes < 0, len(uniques), codes)
        return values[rows], reasons[rows]
    return _parse_texts_once(text, null_tokens)


def _parse_texts_once(
    text: pd.Series, null_tokens: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    values, common = _read_common_shapes(text)
    parsed, reasons = map_unique(text.where(~common), lambda t: parse_quantity(t, null_tokens))
    reasons[common] = None
    values[~common] = pd.to_numeric(pd.Series(parsed[~common]), errors="coerce").to_numpy(
        dtype="float64"
    )
    return values, reasons


def other_currency(text: pd.Series, currency: str) -> np.ndarray:
    """Which texts mark their amount with a currency other than `currency` (an ISO 4217
    code): "EUR 45k" or "1.200.000 €" in a USD CRM. A bare "$" is `currency` when that is
    a dollar, since people write their own dollar as "$"."""
    others = [re.escape(mark) for mark, code in _CURRENCY_MARKS.items() if code != currency]
    if currency not in _DOLLARS:
        others.append(re.escape("$"))
    # A letter code counts only as a word of its own ("EURO-TECH 5" is no euro amount).
    pattern = "|".join(
        rf"(?:^|[^a-z]){mark}(?:[^a-z]|$)" if mark[0].isalpha() else mark for mark in others
    )
    lowered = pc.ascii_lower(arrow(text))
    return np.asarray(pc.fill_null(pc.match_substring_regex(lowered, pattern), False))


def standardize_quantity(
    raw: pd.Series,
    null_tokens: Iterable[str] = (),
    *,
    allow_zero: bool,
    maximum: float | None = None,
    integer: bool = False,
    allow_negative: bool = False,
    currency: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """(numbers as float64, reasons) for a raw column; common shapes are read vectorized,
    the rest once per distinct text by `parse_quantity`. Amounts of money pass the
    `currency` they are kept in; one marked with another is null, `other_currency`."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.astype("float64").to_numpy()
        parse_reasons = np.where(np.isnan(values), "missing", None).astype(object)
    else:
        text = as_text(raw)
        values, parse_reasons = _parse_texts(text, tuple(null_tokens))
        if currency is not None:
            foreign = other_currency(text, currency)
            values = np.where(foreign, np.nan, values)
            parse_reasons = np.where(foreign, "other_currency", parse_reasons)
    values, reasons = judge(
        values,
        allow_zero=allow_zero,
        maximum=maximum,
        integer=integer,
        allow_negative=allow_negative,
    )
    reasons = np.where(pd.isna(reasons), parse_reasons, reasons)
    return (
        pd.Series(values, index=raw.index, dtype="float64"),
        pd.Series(reasons, index=raw.index, dtype="str"),
    )
