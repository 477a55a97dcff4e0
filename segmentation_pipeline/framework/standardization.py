"""The `standardization` section of the framework: the tables behind every cleaning rule.

Large tables ship as CSV files with the package (`bundled:<file>`); a user extends them
with inline entries here or with CSV files of their own (a path, relative to the working
directory). Inline entries win over files, later files over earlier ones. The files are
read here, once, so the rules in `core.standardize` receive plain dicts.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import Field, field_validator

from segmentation_pipeline.framework.section import Section

BUNDLED_PREFIX = "bundled:"
BUNDLED_DIR = Path(str(resources.files("segmentation_pipeline"))) / "data" / "standardization"


def resolve_table(reference: str) -> Path:
    """`bundled:<name>` -> the packaged table; anything else is a path of the user's."""
    if reference.startswith(BUNDLED_PREFIX):
        return BUNDLED_DIR / reference.removeprefix(BUNDLED_PREFIX)
    return Path(reference)


@lru_cache(maxsize=64)
def _read_rows(path: Path, mtime: float) -> tuple[tuple[str, ...], ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [tuple(cell.strip() for cell in row) for row in csv.reader(handle)]
    body = [row for row in rows[1:] if row and row[0] and not row[0].startswith("#")]
    return tuple(body)


def read_table(reference: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a CSV table (header skipped, blank and '#' lines ignored), cached by mtime."""
    path = resolve_table(reference)
    return _read_rows(path, path.stat().st_mtime)


def _pairs(files: list[str], inline: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for reference in files:
        merged.update({row[0]: row[1] for row in read_table(reference) if len(row) >= 2})
    merged.update(inline)
    return merged


@dataclass(frozen=True)
class StandardizationTables:
    """Every table a rule needs, merged from files and inline entries."""

    industry_synonyms: dict[str, str]
    country_aliases: dict[str, str]
    region_by_country: dict[str, str]
    legal_suffixes: tuple[str, ...]
    generic_domains: frozenset[str]


class StandardizationConfig(Section):
    """How raw CRM text becomes picklist values, ISO codes, numbers, domains and keys."""

    industry_synonym_files: list[str] = ["bundled:industry_synonyms.csv"]
    industry_synonyms: dict[str, str] = Field(
        default={}, description="Extra synonym -> picklist industry, applied last."
    )
    industry_fuzzy_min_score: float = Field(default=90, ge=50, le=100)
    country_alias_files: list[str] = ["bundled:country_aliases.csv"]
    country_aliases: dict[str, str] = {}
    country_fuzzy_min_score: float = Field(default=90, ge=50, le=100)
    region_map_files: list[str] = ["bundled:region_map.csv"]
    region_overrides: dict[str, str] = {}
    legal_suffix_files: list[str] = ["bundled:legal_suffixes.csv"]
    legal_suffixes: list[str] = []
    include_cleanco_terms: bool = True
    generic_domain_files: list[str] = ["bundled:generic_domains.csv"]
    null_tokens: list[str] = [
        "n/a", "na", "n.a.", "none", "null", "nil", "unknown", "-", "--", "?", "tbd", "#n/a",
        "not available", "not applicable",
    ]  # fmt: skip
    max_employees: int = Field(default=5_000_000, ge=1)
    max_arr: float = Field(default=1_000_000_000, gt=0)
    """Above this an account's ARR is implausible (a typo, a placeholder such as
    9999999999): the account ends Unsegmented with invalid_arr:implausible instead of
    carrying a segment's whole ARR in the reports."""
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    """The ISO 4217 currency the CRM keeps ARR, revenue and pipeline in. An amount marked
    with another ("EUR 45k", "¥2,000,000") is not converted: it is null with the reason
    other_currency, so the account ends Unsegmented with invalid_arr:other_currency."""
    dates_day_first: bool = False
    default_phone_region: str | None = Field(
        default=None, description="Region for national phone numbers of accounts without a country."
    )

    @field_validator(
        "industry_synonym_files",
        "country_alias_files",
        "region_map_files",
        "legal_suffix_files",
        "generic_domain_files",
    )
    @classmethod
    def _tables_exist(cls, references: list[str]) -> list[str]:
        for reference in references:
            if not resolve_table(reference).is_file():
                raise ValueError(f"table file {reference!r} does not exist")
        return references

    @field_validator("country_aliases", "region_overrides")
    @classmethod
    def _iso_codes(cls, mapping: dict[str, str], info) -> dict[str, str]:
        codes = mapping.values() if info.field_name == "country_aliases" else mapping.keys()
        for code in codes:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 code (two capitals)")
        return mapping

    @field_validator("default_phone_region")
    @classmethod
    def _region_code(cls, code: str | None) -> str | None:
        if code is not None and not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 code (two capitals)")
        return code

    def tables_digest(self) -> str:
        """A short digest of every table file's contents: a memo of standardized rows is
        stale when a table changes, even under the same file name."""
        digest = hashlib.sha256()
        for reference in self._table_files():
            path = resolve_table(reference)
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def _table_files(self) -> list[str]:
        return [
            *self.industry_synonym_files,
            *self.country_alias_files,
            *self.region_map_files,
            *self.legal_suffix_files,
            *self.generic_domain_files,
        ]

    def tables(self) -> StandardizationTables:
        suffixes = [row[-1] for ref in self.legal_suffix_files for row in read_table(ref)]
        if self.include_cleanco_terms:
            suffixes += _cleanco_terms()
        generic = {row[0].lower() for ref in self.generic_domain_files for row in read_table(ref)}
        return StandardizationTables(
            industry_synonyms=_pairs(self.industry_synonym_files, self.industry_synonyms),
            country_aliases=_pairs(self.country_alias_files, self.country_aliases),
            region_by_country=_pairs(self.region_map_files, self.region_overrides),
            legal_suffixes=tuple(dict.fromkeys(suffixes + self.legal_suffixes)),
            generic_domains=frozenset(generic),
        )


@lru_cache(maxsize=1)
def _cleanco_terms() -> list[str]:
    """cleanco's legal-form terms (many jurisdictions), used as data only."""
    from cleanco.termdata import terms_by_country, terms_by_type

    terms = [t for group in (terms_by_type, terms_by_country) for ts in group.values() for t in ts]
    return sorted({t.strip() for t in terms if t.strip()})
