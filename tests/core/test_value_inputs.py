"""Value-rubric inputs from CRM fields: opportunities, contract dates, strategic flags."""

import pandas as pd
import pytest

from segmentation_pipeline.core.value_inputs import (
    contract_terms,
    expansion_pipeline,
    strategic_values,
)

AS_OF = pd.Timestamp("2026-11-01")


def test_open_expansion_opportunities_sum_per_account(framework):
    opportunities = pd.DataFrame(
        {
            "AccountId": ["A", "A", "A", "A", "B"],
            "Amount": ["50000", "25000", "999999", "10000", "x"],
            "IsClosed": ["false", "false", "true", "false", "false"],
            "Type": ["Expansion", "Upsell", "Expansion", "New Business", "Expansion"],
        }
    )
    pipeline = expansion_pipeline(opportunities, framework).set_index("account_id")
    assert pipeline.loc["A", "expansion_pipeline"] == 75_000
    assert pd.isna(pipeline.loc["B", "expansion_pipeline"])


@pytest.mark.parametrize(
    ("term", "end", "expected"),
    [
        ("Annual (new)", "2020-01-01", "Annual (new)"),  # the CRM's term wins
        (None, "2026-10-31", "Past due"),
        (None, "2026-11-01", None),
        (None, "2027-06-01", None),
        (None, "2027-11-02", "Multi-year"),
        (None, None, None),
        (None, "garbage", None),
    ],
)
def test_contract_length_from_contract_fields(framework, term, end, expected):
    accounts = pd.DataFrame({"contract_term": [term], "contract_end_date": [end]})
    assert contract_terms(accounts, framework, AS_OF).iloc[0] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Named logo", "Named logo"), ("TRUE", "Named logo"), (" yes ", "Named logo"),
     ("false", "Standard"), (True, "Named logo"), (None, None), ("Commodity", "Commodity")],
)  # fmt: skip
def test_strategic_flags_read_as_picklist_values(framework, value, expected):
    accounts = pd.DataFrame({"strategic_importance": [value]}, dtype=object)
    assert strategic_values(accounts, framework).iloc[0] == expected
