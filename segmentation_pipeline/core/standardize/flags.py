"""Checkbox texts -> booleans. Only an explicit yes counts: a Salesforce checkbox is never
null, and a manual override must be deliberate, so blank or unreadable reads as False."""

from __future__ import annotations

import pandas as pd

from segmentation_pipeline.core.standardize.text import as_text, on_distinct

TRUE_TEXTS = frozenset(
    {"true", "t", "yes", "y", "1", "1.0", "x", "checked", "on", "ja", "oui", "si"}
)


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
