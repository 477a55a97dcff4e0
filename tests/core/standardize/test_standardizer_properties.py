"""Any text thrown at any standardizer gives a value, or a null with a reason; never an
exception. The same holds for whole columns."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS, STANDARD_ACCOUNT_COLUMNS
from segmentation_pipeline.core.standardize import (
    CountryLookup,
    IndustryMatcher,
    name_key,
    parse_count,
    parse_flag,
    parse_money,
    parse_timestamp,
    phone_to_e164,
    picklist_of,
    registrable_domain,
    standardize_accounts,
)

TEXT = st.one_of(st.none(), st.text(), st.text(alphabet="0123456789+-.,()/ $€kKmM@:#"))
REGIONS = st.sampled_from([None, "US", "GB", "DE", "JP", "BR", "AQ", "ZZ"])
SETTINGS = settings(max_examples=200, deadline=None)


def a_value_or_a_reason(parsed) -> bool:
    return (parsed.value is not None) != (isinstance(parsed.reason, str) and bool(parsed.reason))


@pytest.fixture(scope="module")
def tables(framework):
    return framework.standardization.tables()


@SETTINGS
@given(TEXT)
def test_counts_and_money(text):
    assert a_value_or_a_reason(parse_count(text, ["n/a"], maximum=5_000_000))
    assert a_value_or_a_reason(parse_money(text, ["n/a"]))


@SETTINGS
@given(TEXT)
def test_domains(text):
    assert a_value_or_a_reason(registrable_domain(text, {"gmail.com"}))


@SETTINGS
@given(TEXT, REGIONS)
def test_phones(text, region):
    assert a_value_or_a_reason(phone_to_e164(text, region))


@SETTINGS
@given(TEXT)
def test_names(text):
    assert a_value_or_a_reason(name_key(text, ["inc", "gmbh & co. kg"]))


@SETTINGS
@given(TEXT)
def test_dates(text):
    assert a_value_or_a_reason(parse_timestamp(text))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(TEXT)
def test_countries_and_industries(framework, tables, text):
    lookup = CountryLookup(tables.country_aliases, 90, ["n/a"])
    assert a_value_or_a_reason(lookup(text))
    picklist = picklist_of(framework.firmographic.industry_fit.levels)
    match = IndustryMatcher(picklist, tables.industry_synonyms, 90, ["n/a"])(text)
    assert match.industry in picklist
    assert match.status in {"matched", "fuzzy", "unmatched", "missing"}


@SETTINGS
@given(st.one_of(TEXT, st.booleans(), st.integers(), st.floats()))
def test_flags(value):
    assert isinstance(parse_flag(value), bool)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(TEXT, min_size=len(RAW_ACCOUNT_COLUMNS), max_size=len(RAW_ACCOUNT_COLUMNS)),
        min_size=1,
        max_size=8,
    )
)
def test_whole_frames_of_junk(framework, rows):
    raw = pd.DataFrame(rows, columns=list(RAW_ACCOUNT_COLUMNS))
    out = standardize_accounts(raw, framework)
    assert list(out.columns) == list(STANDARD_ACCOUNT_COLUMNS)
    assert len(out) == len(raw)
    for value, reason in (("employees", "employees_reason"), ("arr", "arr_reason")):
        assert (out[value].notna() != out[reason].notna()).all()
