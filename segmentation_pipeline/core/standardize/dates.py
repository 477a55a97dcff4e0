"""Date and time texts -> UTC timestamps.

ISO 8601 (what Salesforce sends: "2024-11-10T00:00:00.000+0000") is read in one
vectorized pass; anything else ("15/01/2024", "Jan 15, 2024") is read once per distinct
text by a general parser, month first unless the framework says day first. A text
without a zone is taken as UTC. A date written with dots ("05.01.2027") is day first
whatever the setting: every country that writes dates so puts the day first. A date
before 1900 is no date (out_of_range).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from segmentation_pipeline.core.standardize.text import (
    MISSING,
    Parsed,
    arrow,
    as_text,
    map_unique,
    mostly_distinct,
)

# The first day of a spreadsheet's calendar. Nothing a CRM record means lies before it;
# an earlier date is a placeholder (year 1, a negative year, a spreadsheet's day zero
# 1899-12-30) that would make an account two thousand years old.
EARLIEST = pd.Timestamp("1900-01-01", tz="UTC")
OUT_OF_RANGE = "out_of_range"
_DOTTED_DAY_FIRST = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}(?:[ T].*)?")
# A date whose day and month are numbers before its year, by slashes or dashes: which
# comes first is the `dates_day_first` setting's.
_NUMBERS_FIRST = r"^(?P<first>\d{1,2})[/-](?P<second>\d{1,2})[/-]\d{2,4}(?:[ T].*)?$"


def parse_timestamp(text: str | None, day_first: bool = False) -> Parsed:
    """One date text -> a UTC Timestamp, or null and why."""
    if text is None or not str(text).strip():
        return MISSING
    text = str(text).strip()
    try:
        value = pd.to_datetime(text, format="ISO8601", utc=True)
    except (ValueError, OverflowError, TypeError):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dotted = _DOTTED_DAY_FIRST.fullmatch(text) is not None
                value = pd.to_datetime(text, dayfirst=day_first or dotted, utc=True)
        except (ValueError, OverflowError, TypeError, OSError):
            return Parsed(None, "unparseable")
    if pd.isna(value):
        return Parsed(None, "unparseable")
    if value < EARLIEST:
        return Parsed(None, OUT_OF_RANGE)
    return Parsed(value, None)


def standardize_timestamps(raw: pd.Series, day_first: bool = False) -> tuple[pd.Series, pd.Series]:
    """(UTC timestamps, reasons) for a raw date column."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        values = raw.dt.tz_convert("UTC")
        return _refuse_early(values, np.where(values.isna(), "missing", None).astype(object))
    text = as_text(raw)
    if not mostly_distinct(text):
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        if len(uniques) * 4 <= len(text):
            # Few distinct dates (contract ends): parse each once, take back to the rows.
            values, reasons = _timestamps_of(pd.Series([*uniques, None], dtype="str"), day_first)
            rows = np.where(codes < 0, len(uniques), codes)
            return (
                pd.Series(values.array.take(rows), index=raw.index),
                pd.Series(reasons.to_numpy(dtype=object, na_value=None)[rows],
                          index=raw.index, dtype="str"),
            )  # fmt: skip
    return _timestamps_of(text, day_first)


def _timestamps_of(text: pd.Series, day_first: bool) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 vectorized; the other spellings once per distinct text by `parse_timestamp`."""
    values = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    failed = values.isna().to_numpy()
    reasons = np.full(len(text), None, dtype=object)
    if failed.any():
        parsed, why = map_unique(text.where(failed), lambda t: parse_timestamp(t, day_first))
        fallback = pd.to_datetime(pd.Series(parsed[failed], dtype=object), utc=True)
        values = values.copy()
        values.iloc[np.flatnonzero(failed)] = fallback.to_numpy()
        reasons[failed] = why[failed]
    return _refuse_early(values.astype("datetime64[us, UTC]"), reasons)


def _refuse_early(values: pd.Series, reasons: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """(values with those before EARLIEST null, reasons with theirs OUT_OF_RANGE)."""
    early = (values < EARLIEST).to_numpy()
    if early.any():
        values = values.mask(early)
        reasons = reasons.copy()
        reasons[early] = OUT_OF_RANGE
    return values, pd.Series(reasons, index=values.index, dtype="str")


def date_order_warning(field: str, raw: pd.Series, day_first: bool) -> str | None:
    """One line naming the dates of a column (`field`, its raw texts) that can be read only
    in the order the `dates_day_first` setting does not say ("31/12/2026" while months come
    first): the general parser reads them the other way round, so the column holds dates of
    both orders and those that read either way ("04/03/2025") are silently read in the
    setting's. None when no date contradicts the setting."""
    text = as_text(raw)
    parts = pc.extract_regex(arrow(text), _NUMBERS_FIRST)
    shaped = np.asarray(pc.fill_null(pc.is_valid(parts), False), dtype=bool)
    if not shaped.any():
        return None
    found = text[shaped]
    first, second = (
        pd.Series(pc.struct_field(parts, [name]).to_numpy(zero_copy_only=False)[shaped])
        .astype(int)
        .to_numpy()
        for name in ("first", "second")
    )
    day, month = (first, second) if day_first else (second, first)
    contrary = (month > 12) & (day <= 12)
    if not contrary.any():
        return None
    either = (first <= 12) & (second <= 12) & (first != second)
    read, other = ("day", "month") if day_first else ("month", "day")
    line = (
        f"{field}: {int(contrary.sum()):,} accounts hold dates that read only {other} first "
        f"(e.g. {found[contrary].iloc[0]!r}) while standardization.dates_day_first is "
        f"{str(day_first).lower()}"
    )
    if either.any():
        line += (
            f"; {int(either.sum()):,} whose day and month could be either (e.g. "
            f"{found[either].iloc[0]!r}) were read {read} first"
        )
    return line + ": set dates_day_first to the order the export writes"


def unreadable_dates_warning(
    field: str, raw: pd.Series, day_first: bool, shown: int = 3
) -> str | None:
    """One line naming how many of a column's dates (`field`, its raw texts) cannot be read
    as one, with the most frequent of them ("46595", a spreadsheet's day number), or None:
    such a date reads as no date, which a score or view takes as unknown."""
    text = as_text(raw)
    _, reasons = standardize_timestamps(text, day_first)
    unread = (reasons.isin(["unparseable", OUT_OF_RANGE]) & text.notna()).to_numpy()
    if not unread.any():
        return None
    examples = text[unread].value_counts().head(shown).index
    return (
        f"{field}: {int(unread.sum()):,} accounts hold dates that cannot be read (e.g. "
        f"{', '.join(repr(e) for e in examples)}); they read as no date"
    )
