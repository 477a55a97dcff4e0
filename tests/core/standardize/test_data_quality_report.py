import pandas as pd

from segmentation_pipeline.core.standardize import data_quality_report, standardize_accounts


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
