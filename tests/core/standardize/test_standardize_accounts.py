import pandas as pd
import pytest

from segmentation_pipeline.core.schema import STANDARD_ACCOUNT_COLUMNS
from segmentation_pipeline.core.standardize import standardize_accounts, unknown_choices

RAW = pd.DataFrame(
    {
        "Id": ["001A", "001B", "001C"],
        "Name": ["The Zentrix Company, Inc.", "Quorabel GmbH", "  "],
        "Website": ["https://www.zentrix.com/about", "info@quorabel.de", None],
        "Industry": ["SaaS", "Widgets", None],
        "NumberOfEmployees": ["1,200", "51-200", "n/a"],
        "BillingCountry": ["U.S.A.", "Deutschland", "Atlantis"],
        "BillingCity": [" San  Francisco ", "München", None],
        "Phone": ["(650) 253-0000", "030 123456", "12"],
        "ARR__c": ["$45,000", "-5", "120k"],
        "CreatedDate": ["2024-11-10T00:00:00.000+0000", "01/15/2024", "soon"],
        "Contract_Term__c": ["multi-year", "Annual (new)", "Lifetime"],
        "Segment_Override__c": ["true", "false", None],
        "Customer_Tier__c": ["tier 2", "Tier 1", None],
    },
    index=[10, 11, 12],
)


@pytest.fixture(scope="module")
def out(framework):
    return standardize_accounts(RAW, framework)


def test_one_row_per_input_row_with_exactly_the_standard_columns(out):
    assert list(out.columns) == list(STANDARD_ACCOUNT_COLUMNS)
    assert out.index.tolist() == [10, 11, 12]
    assert out["account_id"].tolist() == ["001A", "001B", "001C"]


def test_identity_fields(out):
    assert out["name_key"].tolist()[:2] == ["zentrix", "quorabel"]
    assert out["domain"].tolist()[:2] == ["zentrix.com", "quorabel.de"]
    assert out["phone_e164"].tolist()[:2] == ["+16502530000", "+4930123456"]
    assert out["city"].tolist()[:2] == ["San Francisco", "München"]
    assert out[["name", "name_key", "domain", "phone_e164"]].iloc[2].isna().all()


def test_firmographics(out):
    assert out["industry"].tolist() == ["Software", "Unknown", "Unknown"]
    assert out["industry_status"].tolist() == ["matched", "unmatched", "missing"]
    assert out["industry_raw"].tolist()[:2] == ["SaaS", "Widgets"]
    assert out["country_code"].tolist()[:2] == ["US", "DE"]
    assert out["region"].tolist()[:2] == ["NA", "EMEA"]
    assert out[["country_code", "region"]].iloc[2].isna().all()
    assert out["employees"].tolist()[:2] == [1200.0, 126.0]
    assert out["company_size_band"].tolist()[:2] == ["Enterprise", "Mid-Market"]
    assert out["employees_reason"].tolist()[2] == "missing"


def test_money_and_tiers(out):
    assert out["arr"].tolist()[0] == 45000.0 and out["arr"].tolist()[2] == 120000.0
    assert out["arr_reason"].tolist()[1] == "negative"
    assert (
        out["arr_tier"].tolist()[0] == "Mid-Market" and out["arr_tier"].tolist()[2] == "Enterprise"
    )
    assert out["arr_raw"].tolist() == ["$45,000", "-5", "120k"]


def test_dates_flags_and_picklists(out):
    assert out["created_date"].tolist()[:2] == [
        pd.Timestamp("2024-11-10", tz="UTC"),
        pd.Timestamp("2024-01-15", tz="UTC"),
    ]
    assert pd.isna(out["created_date"].iloc[2])  # "soon"
    assert out["created_date_reason"].fillna("-").tolist() == ["-", "-", "unparseable"]
    assert out["segment_override"].tolist() == [True, False, False]
    assert out["contract_term"].tolist() == ["Multi-year", "Annual (new)", "Lifetime"]
    assert out["crm_tier"].tolist()[:2] == ["Tier 2", "Tier 1"]


