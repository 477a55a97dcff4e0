"""Enrichment (foundation version): fill missing firmographics from an offline file.

The CRM's own values win: a provider value is only used where the CRM field is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.core.schema import ENRICHABLE_FIELDS, UNKNOWN_INDUSTRY
from segmentation_pipeline.core.standardize import band_name, region_for
from segmentation_pipeline.framework import Framework


@dataclass(frozen=True)
class EnrichmentResult:
    accounts: pd.DataFrame
    provenance: pd.DataFrame
    stats: dict


def _missing(frame: pd.DataFrame, field: str) -> pd.Series:
    if field == "industry":
        return frame[field].isna() | frame[field].eq(UNKNOWN_INDUSTRY)
    return frame[field].isna()


def coverage(frame: pd.DataFrame, fields=ENRICHABLE_FIELDS) -> dict[str, float]:
    n = len(frame)
    return {f: (float((~_missing(frame, f)).sum()) / n if n else 0.0) for f in fields}


def enrich_from_table(
    accounts: pd.DataFrame,
    firmographics: pd.DataFrame,
    framework: Framework,
    provider: str = "offline_file",
) -> EnrichmentResult:
    """Fill each empty enrichable field from the provider row with the same domain."""
    table = firmographics.drop_duplicates("domain").set_index("domain")
    out = accounts.copy()
    provenance = []
    for field in ENRICHABLE_FIELDS:
        if field not in table:
            continue
        candidate = out["domain"].map(table[field])
        fill = _missing(out, field) & candidate.notna()
        if field == "industry":
            fill &= candidate.isin(
                {i for lv in framework.firmographic.industry_fit.levels.values() for i in lv}
            )
        out.loc[fill, field] = candidate[fill]
        provenance.append(
            pd.DataFrame(
                {"account_id": out.loc[fill, "account_id"], "field": field, "provider": provider}
            )
        )
    out["company_size_band"] = [
        band_name(v, framework.company_size_bands) for v in out["employees"]
    ]
    out["region"] = out["region"].where(out["region"].notna(), out["country_code"].map(region_for))
    prov = (
        pd.concat(provenance, ignore_index=True)
        if provenance
        else pd.DataFrame(columns=["account_id", "field", "provider"])
    )
    stats = {
        "coverage_before": coverage(accounts),
        "coverage_after": coverage(out),
        "fields_filled": {f: int((prov["field"] == f).sum()) for f in ENRICHABLE_FIELDS},
    }
    return EnrichmentResult(out, prov, stats)
