"""Methodology edge case 5: an acquisition changes the industry a vendor reports."""

import json

import pandas as pd
import pytest

from segmentation_pipeline.core.assignment import assign_segments
from segmentation_pipeline.core.conflicts import conflict_rows
from segmentation_pipeline.core.scoring import score_accounts

AS_OF = pd.Timestamp("2026-11-01")
MERGER = {
    "field": "industry",
    "crm_value": "Software",
    "vendor_value": "Healthcare",
    "provider": "apollo",
}


def assign(make_accounts, make_usage, framework, *accounts):
    frame = make_accounts(*accounts)
    scores = score_accounts(frame, make_usage({}), framework, AS_OF)
    return assign_segments(frame, scores, framework, None, AS_OF).set_index("account_id")


def test_overridden_account_keeps_its_segment_and_never_takes_the_vendor_value(
    make_accounts, make_usage, framework
):
    # The vendor's Healthcare got into the row; the account is owned by a human.
    row = assign(
        make_accounts,
        make_usage,
        framework,
        {
            "industry": "Healthcare",
            "segment_override": True,
            "crm_tier": "Tier 1",
            "enrichment_conflicts": [MERGER],
        },
    ).iloc[0]
    assert (row["status"], row["segment"]) == ("overridden", "Tier 1")
    assert row["industry"] == "Software"
    assert row["enrichment_conflict"] == "industry: Software -> Healthcare (apollo)"
    assert "enrichment_conflict" in row["review_flags"]
    assert row["explanation_detail"].endswith(
        " | REVIEW enrichment conflict: industry: Software -> Healthcare (apollo)"
    )


def test_other_accounts_are_flagged_and_scored_on_the_crm_value(
    make_accounts, make_usage, framework
):
    rows = assign(
        make_accounts,
        make_usage,
        framework,
        {"account_id": "merged", "enrichment_conflicts": json.dumps([MERGER])},
        {"account_id": "quiet"},
    )
    assert rows.loc["merged", "industry"] == "Software"
    assert rows.loc["merged", "review_flags"] == "enrichment_conflict"
    assert rows.loc["merged", "segment"] == rows.loc["quiet", "segment"]
    assert rows.loc["merged", "composite_score"] == rows.loc["quiet", "composite_score"]
    assert pd.isna(rows.loc["quiet", "review_flags"])


def test_overridden_numeric_field_is_restored_as_a_number(make_accounts, make_usage, framework):
    conflict = {"field": "employees", "crm_value": "500", "vendor_value": 12000, "provider": "pdl"}
    frame = make_accounts(
        {"employees": 12000.0, "segment_override": True, "enrichment_conflicts": [conflict]}
    )
    scores = score_accounts(frame, make_usage({}), framework, AS_OF)
    assert scores["firm_size_points"].iloc[0] == 4  # 500 employees, not 12,000


@pytest.mark.parametrize(
    "cell",
    [None, "", "not json", "[]", [], {"unexpected": "shape"}, [1, 2], float("nan")],
)
def test_unreadable_conflict_cells_yield_no_conflict_and_no_crash(cell):
    frame = pd.DataFrame({"account_id": ["A"], "enrichment_conflicts": [cell]})
    rows = conflict_rows(frame)
    assert rows.empty or rows["field"].isna().all()


def test_conflict_column_is_optional():
    assert conflict_rows(pd.DataFrame({"account_id": ["A"]})).empty
