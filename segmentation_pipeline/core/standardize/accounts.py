"""Raw CRM account rows (Salesforce field names) -> the standardized account schema.

One output row per input row, in the same order; nothing is dropped and no row raises:
a value that cannot be standardized becomes null (with a reason where the schema has a
`_reason` column) and its raw text stays in the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from segmentation_pipeline.core.schema import (
    RAW_ACCOUNT_COLUMNS,
    STANDARD_ACCOUNT_COLUMNS,
)
from segmentation_pipeline.core.standardize.bands import band_names
from segmentation_pipeline.core.standardize.country import CountryLookup, standardize_country
from segmentation_pipeline.core.standardize.dates import standardize_timestamps
from segmentation_pipeline.core.standardize.domain import standardize_domain
from segmentation_pipeline.core.standardize.flags import standardize_flags
from segmentation_pipeline.core.standardize.industry import (
    IndustryMatcher,
    picklist_of,
    standardize_industry,
)
from segmentation_pipeline.core.standardize.names import name_keys
from segmentation_pipeline.core.standardize.numbers import standardize_quantity
from segmentation_pipeline.core.standardize.phone import standardize_phones
from segmentation_pipeline.core.standardize.text import (
    as_text,
    lookup_key,
    lookup_keys_of,
    on_distinct,
)

if TYPE_CHECKING:
    from segmentation_pipeline.framework.models import Framework


def raw_columns(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw frame with every Salesforce column present (missing ones all null)."""
    missing = [c for c in RAW_ACCOUNT_COLUMNS if c not in raw.columns]
    filled = raw.assign(**{c: pd.Series(None, index=raw.index, dtype="str") for c in missing})
    return filled.reset_index(drop=True)


def canonical_choice(text: pd.Series, choices: Iterable[str]) -> pd.Series:
    """A picklist text spelled like one of the framework's values ('multi-year',
    'MULTI YEAR') written exactly as the framework writes it; anything else unchanged."""
    choices = list(choices)
    by_key = dict(zip(lookup_keys_of(choices), choices, strict=True))

    def canonical(values: pd.Series) -> pd.Series:
        return lookup_key(values).map(by_key).fillna(values).astype("str")

    return on_distinct(text, canonical)


def standardize_accounts(raw: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Every STANDARD_ACCOUNT_COLUMNS column, one row per raw row, in the raw order."""
    config = framework.standardization
    tables = config.tables()
    src = raw_columns(raw)

    def field(name: str) -> pd.Series:
        return src[name]

    def text(name: str) -> pd.Series:
        return on_distinct(field(name), as_text)

    out: dict[str, pd.Series] = {
        "account_id": text("Id"),
        "name": as_text(field("Name")),
    }
    out["name_key"] = name_keys(out["name"], tables.legal_suffixes)
    domain = standardize_domain(field("Website"), tables.generic_domains)
    out["website"], out["domain"] = domain["website"], domain["domain"]

    matcher = IndustryMatcher(
        picklist_of(framework.firmographic.industry_fit.levels),
        tables.industry_synonyms,
        config.industry_fuzzy_min_score,
        config.null_tokens,
    )
    out.update(standardize_industry(field("Industry"), matcher).items())

    out["employees"], out["employees_reason"] = standardize_quantity(
        field("NumberOfEmployees"),
        config.null_tokens,
        allow_zero=False,
        maximum=config.max_employees,
        integer=True,
    )
    out["employees_raw"] = text("NumberOfEmployees")
    out["company_size_band"] = band_names(out["employees"], framework.company_size_bands)
    out["annual_revenue"], _ = standardize_quantity(
        field("AnnualRevenue"), config.null_tokens, allow_zero=True
    )
    out["arr"], out["arr_reason"] = standardize_quantity(
        field("ARR__c"), config.null_tokens, allow_zero=True
    )
    out["arr_raw"] = text("ARR__c")
    out["arr_tier"] = band_names(out["arr"], framework.arr_tiers)

    lookup = CountryLookup(
        tables.country_aliases, config.country_fuzzy_min_score, config.null_tokens
    )
    out.update(
        standardize_country(field("BillingCountry"), lookup, tables.region_by_country).items()
    )
    out["city"] = text("BillingCity")
    out["phone"] = as_text(field("Phone"))
    out["phone_e164"], _ = standardize_phones(
        out["phone"], out["country_code"], config.default_phone_region
    )
    out["owner_id"] = text("OwnerId")
    out["owner_name"] = as_text(field("OwnerName"))
    for column, source in (
        ("created_date", "CreatedDate"),
        ("modstamp", "SystemModstamp"),
        ("contract_end_date", "Contract_End_Date__c"),
    ):
        out[column], _ = standardize_timestamps(field(source), config.dates_day_first)

    value = framework.value
    out["contract_term"] = canonical_choice(text("Contract_Term__c"), value.contract_length.values)
    out["expansion_pipeline"], _ = standardize_quantity(
        field("Expansion_Pipeline__c"), config.null_tokens, allow_zero=True, allow_negative=True
    )
    out["strategic_importance"] = canonical_choice(
        text("Strategic_Importance__c"), value.strategic_importance.values
    )
    out["growth_stage"] = canonical_choice(
        text("Growth_Stage__c"), framework.firmographic.growth_stage.values
    )
    out["segment_override"] = standardize_flags(field("Segment_Override__c"))
    out["crm_tier"] = canonical_choice(text("Customer_Tier__c"), [t.name for t in framework.tiers])

    frame = pd.DataFrame({c: out[c].reset_index(drop=True) for c in STANDARD_ACCOUNT_COLUMNS})
    frame.index = raw.index
    return frame
