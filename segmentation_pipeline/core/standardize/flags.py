"""Checkbox texts -> booleans. Only an explicit yes counts: a Salesforce checkbox is never
null, and a manual override must be deliberate, so blank or unreadable reads as False; a
value that is neither a yes nor a no is named (`unreadable_flags`)."""

from __future__ import annotations

import pandas as pd

from segmentation_pipeline.core.standardize.text import as_text, most_frequent, on_distinct

# With a spreadsheet's own TRUE and FALSE in the languages that write them otherwise.
TRUE_TEXTS = frozenset(
    {"true", "t", "yes", "y", "1", "1.0", "x", "checked", "on", "ja", "oui", "si", "sí",
     "wahr", "vrai", "verdadero", "vero", "waar"}
)  # fmt: skip
FALSE_TEXTS = frozenset(
    {"false", "f", "no", "n", "0", "0.0", "unchecked", "off", "nein", "non",
     "falsch", "faux", "falso", "onwaar"}
)  # fmt: skip


def parse_flag(text: object) -> bool:
    """One checkbox value -> True only for an explicit yes ('true', '1', 'yes', 'x', ...)."""
    if isinstance(text, bool):
        return text
    if text is None or pd.isna(text):
        return False
    return str(text).strip().lower() in TRUE_TEXTS


def standardize_flags(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.fillna(False).astype(bool)
    text = on_distinct(raw, as_text)
    return text.str.lower().isin(TRUE_TEXTS).fillna(False).astype(bool)


def unreadable_flags(raw: pd.Series, shown: int = 20) -> dict[str, int]:
    """The texts of a checkbox column that are neither a yes nor a no, with how many rows
    hold each (the `shown` most frequent named, the rest counted together): they read as
    no, so they are named, not silently dropped."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return {}
    counts = as_text(raw).value_counts()
    return most_frequent(counts[~counts.index.str.lower().isin(TRUE_TEXTS | FALSE_TEXTS)], shown)
