"""Size band and region follow enriched employees and countries."""

import pandas as pd

from segmentation_pipeline.core.enrich.derived import refresh_derived


def test_band_and_region_are_recomputed_from_enriched_values(framework):
    accounts = pd.DataFrame(
        {
            "employees": [50.0, 1500.0, None],
            "country_code": ["US", "JP", "DE"],
            "country_code_source": ["crm", "pdl", "crm"],
            "region": ["NA", "EMEA", None],
            "company_size_band": [None, None, "SMB"],
        }
    )
    out = refresh_derived(accounts, framework)
    assert list(out["company_size_band"][:2]) == ["SMB", "Enterprise"]
    assert pd.isna(out["company_size_band"][2])
    # JP came from a vendor: its region is recomputed; DE had none: filled
    assert list(out["region"]) == ["NA", "APAC", "EMEA"]


def test_the_framework_region_map_decides_the_region(framework):
    """A region override in the framework applies to vendor-filled countries too."""
    standardization = framework.standardization.model_copy(
        update={"region_overrides": {"JP": "Japan"}}
    )
    custom = framework.model_copy(update={"standardization": standardization})
    accounts = pd.DataFrame(
        {
            "employees": [None],
            "country_code": ["jp "],
            "country_code_source": ["pdl"],
            "region": ["APAC"],
        }
    )
    assert refresh_derived(accounts, custom)["region"].tolist() == ["Japan"]
