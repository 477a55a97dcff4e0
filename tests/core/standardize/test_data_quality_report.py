import pandas as pd

from segmentation_pipeline.core.standardize import (
    data_quality_report,
    quality_flags,
    report_from_flags,
    standardize_accounts,
)


def test_report_before_and_after(framework):
    raw = pd.DataFrame(
        {
            "Id": ["1", "2", "3", "4"],
            "Name": ["Acme", "Zed", "Bolt", "Quo"],
            "BillingCountry": ["US", "usa", "Atlantis", None],
            "Industry": ["Software", "saas", "Widgets", None],
            "Website": ["acme.com", "https://www.zed.io", None, None],
        }
    )
    report = data_quality_report(raw, standardize_accounts(raw, framework)).set_index("field")
    country = report.loc["country"]
    # 3 of 4 rows hold a country; 1 of those 3 is already ISO; 2 of those 3 resolve
    assert country["source_column"] == "BillingCountry"
    assert country["populated_before"] == 0.75
    assert country["standardized_before"] == round(1 / 3, 4)
    assert country["populated_after"] == 0.5
    assert country["standardized_after"] == round(2 / 3, 4)
    assert country["unresolved"] == 1
    industry = report.loc["industry"]
    assert (industry["standardized_before"], industry["populated_after"]) == (round(1 / 3, 4), 0.5)
    website = report.loc["website"]
    assert (website["populated_before"], website["standardized_before"]) == (0.5, 0.5)
    assert website["standardized_after"] == 1.0
    assert report.loc["name", "unresolved"] == 0


def test_the_report_is_a_sum_of_row_flags_so_rows_can_be_flagged_apart(framework):
    """A row memo flags each row once, when it is standardized: the report over flags of
    rows flagged on different nights, in any order, is the report over all of them."""
    raw = pd.DataFrame(
        {
            "Id": ["1", "2", "3", "4"],
            "Name": ["Acme", "Zed", "Bolt", "Quo"],
            "BillingCountry": ["US", "usa", "Atlantis", None],
            "Phone": ["+1 650 253 0000", "not a phone", None, "(650) 253-0000"],
        }
    )
    whole = data_quality_report(raw, standardize_accounts(raw, framework))
    halves = [raw.iloc[:2].reset_index(drop=True), raw.iloc[2:].reset_index(drop=True)]
    flags = [quality_flags(half, standardize_accounts(half, framework)) for half in halves]
    apart = report_from_flags(pd.concat(flags[::-1], ignore_index=True))
    pd.testing.assert_frame_equal(apart, whole)
    # "not a phone", and a national number on an account without a country
    assert whole.set_index("field").loc["phone", "unresolved"] == 2
