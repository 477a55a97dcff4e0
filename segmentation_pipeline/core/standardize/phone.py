"""Phone numbers -> E.164, using the account's country for numbers written nationally.

`phone_to_e164` is the rule: phonenumbers parses and validates one number. At a million
rows that costs ~30 µs a number, so `standardize_phones` takes a faster road for the
common shape (digits and separators, optionally a leading "+"): `split_number` reads the
country code and national number the way phonenumbers' parse does, from phonenumbers'
own metadata, and whole groups of numbers are validated at once with the metadata's
patterns (RE2, vectorized). Anything outside that shape, or needing one of parse's
retries, goes through `phone_to_e164` itself. Property tests hold the fast road to the
same value and reason as `phone_to_e164`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberFormat
from phonenumbers.phonemetadata import PhoneMetadata

from segmentation_pipeline.core.standardize.text import (
    MISSING,
    Parsed,
    arrow,
    as_text,
    column,
    fullmatch,
    map_unique,
    replace,
    starts_with,
)

_SEPARATORS = r"[ \-()./]"
_FAST_SHAPE = r"\+?[0-9]{5,20}"
_TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
               "uan", "voicemail", "fixed_line", "mobile")  # fmt: skip
_TOO_SHORT, _TOO_LONG, _LOCAL_ONLY, _INVALID_LENGTH, _OK = "short", "long", "local", "invalid", "ok"


def phone_to_e164(text: str | None, region: str | None) -> Parsed:
    """One phone text -> '+<country code><number>', or null and why (phonenumbers decides)."""
    if text is None or not str(text).strip():
        return MISSING
    try:
        number = phonenumbers.parse(str(text), region)
    except phonenumbers.NumberParseException as error:
        no_country = error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
        return Parsed(None, "no_country" if no_country and region is None else "unparseable")
    if not phonenumbers.is_valid_number(number):
        return Parsed(None, "invalid")
    return Parsed(phonenumbers.format_number(number, PhoneNumberFormat.E164), None)


@dataclass(frozen=True)
class _Plan:
    """What the fast road needs to know about one region's numbering plan."""

    country_code: str
    idd: re.Pattern | None
    national_prefix: re.Pattern | None
    transform: str | None
    general: re.Pattern
    lengths: tuple[int, ...]
    local_lengths: tuple[int, ...]


@cache
def _plan(region: str) -> _Plan | None:
    """None for regions without usable metadata: slow road."""
    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None:
        return None
    if not metadata.general_desc.possible_length:
        return None
    general = metadata.general_desc
    prefix = metadata.national_prefix_for_parsing
    return _Plan(
        country_code=str(metadata.country_code),
        idd=re.compile(metadata.international_prefix) if metadata.international_prefix else None,
        national_prefix=re.compile(prefix) if prefix else None,
        transform=metadata.national_prefix_transform_rule or None,
        general=re.compile(general.national_number_pattern),
        lengths=tuple(general.possible_length),
        local_lengths=tuple(general.possible_length_local_only),
    )


@lru_cache(maxsize=1)
def _main_region_by_code() -> dict[str, str]:
    return {
        str(code): regions[0]
        for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
        if regions[0] != "001"
    }


def _length_result(number: str, plan: _Plan) -> str:
    """phonenumbers' length test of a national number against the plan's general desc."""
    if len(number) in plan.local_lengths:
        return _LOCAL_ONLY
    if len(number) < plan.lengths[0]:
        return _TOO_SHORT
    if len(number) > plan.lengths[-1]:
        return _TOO_LONG
    return _OK if len(number) in plan.lengths else _INVALID_LENGTH


def _viable_strip(number: str, plan: _Plan) -> str:
    """The national prefix stripped (or rewritten) unless that spoils a viable number."""
    match = plan.national_prefix.match(number) if plan.national_prefix else None
    if not match:
        return number
    groups = match.groups()
    if plan.transform and groups and groups[-1] is not None:
        stripped = plan.national_prefix.sub(plan.transform, number, count=1)
    else:
        stripped = number[match.end() :]
    if plan.general.fullmatch(number) and not plan.general.fullmatch(stripped):
        return number
    return stripped


