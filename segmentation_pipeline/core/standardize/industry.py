"""Industry free text -> the framework's industry picklist.

A value is matched through the synonym table (case, accents, spacing and punctuation
ignored), else through a fuzzy match on the same keys for typos. Anything else becomes
"Unknown" with status `unmatched` (the text stays in `industry_raw`): a value is never
mapped to an industry on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import pandas as pd

from segmentation_pipeline.core.schema import UNKNOWN_INDUSTRY
from segmentation_pipeline.core.standardize.text import (
    FuzzyKeys,
    as_text,
    lookup_key,
    lookup_key_of,
    lookup_keys_of,
    map_unique,
    null_tokens_of,
    on_distinct,
)

MATCHED, FUZZY, UNMATCHED, MISSING = "matched", "fuzzy", "unmatched", "missing"


class IndustryMatch(NamedTuple):
    industry: str
    status: str  # matched | fuzzy | unmatched | missing


def picklist_of(levels: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """The framework's industries (every fit level) plus "Unknown"."""
    industries = [industry for level in levels.values() for industry in level]
    return tuple(dict.fromkeys([*industries, UNKNOWN_INDUSTRY]))


class IndustryMatcher:
    """Classifies one raw industry text; built once per picklist and synonym table."""

    def __init__(
        self,
        picklist: Iterable[str],
        synonyms: Mapping[str, str],
        min_score: float,
        null_tokens: Iterable[str] = (),
    ) -> None:
        self.picklist = tuple(picklist)
        known = sorted(set(self.picklist) - {UNKNOWN_INDUSTRY})
        usable = [
            (synonym, industry) for synonym, industry in synonyms.items() if industry in known
        ]
        texts = known + [synonym for synonym, _ in usable]
        targets = known + [industry for _, industry in usable]
        keys = dict(zip(lookup_keys_of(texts), targets, strict=True))
        keys.pop("", None)
        self._keys = keys
        self._fuzzy = FuzzyKeys(keys, min_score)
        self._null_keys = null_tokens_of(null_tokens)

    def __call__(self, text: str | None) -> IndustryMatch:
        return self.for_key(None if text is None else lookup_key_of(text))

    def for_key(self, key: str | None) -> IndustryMatch:
        """Classify a text already reduced by `lookup_key`."""
        if not key or key in self._null_keys:
            return IndustryMatch(UNKNOWN_INDUSTRY, MISSING)
        if key in self._keys:
            return IndustryMatch(self._keys[key], MATCHED)
        industry = self._fuzzy.closest(key)
        if industry is not None:
            return IndustryMatch(industry, FUZZY)
        return IndustryMatch(UNKNOWN_INDUSTRY, UNMATCHED)


def standardize_industry(raw: pd.Series, matcher: IndustryMatcher) -> pd.DataFrame:
    """Columns industry, industry_raw, industry_status for a raw industry column."""
    text = on_distinct(raw, as_text)
    industry, status = map_unique(on_distinct(text, lookup_key), matcher.for_key)
    return pd.DataFrame(
        {
            "industry": pd.array(industry, dtype="str"),
            "industry_raw": text.array,
            "industry_status": pd.array(status, dtype="str"),
        },
        index=raw.index,
    )
