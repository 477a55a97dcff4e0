import pandas as pd
import pytest

from segmentation_pipeline.core.standardize.industry import (
    IndustryMatch,
    IndustryMatcher,
    picklist_of,
    standardize_industry,
)

LEVELS = {"target": ["Software", "Financial Services"], "poor": ["Government"]}
SYNONYMS = {"SaaS": "Software", "Banking": "Financial Services", "Widgets": "Hardware"}


@pytest.fixture
def matcher():
    return IndustryMatcher(picklist_of(LEVELS), SYNONYMS, 90, ["n/a", "unknown"])


def test_picklist_is_the_framework_industries_plus_unknown():
    assert picklist_of(LEVELS) == ("Software", "Financial Services", "Government", "Unknown")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Software", IndustryMatch("Software", "matched")),
        ("  financial-services ", IndustryMatch("Financial Services", "matched")),
        ("SAAS", IndustryMatch("Software", "matched")),
        ("banking", IndustryMatch("Financial Services", "matched")),
        ("Sofware", IndustryMatch("Software", "fuzzy")),
        ("Governmnet", IndustryMatch("Government", "fuzzy")),
        ("Widgets", IndustryMatch("Unknown", "unmatched")),  # synonym target not in picklist
        ("Real Estate", IndustryMatch("Unknown", "unmatched")),
        ("N/A", IndustryMatch("Unknown", "missing")),
        ("", IndustryMatch("Unknown", "missing")),
        (None, IndustryMatch("Unknown", "missing")),
    ],
)
def test_classify(matcher, raw, expected):
    assert matcher(raw) == expected


def test_short_texts_never_match_fuzzily(matcher):
    assert matcher("Gov") == IndustryMatch("Unknown", "unmatched")


def test_column_keeps_the_raw_text_beside_the_picklist_value(matcher):
    out = standardize_industry(pd.Series(["SaaS", "Real Estate", None], index=[7, 8, 9]), matcher)
    assert out.index.tolist() == [7, 8, 9]
    assert out["industry"].tolist() == ["Software", "Unknown", "Unknown"]
    assert out["industry_status"].tolist() == ["matched", "unmatched", "missing"]
    assert out["industry_raw"].tolist()[:2] == ["SaaS", "Real Estate"]
    assert pd.isna(out["industry_raw"].iloc[2])
