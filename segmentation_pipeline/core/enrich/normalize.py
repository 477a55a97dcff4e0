"""Turn vendor spellings into the pipeline's: domains, countries, industries, ranges.

Vendors describe the same company in their own vocabulary (PDL and Apollo both use the
LinkedIn industry list, lower-cased; countries by full name; revenue as a range); the
waterfall can only compare and merge answers once they share one vocabulary.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry
import tldextract

from segmentation_pipeline.core.standardize.domain import registrable_domains

# Offline: the bundled public-suffix snapshot, never a download.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=())

# The framework's industries <- the LinkedIn-style labels vendors give them.
_VENDOR_LABELS: dict[str, tuple[str, ...]] = {
    "Software": ("computer software", "software development", "internet",
        "information technology and services", "information technology & services",
        "it services and it consulting", "computer & network security",
        "computer and network security", "technology, information and internet"),
    "Financial Services": ("financial services", "banking", "insurance", "investment banking",
        "investment management", "capital markets", "venture capital & private equity",
        "accounting"),
    "Healthcare": ("hospital & health care", "hospitals and health care", "medical devices",
        "medical practice", "pharmaceuticals", "biotechnology", "health, wellness and fitness"),
    "Professional Services": ("management consulting", "business consulting and services",
        "legal services", "law practice", "staffing and recruiting", "marketing and advertising",
        "professional services"),
    "Telecommunications": ("telecommunications", "wireless", "telecommunications carriers"),
    "Manufacturing": ("machinery", "automotive", "electrical/electronic manufacturing",
        "industrial automation", "mechanical or industrial engineering", "chemicals",
        "manufacturing", "semiconductors", "aviation & aerospace"),
    "Logistics": ("logistics and supply chain", "transportation/trucking/railroad",
        "package/freight delivery", "warehousing",
        "transportation, logistics, supply chain and storage"),
    "Media": ("media production", "online media", "broadcast media", "publishing",
        "entertainment", "newspapers"),
    "Energy": ("oil & energy", "oil and gas", "utilities", "renewables & environment"),
    "Retail": ("retail", "consumer goods", "apparel & fashion", "supermarkets", "wholesale"),
    "Education": ("education management", "higher education", "e-learning",
        "primary/secondary education"),
    "Hospitality": ("hospitality", "restaurants", "leisure, travel & tourism",
        "food & beverages"),
    "Government": ("government administration", "government relations", "public safety",
        "military"),
    "Non-Profit": ("non-profit organization management", "non-profit organizations",
        "philanthropy", "civic & social organization"),
}  # fmt: skip
VENDOR_INDUSTRIES: dict[str, str] = {
    label: industry for industry, labels in _VENDOR_LABELS.items() for label in labels
}

_MULTIPLIERS = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_AMOUNT = r"\$?\s*(\d+(?:\.\d+)?)\s*([kmbt]?)"


def normalize_domain(value: object) -> str | None:
    """'https://WWW.Shop.Example.co.uk/x' -> 'example.co.uk' (the registrable domain)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("@")[-1].split("/")[0].split("?")[0].split("#")[0].split(":")[0]
    text = text.strip(".")
    if not text or " " in text:
        return None
    parts = _EXTRACT(text)
    if not parts.domain or not parts.suffix:
        return None
    return parts.top_domain_under_public_suffix


# A value that is already a bare ASCII host ("acme.co.uk"): nothing to strip but case.
_BARE_HOST = r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"


def normalize_domains(values: pd.Series) -> pd.Series:
    """`normalize_domain` for a column, same answers: bare hosts (the common case, and
    every domain standardization produced) take the vectorized public-suffix walk,
    anything else the scalar rule once per distinct value."""
    series = pd.Series(values)
    is_text = np.fromiter((type(v) is str for v in series), dtype=bool, count=len(series))
    texts = series.astype(object).where(is_text, None)
    stripped = pc.utf8_trim_whitespace(pa.array(texts.astype(object), type=pa.string()))
    lowered = pc.ascii_lower(stripped)
    bare = pc.and_(pc.string_is_ascii(stripped), pc.match_substring_regex(lowered, _BARE_HOST))
    bare = np.asarray(pc.fill_null(bare, False), dtype=bool)
    out = np.full(len(series), None, dtype=object)
    rows = np.flatnonzero(bare)
    if len(rows):
        hosts = pd.Series(lowered.take(pa.array(rows)).to_numpy(zero_copy_only=False), dtype="str")
        out[rows] = registrable_domains(hosts).to_numpy(dtype=object, na_value=None)
    rest = texts.notna().to_numpy() & ~bare
    if rest.any():
        codes, uniques = pd.factorize(texts[rest])
        found = np.array([normalize_domain(u) for u in uniques] + [None], dtype=object)
        out[rest] = found[codes]
    return pd.Series(out, index=series.index, dtype=object)


def country_code(value: object) -> str | None:
    """'united states' / 'US' / 'Germany' -> ISO 3166 alpha-2; None when unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return pycountry.countries.lookup(value.strip()).alpha_2
    except LookupError:
        return None


def canonical_industry(label: object, extra: Mapping[str, str] | None = None) -> str | None:
    """A vendor's industry label in the framework's vocabulary; None when unmapped.

    A label that already is one of the pipeline's industries ("software") is accepted in
    its canonical spelling; anything else must be in the map, or it is not used.
    """
    if not isinstance(label, str) or not label.strip():
        return None
    key = label.strip().lower()
    extra = extra or {}
    for vendor_label, industry in extra.items():
        if vendor_label.strip().lower() == key:
            return industry
    if key in VENDOR_INDUSTRIES:
        return VENDOR_INDUSTRIES[key]
    for industry in (*extra.values(), *VENDOR_INDUSTRIES.values()):
        if industry.lower() == key:
            return industry
    return None


def _amount(number: str, unit: str) -> float:
    return float(number) * _MULTIPLIERS[unit.lower()]


def range_midpoint(text: object) -> float | None:
    """'$50M-$100M' -> 75e6, '51-200' -> 125.5, '10001+' -> 10001, '$10B+' -> 1e10.

    Vendors that only know a band give a band; its midpoint is the least-wrong single
    number, and an open band ('10001+') is worth at least its floor.
    """
    if not isinstance(text, str):
        return None
    cleaned = text.strip().lower().replace(",", "")
    bounded = re.fullmatch(_AMOUNT + r"\s*-\s*" + _AMOUNT, cleaned)
    if bounded:
        # A unit written once is the band's ('$50-100M': $50M to $100M).
        low = _amount(bounded.group(1), bounded.group(2) or bounded.group(4))
        high = _amount(bounded.group(3), bounded.group(4) or bounded.group(2))
        return (low + high) / 2 if high >= low else None
    open_ended = re.fullmatch(_AMOUNT + r"\s*\+", cleaned)
    if open_ended:
        return _amount(open_ended.group(1), open_ended.group(2))
    return None


def positive_number(value: object) -> float | None:
    """A usable count or amount: finite and above zero; anything else is unknown."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None