def test_picklist_values_the_framework_does_not_list_are_named(out, framework):
    # "Lifetime" is no contract length of the framework's; blanks and nulls are no value.
    assert unknown_choices(out, framework) == {"Contract_Term__c": {"Lifetime": 1}}
    odd = out.assign(growth_stage=["Seed", "Seed", " "], crm_tier=["Gold", "Tier 1", None])
    assert unknown_choices(odd, framework) == {
        "Contract_Term__c": {"Lifetime": 1},
        "Growth_Stage__c": {"Seed": 2},
        "Customer_Tier__c": {"Gold": 1},
    }
    # Beyond the most frequent values, the rest are counted together.
    assert unknown_choices(odd, framework, shown=0)["Growth_Stage__c"] == {"(other values)": 2}


def test_a_checkbox_style_strategic_flag_is_no_unknown_value(out, framework):
    """'true' or 'No' in Strategic_Importance__c scores as Named logo or Standard
    (`value_inputs.strategic_flag_values`), so naming it as a value the framework does
    not list was a false warning; a flag the mapping lacks is still named."""
    flagged = out.assign(strategic_importance=["true", "No", "maybe"])
    assert unknown_choices(flagged, framework)["Strategic_Importance__c"] == {"maybe": 1}


def test_the_tier_the_write_back_sends_for_an_unsegmented_account_is_no_unknown_value(
    out, framework
):
    """Customer_Tier__c lists Unsegmented beside the tiers (docs/salesforce.md); the
    write-back puts it on unsegmented accounts, and the next night reads it back."""
    written_back = out.assign(crm_tier=["Unsegmented", "Tier 1", "Platinum"])
    assert unknown_choices(written_back, framework)["Customer_Tier__c"] == {"Platinum": 1}


def test_missing_columns_are_nulls_and_extra_columns_are_ignored(framework):
    out = standardize_accounts(
        pd.DataFrame({"Id": ["X"], "Name": ["Solo"], "Extra": [1]}), framework
    )
    assert list(out.columns) == list(STANDARD_ACCOUNT_COLUMNS)
    assert out["industry"].tolist() == ["Unknown"]
    assert out[["domain", "phone_e164", "arr", "country_code"]].isna().all().all()


def test_numbers_from_the_api_arrive_as_numbers(framework):
    raw = pd.DataFrame(
        {"Id": ["X"], "Name": ["Solo"], "NumberOfEmployees": [1200.0], "ARR__c": [0]}
    )
    out = standardize_accounts(raw, framework)
    assert out["employees"].tolist() == [1200.0] and out["arr"].tolist() == [0.0]


def test_an_arr_above_the_plausible_maximum_is_refused_with_a_reason(framework):
    """A placeholder such as 9999999999999 would otherwise carry a segment's whole ARR."""
    raw = pd.DataFrame({"Id": ["X", "Y"], "Name": ["Typo", "Big"],
                        "ARR__c": ["9999999999999", "250000000"]})  # fmt: skip
    out = standardize_accounts(raw, framework)
    assert framework.standardization.max_arr == 1_000_000_000
    assert pd.isna(out["arr"].iloc[0]) and out["arr_reason"].iloc[0] == "implausible"
    assert pd.isna(out["arr_reason"].iloc[1])
    assert out["arr"].iloc[1] == 250_000_000


def test_tables_are_extended_from_the_framework(framework):
    section = framework.standardization.model_copy(
        update={
            "industry_synonyms": {"Widgets": "Manufacturing"},
            "region_overrides": {"DE": "DACH"},
        }
    )
    custom = framework.model_copy(update={"standardization": section})
    out = standardize_accounts(RAW, custom)
    assert out["industry"].tolist()[1] == "Manufacturing"
    assert out["region"].tolist()[1] == "DACH"
