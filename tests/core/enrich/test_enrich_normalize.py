"""Vendor spellings become the pipeline's."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from segmentation_pipeline.core.enrich.normalize import (
    canonical_industry,
    country_code,
    normalize_domain,
    normalize_domains,
    positive_number,
    range_midpoint,
)


def test_domains_reduce_to_the_registrable_domain():
    assert normalize_domain("https://WWW.Shop.Example.co.uk/path?q=1") == "example.co.uk"
    assert normalize_domain("sales@acme.com") == "acme.com"
    assert normalize_domain("acme.com:8443") == "acme.com"
    for junk in (None, "", "   ", "not a domain", "localhost", 42):
        assert normalize_domain(junk) is None


@given(st.text(max_size=60))
def test_any_text_gives_a_domain_or_none_never_an_error(text):
    result = normalize_domain(text)
    assert result is None or (result == result.lower() and "." in result)


_HOSTLIKE = st.from_regex(
    r"[ ]?(https?://)?(www\.)?[A-Za-z0-9-]{0,8}(\.[a-z0-9-]{1,6}){0,3}[ /]?", fullmatch=True
)


@given(st.lists(st.one_of(_HOSTLIKE, st.text(max_size=20), st.none(), st.integers()), max_size=12))
def test_the_column_version_gives_the_scalar_answers(values):
    column = normalize_domains(pd.Series(values, dtype=object))
    assert column.tolist() == [normalize_domain(v) for v in values]


def test_the_column_version_keeps_the_index():
    values = pd.Series(["www.acme.com", None], index=[10, 20], dtype=object)
    assert normalize_domains(values).to_dict() == {10: "acme.com", 20: None}


def test_countries_by_name_or_code():
    assert country_code("united states") == "US"
    assert country_code("Germany") == "DE"
    assert country_code("gb") == "GB"
    assert country_code("Atlantis") is None


def test_vendor_industries_map_onto_the_framework():
    assert canonical_industry("computer software") == "Software"
    assert canonical_industry("  Hospital & Health Care ") == "Healthcare"
    assert canonical_industry("farming") is None
    assert canonical_industry("farming", {"Farming": "Manufacturing"}) == "Manufacturing"


def test_bands_become_their_midpoint_or_floor():
    assert range_midpoint("$50M-$100M") == 75_000_000
    assert range_midpoint("51-200") == 125.5
    assert range_midpoint("10001+") == 10001
    assert range_midpoint("$10B+") == 10_000_000_000
    assert range_midpoint("$1,000-$2,000") == 1500
    assert range_midpoint("a lot") is None


def test_a_band_with_its_unit_written_once_reads_both_bounds_in_it():
    """'$50-100M' is $50M to $100M: midpoint 75M, not (50 + 100M) / 2."""
    assert range_midpoint("$50-100M") == 75_000_000
    assert range_midpoint("1-5K") == 3000
    assert range_midpoint("500-1M") is None  # 500M to 1M is no band


def test_only_positive_finite_numbers_count():
    assert positive_number("12") == 12.0
    for junk in (0, -3, "n/a", None, float("nan"), float("inf"), True):
        assert positive_number(junk) is None


def test_a_pipeline_industry_is_taken_in_its_canonical_spelling():
    assert canonical_industry("software") == "Software"
    assert canonical_industry("AEROSPACE", {"aviation & aerospace": "Aerospace"}) == "Aerospace"
