"""Columns computed from enrichable fields, recomputed once those fields are filled.

Standardization derives the size band from the employee count and the region from the
country; an account whose employees or country came from a vendor needs them again.
"""

from __future__ import annotations

import pandas as pd

from segmentation_pipeline.core.standardize import band_name, region_for
from segmentation_pipeline.framework import Framework


def refresh_derived(accounts: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    out = accounts.copy()
    out["company_size_band"] = [
        band_name(v, framework.company_size_bands) for v in out["employees"]
    ]
    region = out["region"] if "region" in out.columns else pd.Series(None, index=out.index)
    source = out.get("country_code_source", pd.Series(None, index=out.index))
    from_vendor = source.notna() & source.ne("crm")
    keep = region.notna() & ~from_vendor
    out["region"] = region.where(keep, out["country_code"].map(region_for))
    return out
