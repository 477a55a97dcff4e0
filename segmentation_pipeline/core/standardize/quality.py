"""Per field, how much of the raw data was usable before standardization and after.

For each field:
* populated_before: share of rows whose raw text is not blank;
* standardized_before: share of those raw texts already in the standard form (an ISO
  code, a picklist value, a bare domain, an E.164 number, a plain number, ISO 8601,
  tidy whitespace for names and cities);
* populated_after: share of rows holding a standard value after the stage ("Unknown"
  industry counts as empty);
* standardized_after: share of the non-blank raw texts that now hold a standard value;
* unresolved: non-blank raw texts that could not be standardized (flagged, kept raw).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation_pipeline.core.schema import UNKNOWN_INDUSTRY
from segmentation_pipeline.core.standardize.accounts import raw_columns
from segmentation_pipeline.core.standardize.numbers import PLAIN_NUMBER
from segmentation_pipeline.core.standardize.text import as_text, fullmatch, on_distinct

REPORT_COLUMNS = (
    "field",
    "source_column",
    "populated_before",
    "standardized_before",
    "populated_after",
    "standardized_after",
    "unresolved",
)


@dataclass(frozen=True)
class _Field:
    name: str
    source: str
    target: str
    # raw text, standardized frame -> raw text already in standard form
    already_standard: Callable[[pd.Series, pd.DataFrame], np.ndarray]


def _equals(target: str) -> Callable[[pd.Series, pd.DataFrame], np.ndarray]:
    def check(text: pd.Series, standardized: pd.DataFrame) -> np.ndarray:
        value = standardized[target].astype("str").reset_index(drop=True)
        return (text == value).fillna(False).to_numpy(dtype=bool)

    return check


def _plain_number(text: pd.Series, _: pd.DataFrame) -> np.ndarray:
    return fullmatch(text, PLAIN_NUMBER)


def _iso_date(text: pd.Series, _: pd.DataFrame) -> np.ndarray:
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    return parsed.notna().to_numpy()


FIELDS: tuple[_Field, ...] = (
    _Field("name", "Name", "name_key", _equals("name")),
    _Field("website", "Website", "domain", _equals("domain")),
    _Field("industry", "Industry", "industry", _equals("industry")),
    _Field("employees", "NumberOfEmployees", "employees", _plain_number),
    _Field("annual_revenue", "AnnualRevenue", "annual_revenue", _plain_number),
    _Field("arr", "ARR__c", "arr", _plain_number),
    _Field("country", "BillingCountry", "country_code", _equals("country_code")),
    _Field("city", "BillingCity", "city", _equals("city")),
    _Field("phone", "Phone", "phone_e164", _equals("phone_e164")),
    _Field("created_date", "CreatedDate", "created_date", _iso_date),
    _Field("contract_end_date", "Contract_End_Date__c", "contract_end_date", _iso_date),
    _Field("expansion_pipeline", "Expansion_Pipeline__c", "expansion_pipeline", _plain_number),
)


def _has_value(standardized: pd.DataFrame, target: str) -> np.ndarray:
    values = standardized[target]
    present = values.notna().to_numpy().copy()
    if target == "industry":
        present &= (values != UNKNOWN_INDUSTRY).to_numpy()
    return present


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def quality_flags(raw: pd.DataFrame, standardized: pd.DataFrame) -> pd.DataFrame:
    """Per row and field, the three facts the report counts: raw text populated, raw text
    already standard, standard value after. A row's flags depend on that row alone, so a
    row memo can keep them beside the standardized row."""
    if len(raw) != len(standardized):
        raise ValueError(
            f"raw ({len(raw)} rows) and standardized ({len(standardized)} rows) must align"
        )
    src = raw_columns(raw)
    flags = {}
    for spec in FIELDS:
        text = on_distinct(src[spec.source], as_text)
        populated = text.notna().to_numpy()
        flags[f"{spec.name}:populated"] = populated
        flags[f"{spec.name}:standard_before"] = populated & spec.already_standard(
            text, standardized
        )
        flags[f"{spec.name}:standard_after"] = _has_value(standardized, spec.target)
    return pd.DataFrame(flags)


def report_from_flags(flags: pd.DataFrame) -> pd.DataFrame:
    """The report of `quality_flags` (in any row order)."""
    n = len(flags)
    rows = []
    for spec in FIELDS:
        populated = flags[f"{spec.name}:populated"].to_numpy(dtype=bool)
        standard_before = flags[f"{spec.name}:standard_before"].to_numpy(dtype=bool)
        standard_after = flags[f"{spec.name}:standard_after"].to_numpy(dtype=bool)
        rows.append(
            {
                "field": spec.name,
                "source_column": spec.source,
                "populated_before": _share(int(populated.sum()), n),
                "standardized_before": _share(int(standard_before.sum()), int(populated.sum())),
                "populated_after": _share(int(standard_after.sum()), n),
                "standardized_after": _share(
                    int((standard_after & populated).sum()), int(populated.sum())
                ),
                "unresolved": int((populated & ~standard_after).sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS))


def data_quality_report(raw: pd.DataFrame, standardized: pd.DataFrame) -> pd.DataFrame:
    """One row per standardized field: populated / standardized shares before and after."""
    return report_from_flags(quality_flags(raw, standardized))
