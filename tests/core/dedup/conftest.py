"""Standardized account frames for the dedup tests, built from raw CRM rows."""

import pandas as pd
import pytest

from segmentation_pipeline.core.standardize import standardize_accounts


@pytest.fixture
def standardize(framework):
    def build(rows: list[dict]) -> pd.DataFrame:
        raw = pd.DataFrame(rows)
        if "Id" not in raw:
            raw["Id"] = [f"001{i:012d}" for i in range(len(raw))]
        return standardize_accounts(raw, framework)

    return build
