import pandas as pd
import pytest

from segmentation_pipeline.core.standardize.country import CountryLookup, standardize_country
from segmentation_pipeline.core.standardize.text import Parsed


@pytest.fixture(scope="module")
def lookup():
    return CountryLookup({"USA": "US", "UK": "GB"}, 90, ["n/a", "na"])


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("US", "US"),
        ("usa", "US"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("DEU", "DE"),
        ("Deutschland", "DE"),  # pycountry's German translation
        ("Allemagne", "DE"),  # and its French one
        ("España", "ES"),
        ("Espana", "ES"),
        ("Côte d'Ivoire", "CI"),
        ("Untied States", "US"),  # fuzzy: a transposition
        ("Germny", "DE"),
        ("UK", "GB"),
    ],
)
def test_spellings_resolve_to_alpha_2(lookup, raw, code):
    assert lookup(raw) == Parsed(code, None)


def test_na_is_no_value_not_namibia(lookup):
    assert lookup("N/A") == Parsed(None, "missing")
    assert lookup("Namibia") == Parsed("NA", None)


def test_unknown_and_ambiguous_texts_stay_unmatched(lookup):
    assert lookup("Atlantis") == Parsed(None, "unmatched")
    assert lookup("Austria") == Parsed("AT", None)
    assert lookup("Australia") == Parsed("AU", None)


def test_a_continent_is_no_typo_of_a_country(lookup):
    """'namerica' is one letter from the alias 'america': a typo keeps its first letter,
    so a region written where a country belongs stays unmatched, and is named."""
    for region in ("N. America", "S. America", "North America", "Latin America"):
        assert lookup(region) == Parsed(None, "unmatched")
    assert lookup("Untied States") == Parsed("US", None)


def test_column_gives_code_and_region(lookup):
    out = standardize_country(
        pd.Series(["USA", " france ", "Atlantis", None]), lookup, {"US": "NA", "FR": "EMEA"}
    )
    assert out["country"].tolist()[:3] == ["USA", "france", "Atlantis"]
    assert out["country_code"].tolist()[:2] == ["US", "FR"]
    assert out["region"].tolist()[:2] == ["NA", "EMEA"]
    assert out[["country_code", "region"]].iloc[2:].isna().all().all()
