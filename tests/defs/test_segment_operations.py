"""The asset graph over several runs: history only moves on real change, a boundary
crossing opens one transition, and its approval writes one history row."""

import csv
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from segmentation_pipeline.defs.assets import (
    account_scores,
    accounts_enriched,
    accounts_standardized,
    crm_accounts,
    deduplicated_accounts,
    product_usage,
    segment_assignments,
    segment_operations,
)
from segmentation_pipeline.defs.partitions import current_month_key
from segmentation_pipeline.defs.resources import (
    FileCrmResource,
    FirmographicsFileResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.io.segment_store import SegmentStore

ASSETS = [
    crm_accounts,
    product_usage,
    accounts_standardized,
    deduplicated_accounts,
    accounts_enriched,
    account_scores,
    segment_assignments,
    segment_operations,
]
# 500 employees, Software, US, Early-stage (firmographic 4); usage at 4 points;
# multi-year named logo. $45K ARR -> composite 3.9125 (Tier 2); $130K -> 4.0875 (Tier 1).
GROWING = {
    "Id": "001A00000000001",
    "Name": "Globex Analytics Inc",
    "Website": "globex.com",
    "Industry": "Software",
    "NumberOfEmployees": "500",
    "BillingCountry": "United States",
    "ARR__c": "45000",
    "Contract_Term__c": "Multi-year",
    "Expansion_Pipeline__c": "0",
    "Strategic_Importance__c": "Named logo",
    "Growth_Stage__c": "Early-stage",
    "Customer_Tier__c": "Tier 2",
}
OTHERS = [
    {"Id": "001A00000000002", "Name": "Initech LLC", "Website": "initech.io", "ARR__c": "8000"},
    {"Id": "001A00000000003", "Name": "Umbrella Corp", "Website": "umbrella.net", "ARR__c": ""},
    {"Id": "001A00000000004", "Name": "Hooli", "Website": "hooli.com", "ARR__c": "400000",
     "Segment_Override__c": "true", "Customer_Tier__c": "Tier 3"},
]  # fmt: skip
USAGE_HEADER = [
    "AccountId", "Logins30d", "ActiveUsers", "LicensedUsers", "FeaturesAdopted",
    "FeaturesAvailable", "OpenTickets", "NPS", "OnboardingCompletion",
]  # fmt: skip


def write_crm(folder: Path, growing_arr: str) -> None:
    from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS

    defaults = {"CreatedDate": "2024-01-15T00:00:00.000+0000", "Segment_Override__c": "false"}
    rows = [defaults | GROWING | {"ARR__c": growing_arr}] + [defaults | o for o in OTHERS]
    with open(folder / "accounts.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(RAW_ACCOUNT_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    with open(folder / "product_usage.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(USAGE_HEADER)
        writer.writerow([GROWING["Id"], 900, 70, 100, 12, 20, 1, 40, 0.8])
    (folder / "firmographics.csv").write_text(
        "domain,industry,employees,annual_revenue,country_code\n"
    )


@pytest.fixture
def pipeline(tmp_path, sqlite_url):
    folder = tmp_path / "crm"
    folder.mkdir()
    write_crm(folder, "45000")
    resources = {
        "framework": FrameworkResource(),
        "crm": FileCrmResource(folder=str(folder)),
        "firmographics": FirmographicsFileResource(path=str(folder / "firmographics.csv")),
        "warehouse": WarehouseResource(url=sqlite_url),
        "snapshots": SnapshotStoreResource(base_dir=str(tmp_path / "snapshots")),
    }
    store = SegmentStore(sa.create_engine(sqlite_url))

    def run(month: str | None = None):
        partition = month or current_month_key()
        result = dg.materialize(ASSETS, resources=resources, partition_key=partition)
        assert result.success
        return result

    return folder, store, run


def tables(store):
    history = store.history().sort_values(["account_id", "valid_from"]).reset_index(drop=True)
    return history, store.transitions()


def test_unchanged_data_changes_no_history_row(pipeline):
    _, store, run = pipeline
    run()
    history, queue = tables(store)
    assert len(history) == 4 and history["is_current"].astype(bool).all()
    assert queue.empty
    run()
    again, queue_again = tables(store)
    pd.testing.assert_frame_equal(again, history)
    assert queue_again.empty


def test_boundary_crossing_opens_one_transition_and_approval_one_history_row(pipeline):
    folder, store, run = pipeline
    run()
    before, _ = tables(store)

    write_crm(folder, "130000")
    result = run()
    history, queue = tables(store)
    assert queue[["account_id", "from_segment", "to_segment", "status"]].values.tolist() == [
        [GROWING["Id"], "Tier 2", "Tier 1", "pending"]
    ]
    pd.testing.assert_frame_equal(history, before)  # still Tier 2 while under review
    held = result.asset_value("segment_assignments").set_index("account_id").loc[GROWING["Id"]]
    assert (held["segment"], held["computed_segment"]) == ("Tier 2", "Tier 1")

    run()  # nobody decided yet: nothing moves
    assert len(tables(store)[1]) == 1 and len(tables(store)[0]) == 4

    store.record_decision(GROWING["Id"], "approved", "cs-ops@example.com", to_segment="Tier 1")
    run()
    after, queue = tables(store)
    assert len(after) == len(before) + 1
    growing = after[after["account_id"].eq(GROWING["Id"])]
    assert growing["segment"].tolist() == ["Tier 2", "Tier 1"]
    assert growing["is_current"].astype(bool).tolist() == [False, True]
    assert growing["valid_to"].iloc[0] == growing["valid_from"].iloc[1]
    assert "moved from Tier 2: approval" in growing["explanation"].iloc[1]
    assert queue["status"].tolist() == ["applied"]

    run()  # the CRM still says Tier 2 (no write-back here): nothing reopens
    final, queue = tables(store)
    pd.testing.assert_frame_equal(final, after)
    assert queue["status"].tolist() == ["applied"]


def test_backfill_of_an_older_month_leaves_history_and_queue_alone(pipeline):
    folder, store, run = pipeline
    run()
    before = tables(store)
    write_crm(folder, "130000")  # would open a transition if it counted
    result = run("2025-06-01")
    after = tables(store)
    pd.testing.assert_frame_equal(after[0], before[0])
    assert after[1].empty
    skipped = result.asset_materializations_for_node("segment_operations")[0].metadata
    assert skipped["skipped"].value == "backfill of an older month"