def _strip_national_prefix(number: str, plan: _Plan) -> str:
    """The stripping parse applies last: kept only if the rest has a possible length."""
    stripped = _viable_strip(number, plan)
    if _length_result(stripped, plan) in (_TOO_SHORT, _LOCAL_ONLY, _INVALID_LENGTH):
        return number
    return stripped


def _international(digits: str) -> tuple[str, _Plan] | None:
    """Country code (from the main region's plan) of digits written after '+' or an IDD."""
    codes = _main_region_by_code()
    code = next((digits[:n] for n in (1, 2, 3) if digits[:n] in codes), None)
    if code is None or digits.startswith("0"):
        return None
    plan = _plan(codes[code])
    return (code, plan) if plan else None


def split_number(digits: str, region: str | None) -> tuple[str, str] | str | None:
    """(country code, national number) of a '+'/digits-only text, the reason phonenumbers
    would fail it ('unparseable'), or None: take the slow road.

    Mirrors phonenumbers.parse for this shape: '+' or the region's international dialling
    prefix, then the country code; otherwise the region's own code, also when written
    without '+' in front of the national number; then the national prefix. Branches that
    would need phonenumbers' retries (an unknown country code) return None.
    """
    plan = _plan(region) if region else None
    international = digits[1:] if digits.startswith("+") else None
    if international is None and plan is not None and plan.idd:
        idd = plan.idd.match(digits)
        if idd and digits[idd.end() : idd.end() + 1] != "0":
            international = digits[idd.end() :]
    if international is not None:
        if len(international) <= 2:
            return "unparseable"
        found = _international(international)
        if found is None:
            return None
        code, plan = found
        national = international[len(code) :]
    elif plan is None:
        return None
    else:
        code, national = plan.country_code, digits
        if digits.startswith(code):
            rest = _viable_strip(digits[len(code) :], plan)
            general = plan.general
            if (not general.fullmatch(digits) and general.fullmatch(rest)) or _length_result(
                digits, plan
            ) == _TOO_LONG:
                national = rest
                plan = _plan(_main_region_by_code()[code]) or plan
    if len(national) < 2:
        return "unparseable"
    national = _strip_national_prefix(national, plan)
    if not 2 <= len(national) <= 17:
        return "unparseable"
    return code, national


@cache
def _region_validators(region: str) -> tuple[str | None, list[tuple[tuple[int, ...], str]]]:
    """(leading-digits pattern, [(possible lengths, pattern)] with the general desc first)."""
    metadata = PhoneMetadata.metadata_for_region(region, None)
    descs = [metadata.general_desc] + [getattr(metadata, name) for name in _TYPE_DESCS]
    checks = [
        (tuple(desc.possible_length), f"(?:{desc.national_number_pattern})")
        for desc in descs
        if desc is not None and desc.national_number_pattern
    ]
    leading = f"(?:{metadata.leading_digits})" if metadata.leading_digits else None
    return leading, checks


def _valid_in(region: str, national: pd.Series) -> np.ndarray:
    """phonenumbers' is-valid-for-region over many national numbers at once."""
    _, checks = _region_validators(region)
    if not checks:
        return np.zeros(len(national), dtype=bool)
    lengths = np.asarray(pc.utf8_length(arrow(national)))

    def matches(possible: tuple[int, ...], pattern: str) -> np.ndarray:
        ok = np.isin(lengths, possible) if possible else np.ones(len(national), dtype=bool)
        return ok & fullmatch(national, pattern)

    general, *types = checks
    valid_type = np.zeros(len(national), dtype=bool)
    for possible, pattern in types:
        valid_type |= matches(possible, pattern)
    return matches(*general) & valid_type


