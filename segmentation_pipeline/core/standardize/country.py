"""Country spellings -> ISO 3166 alpha-2 -> sales region.

Known spellings are ISO codes (alpha-2, alpha-3), ISO names, pycountry's translations of
every name (so native names such as "Deutschland" or "España" resolve) and the alias
table. A close typo of an English name or alias ("Untied States") matches fuzzily; an
ambiguous or unknown text stays unmatched rather than being guessed.
"""

from __future__ import annotations

import gettext
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pycountry

from segmentation_pipeline.core.standardize.text import (
    MISSING,
    FuzzyKeys,
    Parsed,
    as_text,
    lookup_key,
    lookup_key_of,
    lookup_keys_of,
    map_unique,
    null_tokens_of,
    on_distinct,
)


def _unambiguous(pairs: list[tuple[str, str]]) -> dict[str, str]:
    codes_by_key: dict[str, set[str]] = defaultdict(set)
    for key, code in pairs:
        if key:
            codes_by_key[key].add(code)
    return {key: codes.pop() for key, codes in codes_by_key.items() if len(codes) == 1}


@lru_cache(maxsize=1)
def _iso_names() -> tuple[dict[str, str], dict[str, str]]:
    """(English names and codes, translated names) as lookup key -> alpha-2."""
    english: list[tuple[str, str]] = []
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                english.append((name, country.alpha_2))
    translated: list[tuple[str, str]] = []
    for language in sorted(_locales()):
        catalog = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
        )
        for country in pycountry.countries:
            local = catalog.gettext(country.name)
            if local != country.name:
                translated.append((local, country.alpha_2))
    english_keys = lookup_keys_of([name for name, _ in english])
    translated_keys = lookup_keys_of([name for name, _ in translated])
    return (
        _unambiguous(list(zip(english_keys, [c for _, c in english], strict=True))),
        _unambiguous(list(zip(translated_keys, [c for _, c in translated], strict=True))),
    )


def _locales() -> set[str]:
    root = Path(pycountry.LOCALES_DIR)
    return {path.parent.parent.name for path in root.glob("*/LC_MESSAGES/iso3166-1.mo")}


class CountryLookup:
    """Resolves one raw country text to an alpha-2 code."""

    def __init__(
        self, aliases: Mapping[str, str], min_score: float, null_tokens: Iterable[str] = ()
    ) -> None:
        english, translated = _iso_names()
        alias_keys = dict(zip(lookup_keys_of(aliases), aliases.values(), strict=True))
        alias_keys.pop("", None)
        self._keys = {**translated, **english, **alias_keys}
        self._fuzzy = FuzzyKeys({**english, **alias_keys}, min_score)
        # "n/a" must read as no value, not as Namibia (NA).
        self._null_keys = null_tokens_of(null_tokens)

    def __call__(self, text: str | None) -> Parsed:
        return self.for_key(None if text is None else lookup_key_of(text))

    def for_key(self, key: str | None) -> Parsed:
        """Resolve a text already reduced by `lookup_key`."""
        if not key or key in self._null_keys:
            return MISSING
        if key in self._keys:
            return Parsed(self._keys[key], None)
        code = self._fuzzy.closest(key)
        if code is not None:
            return Parsed(code, None)
        return Parsed(None, "unmatched")


def standardize_country(
    raw: pd.Series, lookup: CountryLookup, region_by_country: Mapping[str, str]
) -> pd.DataFrame:
    """Columns country (cleaned text), country_code (alpha-2) and region."""
    text = on_distinct(raw, as_text)
    codes, _ = map_unique(on_distinct(text, lookup_key), lookup.for_key)
    country_code = pd.Series(codes, index=raw.index, dtype="str")
    return pd.DataFrame(
        {
            "country": text,
            "country_code": country_code,
            "region": country_code.map(dict(region_by_country)).astype("str"),
        },
        index=raw.index,
    )
