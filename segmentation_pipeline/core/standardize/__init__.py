"""Standardize raw CRM rows into the pipeline's schema (foundation version).

Each field parser returns a value or a null with a reason; it never raises on bad input.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pycountry

from segmentation_pipeline.core.schema import (
    RAW_ACCOUNT_COLUMNS,
    RAW_TO_STANDARD,
    STANDARD_ACCOUNT_COLUMNS,
    UNKNOWN_INDUSTRY,
)
from segmentation_pipeline.framework import Framework

_REGION_BY_COUNTRY = {
    "US": "NA",
    "CA": "NA",
    "MX": "LATAM",
    "BR": "LATAM",
    "AR": "LATAM",
    "CL": "LATAM",
    "CO": "LATAM",
    "JP": "APAC",
    "SG": "APAC",
    "AU": "APAC",
    "NZ": "APAC",
    "IN": "APAC",
    "CN": "APAC",
    "KR": "APAC",
}
_COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "great britain": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "holland": "NL",
    "deutschland": "DE",
    "españa": "ES",
    "brasil": "BR",
    "méxico": "MX",
}
_INDUSTRY_SYNONYMS = {
    "saas": "Software",
    "computer software": "Software",
    "software development": "Software",
    "banking": "Financial Services",
    "fin services": "Financial Services",
    "finance": "Financial Services",
    "fintech": "Financial Services",
    "health care": "Healthcare",
    "hospital & health care": "Healthcare",
    "consulting": "Professional Services",
    "management consulting": "Professional Services",
    "telecom": "Telecommunications",
    "telco": "Telecommunications",
    "industrial manufacturing": "Manufacturing",
    "mfg": "Manufacturing",
    "transportation & logistics": "Logistics",
    "supply chain": "Logistics",
    "media & entertainment": "Media",
    "publishing": "Media",
    "oil & energy": "Energy",
    "utilities": "Energy",
    "e-commerce": "Retail",
    "consumer goods": "Retail",
    "edtech": "Education",
    "higher education": "Education",
    "hotels": "Hospitality",
    "travel & hospitality": "Hospitality",
    "public sector": "Government",
    "nonprofit": "Non-Profit",
    "ngo": "Non-Profit",
}
_LEGAL_SUFFIX = re.compile(
    r"\b(inc|llc|ltd|gmbh|corp|corporation|co|sa|bv|plc|ag|limited)\b\.?", re.IGNORECASE
)


def _blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
        or value is pd.NA
    )


def parse_count(value: object) -> tuple[float | None, str | None]:
    """'1,200' -> 1200; '1-10' -> 10 (upper end); '50+' -> 50; 'n/a' -> null with reason."""
    if _blank(value):
        return None, "missing"
    text = str(value).strip().replace(",", "").replace("$", "").replace(" ", "")
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?)|\+)?", text)
    if not match:
        return None, "unparseable"
    number = float(match.group(2) or match.group(1))
    if number < 0:
        return None, "negative"
    return number, None


def country_code(value: object) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    alias = _COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


def industry_picklist(value: object, picklist: set[str]) -> tuple[str, str]:
    if _blank(value):
        return UNKNOWN_INDUSTRY, "missing"
    text = str(value).strip()
    for option in picklist:
        if option.lower() == text.lower():
            return option, "matched"
    synonym = _INDUSTRY_SYNONYMS.get(text.lower())
    if synonym in picklist:
        return synonym, "matched"
    return UNKNOWN_INDUSTRY, "unmatched"


def registrable_domain(value: object) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].split("@")[-1]
    text = text.removeprefix("www.")
    return text if "." in text else None


def name_key(value: object) -> str | None:
    if _blank(value):
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    text = _LEGAL_SUFFIX.sub(" ", text)
    text = re.sub(r"[^a-z0-9 ]", " ", text)
    text = re.sub(r"^the ", "", " ".join(text.split()))
    return text or None


def region_for(code: object) -> str | None:
    if _blank(code):
        return None
    return _REGION_BY_COUNTRY.get(str(code), "EMEA")


def band_name(value: float | None, bands) -> str | None:
    if value is None or pd.isna(value):
        return None
    for band in bands:
        if (band.min is None or value >= band.min) and (band.max is None or value < band.max):
            return band.name
    return None


def standardize_accounts(raw: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """One standardized row per raw row, in order; nothing is dropped."""
    src = raw.reindex(columns=list(RAW_ACCOUNT_COLUMNS)).rename(columns=RAW_TO_STANDARD)
    out = src.copy()
    picklist = {i for levels in framework.firmographic.industry_fit.levels.values() for i in levels}
    industry = [industry_picklist(v, picklist) for v in src["industry"]]
    out["industry_raw"] = src["industry"]
    out["industry"] = [i for i, _ in industry]
    out["industry_status"] = [s for _, s in industry]
    emp = [parse_count(v) for v in src["employees"]]
    out["employees_raw"] = src["employees"]
    out["employees"] = pd.array([e for e, _ in emp], dtype="Float64")
    out["employees_reason"] = [r for _, r in emp]
    arr = [parse_count(v) for v in src["arr"]]
    out["arr_raw"] = src["arr"]
    out["arr"] = pd.array([a for a, _ in arr], dtype="Float64")
    out["arr_reason"] = [r for _, r in arr]
    out["annual_revenue"] = pd.array(
        [parse_count(v)[0] for v in src["annual_revenue"]], dtype="Float64"
    )
    out["expansion_pipeline"] = pd.to_numeric(src["expansion_pipeline"], errors="coerce")
    out["company_size_band"] = [
        band_name(v, framework.company_size_bands) for v in out["employees"]
    ]
    out["arr_tier"] = [band_name(v, framework.arr_tiers) for v in out["arr"]]
    out["country_code"] = [country_code(v) for v in src["country"]]
    out["region"] = [region_for(c) for c in out["country_code"]]
    out["domain"] = [registrable_domain(v) for v in src["website"]]
    out["name_key"] = [name_key(v) for v in src["name"]]
    out["phone_e164"] = [
        None if _blank(p) else "+" + re.sub(r"\D", "", str(p)) for p in src["phone"]
    ]
    out["created_date"] = pd.to_datetime(src["created_date"], errors="coerce", utc=True)
    out["modstamp"] = pd.to_datetime(src["modstamp"], errors="coerce", utc=True)
    out["segment_override"] = (
        src["segment_override"].astype("string").str.lower().isin(["true", "1", "yes"])
    )
    return out.reindex(columns=list(STANDARD_ACCOUNT_COLUMNS))