def _validate(code: str, national: pd.Series) -> np.ndarray:
    """Is each number valid (phonenumbers.is_valid_number), for one country code."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(code), ())
    if len(regions) == 1:
        return _valid_in(regions[0], national)
    undecided = np.ones(len(national), dtype=bool)
    valid = np.zeros(len(national), dtype=bool)
    for region in regions:
        if not undecided.any():
            break
        leading, _ = _region_validators(region)
        pending = national[undecided]
        in_region = _valid_in(region, pending)
        chosen = starts_with(pending, leading) if leading is not None else in_region
        positions = np.flatnonzero(undecided)
        valid[positions[chosen]] = in_region[chosen]
        undecided[positions[chosen]] = False
    return valid


@dataclass
class _Splits:
    """Per number: country code and national number, or the reason parse would fail;
    `slow` marks the numbers left to phonenumbers itself."""

    code: np.ndarray
    national: np.ndarray
    reason: np.ndarray
    slow: np.ndarray

    @classmethod
    def empty(cls, size: int) -> _Splits:
        return cls(*(np.full(size, None, dtype=object) for _ in range(3)), np.zeros(size, bool))

    def set_scalar(self, rows: np.ndarray, digits: list[str], regions: list) -> None:
        """`split_number`, one number at a time, for the branches kept in Python."""
        for row, text, region in zip(rows, digits, regions, strict=True):
            result = split_number(text, region)
            if isinstance(result, tuple):
                self.code[row], self.national[row] = result
            elif result is None:
                self.slow[row] = True
            else:
                self.reason[row] = result


def _strip_group(national: pd.Series, plan: _Plan) -> pd.Series:
    """`_strip_national_prefix` for many numbers of one plan (no transform rule)."""
    if plan.national_prefix is None:
        return national
    stripped = column(
        pc.replace_substring_regex(
            arrow(national), f"^(?:{plan.national_prefix.pattern})", "", max_replacements=1
        ),
        national.index,
    )
    general = plan.general.pattern
    spoils = fullmatch(national, general) & ~fullmatch(stripped, general)
    lengths = np.asarray(pc.utf8_length(arrow(stripped)))
    possible = np.isin(lengths, plan.lengths) | (lengths > plan.lengths[-1])
    possible &= ~np.isin(lengths, plan.local_lengths) & (lengths >= plan.lengths[0])
    return stripped.where(~spoils & possible, national)


def _finish(splits: _Splits, rows: np.ndarray, code, national: pd.Series, plan: _Plan) -> None:
    """National prefix and length checks, as at the end of `split_number`."""
    lengths = np.asarray(pc.utf8_length(arrow(national)))
    short = lengths < 2
    splits.reason[rows[short]] = "unparseable"
    rows, national = rows[~short], national[~short]
    if isinstance(code, np.ndarray):
        code = code[~short]
    if plan.transform:
        national = pd.Series([_strip_national_prefix(n, plan) for n in national], dtype="str")
    else:
        national = _strip_group(national, plan)
    lengths = np.asarray(pc.utf8_length(arrow(national)))
    fits = (lengths >= 2) & (lengths <= 17)
    splits.reason[rows[~fits]] = "unparseable"
    splits.code[rows[fits]] = code[fits] if isinstance(code, np.ndarray) else code
    splits.national[rows[fits]] = national[fits].to_numpy(dtype=object)


def _split_international(splits: _Splits, rows: np.ndarray, digits: pd.Series) -> None:
    """Numbers written after '+' or an international dialling prefix."""
    lengths = np.asarray(pc.utf8_length(arrow(digits)))
    splits.reason[rows[lengths <= 2]] = "unparseable"
    keep = lengths > 2
    rows, digits = rows[keep], digits[keep].reset_index(drop=True)
    codes = _main_region_by_code()
    found = np.full(len(rows), None, dtype=object)
    for size in (3, 2, 1):
        head = column(pc.utf8_slice_codeunits(arrow(digits), 0, size), digits.index)
        known = head.isin(codes).to_numpy() & ~starts_with(digits, "0")
        found[known] = head[known].to_numpy(dtype=object)
    splits.slow[rows[pd.isna(found)]] = True
    group_of, code_values = pd.factorize(found)
    for k, code in enumerate(code_values):
        plan = _plan(codes[code])
        group = np.flatnonzero(group_of == k)
        if plan is None:
            splits.slow[rows[group]] = True
            continue
        rest = pc.utf8_slice_codeunits(arrow(digits[group]), len(code))
        _finish(splits, rows[group], code, column(rest, pd.RangeIndex(len(group))), plan)


def split_numbers(digits: pd.Series, regions: pd.Series) -> _Splits:
    """`split_number` for many numbers at once (plain digits, optional leading '+')."""
    digits, regions = digits.reset_index(drop=True), regions.reset_index(drop=True)
    splits = _Splits.empty(len(digits))
    plus = starts_with(digits, r"\+")
    region_of, region_values = pd.factorize(regions)
    international = [
        (
            np.flatnonzero(plus),
            column(pc.utf8_slice_codeunits(arrow(digits[plus]), 1), pd.RangeIndex(int(plus.sum()))),
        )
    ]
    for k, region in enumerate(region_values):
        rows = np.flatnonzero(~plus & (region_of == k))
        plan = _plan(region)
        if plan is None:
            splits.slow[rows] = True
            continue
        national = digits[rows].reset_index(drop=True)
        if plan.idd:
            dialled = column(
                pc.replace_substring_regex(
                    arrow(national), f"^(?:{plan.idd.pattern})", "", max_replacements=1
                ),
                national.index,
            )
            abroad = starts_with(national, plan.idd.pattern) & ~starts_with(dialled, "0")
            international.append((rows[abroad], dialled[abroad].reset_index(drop=True)))
            rows, national = rows[~abroad], national[~abroad].reset_index(drop=True)
        own_code = starts_with(national, re.escape(plan.country_code))
        splits.set_scalar(rows[own_code], national[own_code].tolist(), [region] * own_code.sum())
        _finish(splits, rows[~own_code], plan.country_code,
                national[~own_code].reset_index(drop=True), plan)  # fmt: skip
    splits.slow[np.flatnonzero(~plus & (region_of < 0))] = True
    for rows, numbers in international:
        _split_international(splits, rows, numbers)
    return splits


def _fast_road(splits: _Splits) -> tuple[np.ndarray, np.ndarray]:
    """(E.164, reason) per split number; both None where the slow road decides."""
    e164 = np.full(len(splits.code), None, dtype=object)
    reasons = splits.reason.copy()
    decided = np.flatnonzero(pd.notna(splits.code))
    if not len(decided):
        return e164, reasons
    code_index, code_values = pd.factorize(splits.code[decided])
    order = np.argsort(code_index, kind="stable")
    bounds = np.searchsorted(code_index[order], np.arange(len(code_values) + 1))
    national = pa.array(splits.national[decided].tolist(), pa.large_string())
    for k, value in enumerate(code_values):
        group = order[bounds[k] : bounds[k + 1]]
        numbers = pd.Series(national.take(group), dtype="str")
        ok = _validate(value, numbers)
        e164[decided[group[ok]]] = ["+" + value + n for n in numbers[ok].tolist()]
        reasons[decided[group[~ok]]] = "invalid"
    return e164, reasons


def _expand(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    full = np.full(len(keep), None, dtype=object)
    full[keep] = values
    return full


def standardize_phones(
    raw: pd.Series, regions: pd.Series, default_region: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """(E.164 numbers, reasons) for a phone column and each row's ISO country code."""
    text = as_text(raw).reset_index(drop=True)
    region = regions.astype("str").reset_index(drop=True)
    if default_region:
        region = region.fillna(default_region)
    cleaned = replace(text, _SEPARATORS, "")
    number_code = pd.factorize(cleaned.where(fullmatch(cleaned, _FAST_SHAPE)))[0]
    region_code = pd.factorize(region)[0]
    pair = np.where(
        number_code < 0, -1, number_code * (region_code.max(initial=0) + 2) + region_code
    )
    codes, distinct = pd.factorize(pair)
    first = np.full(len(distinct), 0)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    keep = distinct >= 0
    splits = split_numbers(cleaned.iloc[first[keep]], region.iloc[first[keep]])
    fast_e164, fast_reasons = _fast_road(splits)
    fast_e164 = _expand(fast_e164, keep)
    fast_reasons = _expand(fast_reasons, keep)
    e164 = np.append(fast_e164, None)[codes]
    reasons = np.append(fast_reasons, None)[codes]
    slow = (pd.isna(e164) & pd.isna(reasons)) & text.notna().to_numpy()
    slow_rows = np.flatnonzero(slow)
    pairs = text.iloc[slow_rows] + "\x00" + region.iloc[slow_rows].fillna("")
    e164[slow_rows], reasons[slow_rows] = map_unique(pairs, _slow_rule)
    reasons[text.isna().to_numpy()] = MISSING.reason
    return (
        pd.Series(e164, index=raw.index, dtype="str"),
        pd.Series(reasons, index=raw.index, dtype="str"),
    )


def _slow_rule(pair: str | None) -> Parsed:
    if pair is None:
        return MISSING
    text, _, region = pair.partition("\x00")
    return phone_to_e164(text, region or None)
