"""Column names shared by every stage.

Raw frames use Salesforce Account field names (what an export or the API gives).
From `accounts_standardized` on, frames use the snake_case names below; the raw
value of every standardized field is kept beside it with a `_raw` suffix.
"""

from __future__ import annotations

# --- Raw CRM export (Salesforce Account API names) -------------------------------
RAW_ACCOUNT_COLUMNS: tuple[str, ...] = (
    "Id", "Name", "Website", "Industry", "NumberOfEmployees", "AnnualRevenue", "BillingCountry",
    "BillingCity", "Phone", "OwnerId", "OwnerName", "CreatedDate", "SystemModstamp", "ARR__c",
    "Contract_Term__c", "Contract_End_Date__c", "Expansion_Pipeline__c",
    "Strategic_Importance__c", "Growth_Stage__c", "Segment_Override__c", "Customer_Tier__c",
)  # fmt: skip
# Which of those an export must carry: the input contract, core/input_contract.py.

# --- Product usage export -------------------------------------------------------
RAW_USAGE_TO_STANDARD: dict[str, str] = {
    "AccountId": "account_id",
    "Logins30d": "logins_30d",
    "ActiveUsers": "active_users",
    "LicensedUsers": "licensed_users",
    "FeaturesAdopted": "features_adopted",
    "FeaturesAvailable": "features_available",
    "OpenTickets": "open_tickets",
    "NPS": "nps",
    "OnboardingCompletion": "onboarding_completion",
}
RAW_USAGE_COLUMNS: tuple[str, ...] = tuple(RAW_USAGE_TO_STANDARD)

# --- Standardized account columns (accounts_standardized and later) -------------
# name_key: matching key of the company name; domain: registrable domain;
# country_code: ISO 3166 alpha-2; region: configured region of the country;
# industry_status: matched | fuzzy | unmatched | missing;
# employees_reason / arr_reason / created_date_reason: why a value is null (None when
# it is not).
STANDARD_ACCOUNT_COLUMNS: tuple[str, ...] = (
    "account_id", "name", "name_key", "website", "domain", "industry", "industry_raw",
    "industry_status", "employees", "employees_raw", "employees_reason", "company_size_band",
    "annual_revenue", "arr", "arr_raw", "arr_reason", "arr_tier", "country", "country_code",
    "region", "city", "phone", "phone_e164", "owner_id", "owner_name", "created_date",
    "created_date_reason", "modstamp", "contract_term", "contract_end_date", "expansion_pipeline",
    "strategic_importance", "growth_stage", "segment_override", "crm_tier",
)  # fmt: skip

# Firmographic fields enrichment may fill.
ENRICHABLE_FIELDS: tuple[str, ...] = ("industry", "employees", "annual_revenue", "country_code")

UNKNOWN_INDUSTRY = "Unknown"
UNSEGMENTED = "Unsegmented"
# tier_rule of an account held at its tier while an enrichment lookup is retried, and the
# start of the Unsegmented reason of one with no tier to hold (core.assignment).
ENRICHMENT_PENDING = "enrichment_pending"
