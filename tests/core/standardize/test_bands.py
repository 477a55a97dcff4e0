import pandas as pd

from segmentation_pipeline.core.standardize.bands import band_name, band_names
from segmentation_pipeline.framework.models import NamedBand

BANDS = [
    NamedBand(name="SMB", min=0, max=100),
    NamedBand(name="Mid-Market", min=100, max=1000),
    NamedBand(name="Enterprise", min=1000, max=None),
]


def test_band_edges_are_min_inclusive_max_exclusive():
    assert [band_name(v, BANDS) for v in (0, 99.9, 100, 999, 1000, 10**7)] == [
        "SMB",
        "SMB",
        "Mid-Market",
        "Mid-Market",
        "Enterprise",
        "Enterprise",
    ]
    assert band_name(None, BANDS) is None
    assert band_name(-1, BANDS) is None


def test_column_version_agrees_with_the_scalar_one():
    values = pd.Series([0, 99.9, 100, None, 1000, -1])
    assert band_names(values, BANDS).tolist()[:3] == ["SMB", "SMB", "Mid-Market"]
    assert band_names(values, BANDS).isna().tolist() == [False, False, False, True, False, True]
