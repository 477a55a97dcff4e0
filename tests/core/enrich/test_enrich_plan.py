"""Which accounts are worth a lookup, and for which fields."""

from datetime import UTC, datetime

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from segmentation_pipeline.core.enrich.plan import (
    MISSING,
    REVALIDATE,
    STALE,
    is_missing,
    missing_mask,
    plan_enrichment,
)
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

NOW = datetime(2026, 6, 15, tzinfo=UTC)
SETTINGS = EnrichmentSettings()  # key fields: industry, employees, country_code


def accounts(**columns: list) -> pd.DataFrame:
    base = {
        "account_id": ["a1"],
        "domain": ["acme.com"],
        "industry": ["Software"],
        "employees": [120.0],
        "annual_revenue": [5e6],
        "country_code": ["US"],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_complete_account_is_not_looked_up():
    assert plan_enrichment(accounts(), SETTINGS, NOW).needs == ()


def test_missing_key_field_is_looked_up_and_other_gaps_ride_along():
    frame = accounts(industry=[None], annual_revenue=[None])
    (need,) = plan_enrichment(frame, SETTINGS, NOW).needs
    assert need.reason == MISSING
    assert need.lookup_fields == {"industry"}
    assert need.fill_fields == {"industry", "annual_revenue"}


def test_unknown_industry_counts_as_missing():
    (need,) = plan_enrichment(accounts(industry=["Unknown"]), SETTINGS, NOW).needs
    assert need.lookup_fields == {"industry"}
    assert is_missing("industry", "Unknown") and not is_missing("country_code", "Unknown")


def test_a_missing_non_key_field_alone_buys_nothing():
    assert plan_enrichment(accounts(annual_revenue=[None]), SETTINGS, NOW).needs == ()


def test_flagged_account_is_revalidated_on_every_key_field():
    frame = accounts(revalidate_firmographics=["true"])
    (need,) = plan_enrichment(frame, SETTINGS, NOW).needs
    assert need.reason == REVALIDATE
    assert need.lookup_fields == {"industry", "employees", "country_code"}
    assert need.fill_fields == set()


def test_account_verified_too_long_ago_is_stale():
    frame = pd.concat([accounts(), accounts(account_id=["a2"])], ignore_index=True)
    frame["firmographics_verified_at"] = ["2025-06-01", "2026-01-01"]  # 379 and 165 days
    (need,) = plan_enrichment(frame, SETTINGS, NOW).needs
    assert (need.account_id, need.reason) == ("a1", STALE)


def test_domains_are_normalized_and_shared_lookups_merged():
    frame = pd.DataFrame(
        {
            "account_id": ["a1", "a2", "a3"],
            "domain": ["https://www.Acme.com/about", "acme.com", None],
            "industry": [None, "Software", None],
            "employees": [10.0, None, None],
            "annual_revenue": [None, None, None],
            "country_code": ["US", "US", None],
        }
    )
    plan = plan_enrichment(frame, SETTINGS, NOW)
    assert [n.domain for n in plan.needs] == ["acme.com", "acme.com", None]
    assert plan.lookups == {"acme.com": frozenset({"industry", "employees"})}
    assert [n.account_id for n in plan.without_domain] == ["a3"]
    assert [n.row for n in plan.needs] == [0, 1, 2]


_TEXTS = st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "Unknown", " Unknown"]),
                            st.text(max_size=5)), max_size=8)  # fmt: skip
_NUMBERS = st.lists(st.one_of(st.none(), st.floats(allow_nan=True)), max_size=8)


@given(_TEXTS, st.sampled_from(["str", "object"]), st.sampled_from(["industry", "employees"]))
def test_the_column_mask_gives_is_missing_answers_for_text(values, dtype, field):
    column = pd.Series(values, dtype=dtype)
    assert missing_mask(field, column).tolist() == [is_missing(field, v) for v in column]


@given(_NUMBERS, st.sampled_from(["float64", "Float64", "object"]))
def test_the_column_mask_gives_is_missing_answers_for_numbers(values, dtype):
    column = pd.Series(values, dtype=dtype)
    assert missing_mask("employees", column).tolist() == [
        is_missing("employees", v) for v in column
    ]
