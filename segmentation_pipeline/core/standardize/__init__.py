"""Standardization: raw CRM text -> picklists, ISO codes, numbers, domains, E.164 phones
and name keys, each by a pure rule driven by the framework's `standardization` tables.

Every scalar rule returns a value or None with a reason (`Parsed`) and never raises;
the column versions apply the same rules to a million rows at once.
"""

from segmentation_pipeline.core.standardize.accounts import standardize_accounts, unknown_choices
from segmentation_pipeline.core.standardize.bands import band_name, band_names
from segmentation_pipeline.core.standardize.country import CountryLookup
from segmentation_pipeline.core.standardize.dates import parse_timestamp
from segmentation_pipeline.core.standardize.domain import registrable_domain
from segmentation_pipeline.core.standardize.flags import parse_flag
from segmentation_pipeline.core.standardize.industry import IndustryMatcher, picklist_of
from segmentation_pipeline.core.standardize.names import name_key, name_keys
from segmentation_pipeline.core.standardize.numbers import parse_count, parse_money
from segmentation_pipeline.core.standardize.phone import phone_to_e164
from segmentation_pipeline.core.standardize.quality import (
    data_quality_report,
    quality_flags,
    report_from_flags,
)
from segmentation_pipeline.core.standardize.regions import region_for
from segmentation_pipeline.core.standardize.text import Parsed

__all__ = [
    "CountryLookup",
    "IndustryMatcher",
    "Parsed",
    "band_name",
    "band_names",
    "data_quality_report",
    "quality_flags",
    "report_from_flags",
    "name_key",
    "name_keys",
    "parse_count",
    "parse_flag",
    "parse_money",
    "parse_timestamp",
    "phone_to_e164",
    "picklist_of",
    "region_for",
    "registrable_domain",
    "standardize_accounts",
    "unknown_choices",
]
