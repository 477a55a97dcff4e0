"""Rows of the write-backs beyond the segment: folded duplicates and enriched fields."""

import pandas as pd
import pytest

from segmentation_pipeline.core.crm_write_back import (
    duplicate_rows,
    enriched_field_map,
    enriched_values,
    fill_blank_fields,
)
from segmentation_pipeline.framework.crm_sync import CrmSyncPolicy, EnrichedField

ASSIGNMENTS = pd.DataFrame(
    {
        "account_id": ["S1", "S2"],
        "segment": ["Tier 1", "Tier 3"],
        "composite_score": [4.2, 1.9],
        "segment_override": [False, False],
    }
)
AUDIT = pd.DataFrame(
    {"account_id": ["D1", "D2", "D3"], "survivor_id": ["S1", "S1", "GONE"]},
)


def test_a_folded_record_carries_its_survivor_and_the_survivors_segment():
    rows = duplicate_rows(ASSIGNMENTS, AUDIT, ["segment", "composite_score"], "survivor_segment")
    assert rows.to_dict("records") == [
        {
            "account_id": "D1",
            "duplicate_of": "S1",
            "segment": "Tier 1",
            "composite_score": 4.2,
            "segment_override": False,
        },
        {
            "account_id": "D2",
            "duplicate_of": "S1",
            "segment": "Tier 1",
            "composite_score": 4.2,
            "segment_override": False,
        },
    ]  # D3's survivor has no assignment: nothing to link it to


def test_policy_none_links_without_segment_fields():
    rows = duplicate_rows(ASSIGNMENTS, AUDIT, ["segment"], "none")
    assert list(rows.columns) == ["account_id", "duplicate_of"]
    assert rows["duplicate_of"].tolist() == ["S1", "S1"]


def test_no_audit_no_rows():
    rows = duplicate_rows(ASSIGNMENTS, AUDIT.iloc[:0], ["segment"], "survivor_segment")
    assert rows.empty


def test_only_provider_values_at_or_above_the_confidence_are_offered():
    accounts = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "industry": ["Software", "Retail", "Banking", None],
            "industry_source": ["pdl", "apollo", "crm", None],
            "industry_confidence": [0.9, 0.5, None, None],
        }
    )
    fields = [EnrichedField(column="industry", crm_field="Industry", min_confidence=0.6)]
    offered = enriched_values(accounts, fields)
    # B below 0.6; C is the CRM's own value; D has nothing.
    assert offered["industry"].tolist() == ["Software", None, None, None]


def test_an_unknown_mapped_column_fails_naming_it():
    fields = [EnrichedField(column="revenue", crm_field="AnnualRevenue")]
    with pytest.raises(KeyError, match="revenue"):
        enriched_values(pd.DataFrame({"account_id": ["A"]}), fields)


def test_field_map_and_fill_blank_follow_the_framework_policy():
    config = CrmSyncPolicy(
        enriched_fields=[
            EnrichedField(column="industry", crm_field="Industry", policy="fill_blank"),
            EnrichedField(column="employees", crm_field="NumberOfEmployees", policy="overwrite"),
        ]
    )
    assert enriched_field_map(config) == {
        "industry": "Industry",
        "employees": "NumberOfEmployees",
    }
    assert fill_blank_fields(config) == {"Industry"}
