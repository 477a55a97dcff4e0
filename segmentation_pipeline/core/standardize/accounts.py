"""Raw CRM account rows (Salesforce field names) -> the standardized account schema.

One output row per input row, in the same order; nothing is dropped and no row raises:
a value that cannot be standardized becomes null (with a reason where the schema has a
`_reason` column) and its raw text stays in the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pandas as pd

from segmentation_pipeline.core.schema import (
    RAW_ACCOUNT_COLUMNS,
    STANDARD_ACCOUNT_COLUMNS,
    UNSEGMENTED,
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
    most_frequent,
    on_distinct,
)
from segmentation_pipeline.core.value_inputs import strategic_values

if TYPE_CHECKING:
    from segmentation_pipeline.framework.models import Framework
    from segmentation_pipeline.framework.standardization import StandardizationTables


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
    """Every STANDARD_ACCOUNT_COLUMNS column, one row per raw row, in the raw order.

    The columns fall in two groups that share no input (identity: name, website,
    industry and amounts; place and dates: country, phone, dates, picklists), built side
    by side, the second in a worker thread: most of the work is in Arrow kernels, which
    release the GIL, so on two cores the groups overlap."""
    src = raw_columns(raw)
    tables = framework.standardization.tables()
    with ThreadPoolExecutor(1) as pool:  # one thread besides this one: one more arena
        place = pool.submit(_place_and_dates, src, framework, tables)
        out = _identity(src, framework, tables)
        out.update(place.result())
    frame = pd.DataFrame({c: out[c].reset_index(drop=True) for c in STANDARD_ACCOUNT_COLUMNS})
    frame.index = raw.index
    return frame


def _text(src: pd.DataFrame, name: str) -> pd.Series:
    return on_distinct(src[name], as_text)


def _identity(
    src: pd.DataFrame, framework: Framework, tables: StandardizationTables
) -> dict[str, pd.Series]:
    config = framework.standardization
    out: dict[str, pd.Series] = {
        "account_id": _text(src, "Id"),
        "name": as_text(src["Name"]),
    }
    out["name_key"] = name_keys(out["name"], tables.legal_suffixes)
    domain = standardize_domain(src["Website"], tables.generic_domains)
    out["website"], out["domain"] = domain["website"], domain["domain"]

    matcher = IndustryMatcher(
        picklist_of(framework.firmographic.industry_fit.levels),
        tables.industry_synonyms,
        config.industry_fuzzy_min_score,
        config.null_tokens,
    )
    out.update(standardize_industry(src["Industry"], matcher).items())

    out["employees"], out["employees_reason"] = standardize_quantity(
        src["NumberOfEmployees"],
        config.null_tokens,
        allow_zero=False,
        maximum=config.max_employees,
        integer=True,
    )
    out["employees_raw"] = _text(src, "NumberOfEmployees")
    out["company_size_band"] = band_names(out["employees"], framework.company_size_bands)
    out["annual_revenue"], _ = standardize_quantity(
        src["AnnualRevenue"], config.null_tokens, allow_zero=True, currency=config.currency
    )
    out["arr"], out["arr_reason"] = standardize_quantity(
        src["ARR__c"],
        config.null_tokens,
        allow_zero=True,
        maximum=config.max_arr,
        currency=config.currency,
    )
    out["arr_raw"] = _text(src, "ARR__c")
    out["arr_tier"] = band_names(out["arr"], framework.arr_tiers)
    out["expansion_pipeline"], _ = standardize_quantity(
        src["Expansion_Pipeline__c"],
        config.null_tokens,
        allow_zero=True,
        allow_negative=True,
        currency=config.currency,
    )
    return out


def _place_and_dates(
    src: pd.DataFrame, framework: Framework, tables: StandardizationTables
) -> dict[str, pd.Series]:
    config = framework.standardization
    lookup = CountryLookup(
        tables.country_aliases, config.country_fuzzy_min_score, config.null_tokens
    )
    out = dict(standardize_country(src["BillingCountry"], lookup, tables.region_by_country).items())
    out["city"] = _text(src, "BillingCity")
    out["phone"] = as_text(src["Phone"])
    out["phone_e164"], _ = standardize_phones(
        out["phone"], out["country_code"], config.default_phone_region
    )
    out["owner_id"] = _text(src, "OwnerId")
    out["owner_name"] = as_text(src["OwnerName"])
    out["created_date"], out["created_date_reason"] = standardize_timestamps(
        src["CreatedDate"], config.dates_day_first
    )
    for column, source in (
        ("modstamp", "SystemModstamp"),
        ("contract_end_date", "Contract_End_Date__c"),
    ):
        out[column], _ = standardize_timestamps(src[source], config.dates_day_first)

    for column, (field, choices) in picklists(framework).items():
        out[column] = canonical_choice(_text(src, field), choices)
    out["segment_override"] = standardize_flags(src["Segment_Override__c"])
    return out


def picklists(framework: Framework) -> dict[str, tuple[str, list[str]]]:
    """Standardized picklist column -> (its CRM field, the values the framework knows)."""
    return {
        "contract_term": ("Contract_Term__c", list(framework.value.contract_length.values)),
        "strategic_importance": (
            "Strategic_Importance__c", list(framework.value.strategic_importance.values),
        ),
        "growth_stage": ("Growth_Stage__c", list(framework.firmographic.growth_stage.values)),
        "crm_tier": ("Customer_Tier__c", [t.name for t in framework.tiers]),
    }  # fmt: skip


def unknown_choices(
    accounts: pd.DataFrame, framework: Framework, shown: int = 20
) -> dict[str, dict[str, int]]:
    """Per CRM picklist field, the values accounts hold that the framework does not list,
    with how many accounts hold each: they score the criterion's unknown points (or, for
    the tier, read as no current tier), so a new picklist value must be named, not
    silently scored as unknown. The `shown` most frequent values are named, the rest
    counted together."""
    found = {}
    for column, (field, choices) in picklists(framework).items():
        if column == "crm_tier":  # what the write-back sends for an unsegmented account
            choices = [*choices, UNSEGMENTED]
        counts = accounts[column].value_counts()  # distinct values: cheap on a million rows
        values = pd.Series(counts.index.astype(str).str.strip(), name=column)
        if column == "strategic_importance":  # a checkbox-style flag scores as its value
            values = strategic_values(values.to_frame(), framework)
        known = (values.isin(choices) | values.eq("")).to_numpy()
        if not known.all():
            found[field] = most_frequent(counts[~known], shown)
    return found
