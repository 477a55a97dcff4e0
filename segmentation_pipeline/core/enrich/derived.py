"""Columns computed from enrichable fields, recomputed once those fields are filled.

Standardization derives the size band from the employee count and the region from the
country; an account whose employees or country came from a vendor needs them again,
from the same framework bands and the same region map.
"""

from __future__ import annotations

import pandas as pd

from segmentation_pipeline.core.standardize import band_names
from segmentation_pipeline.framework import Framework


def refresh_derived(accounts: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    out = accounts.copy()
    out["company_size_band"] = band_names(out["employees"], framework.company_size_bands)
    regions = framework.standardization.tables().region_by_country
    region = out["region"] if "region" in out.columns else pd.Series(None, index=out.index)
    source = out.get("country_code_source", pd.Series(None, index=out.index))
    from_vendor = source.notna() & source.ne("crm")
    keep = region.notna() & ~from_vendor
    codes = out["country_code"].astype("str").str.strip().str.upper()
    out["region"] = region.astype("str").where(keep, codes.map(regions).astype("str"))
    return out
