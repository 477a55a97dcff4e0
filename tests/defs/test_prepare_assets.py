"""The prepare stage in Dagster: standardized accounts and the data-quality report, then
survivors and the merge audit, with duplicate rates and the report in metadata."""

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.core.input_contract import ACCOUNTS_INPUT, missing_columns
from segmentation_pipeline.defs.assets.extract import crm_accounts
from segmentation_pipeline.defs.assets.prepare import accounts_standardized, deduplicated_accounts
from segmentation_pipeline.defs.resources import (
    FileCrmResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)

MONTH = "2026-11-01"
ACCOUNTS = pd.DataFrame(
    {
        "Id": ["001A", "001B", "001C", "001D"],
        "Name": ["Zentrix Inc", "ZENTRIX, INC.", "Quorabel GmbH", "Brightwave"],
        "Website": ["zentrix.com", "https://www.zentrix.com", "quorabel.de", None],
        "BillingCountry": ["USA", "United States", "Deutschland", "n/a"],
        "Industry": ["SaaS", None, "Widgets", "Media"],
        "ARR__c": ["20000", "10000", "$5,000", "-1"],
        "CreatedDate": ["2024-01-01T00:00:00.000+0000"] * 4,
        "SystemModstamp": ["2024-02-01T00:00:00.000+0000"] * 4,
    }
)
# The input contract's other columns, blank.
ACCOUNTS = ACCOUNTS.reindex(
    columns=[*ACCOUNTS.columns, *missing_columns(ACCOUNTS.columns, ACCOUNTS_INPUT)]
)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crm")
    ACCOUNTS.to_csv(folder / "accounts.csv", index=False)
    outcome = dg.materialize(
        [crm_accounts, accounts_standardized, deduplicated_accounts],
        partition_key=MONTH,
        resources={
            "crm": FileCrmResource(folder=str(folder)),
            "framework": FrameworkResource(),
            "snapshots": SnapshotStoreResource(base_dir=str(tmp_path_factory.mktemp("memo"))),
            "warehouse": WarehouseResource(url=f"sqlite:///{folder / 'warehouse.sqlite'}"),
        },
    )
    assert outcome.success
    return outcome


def metadata(result, key: str) -> dict:
    events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    return events[key].materialization.metadata


def test_standardized_accounts_and_their_quality_report(result):
    standardized = result.asset_value("accounts_standardized")
    assert standardized["country_code"].tolist()[:3] == ["US", "US", "DE"]
    report = result.asset_value("data_quality_report").set_index("field")
    assert report.loc["country", "populated_before"] == 1.0
    assert report.loc["country", "populated_after"] == 0.75
    assert report.loc["arr", "unresolved"] == 1
    assert "| country" in metadata(result, "accounts_standardized")["data_quality"].value
    assert metadata(result, "data_quality_report")["unresolved_values"].value >= 2


def test_duplicates_folded_with_rates_in_metadata(result):
    survivors = result.asset_value("accounts_deduplicated")
    audit = result.asset_value("account_merge_audit")
    assert survivors["account_id"].tolist() == ["001A", "001C", "001D"]
    assert audit[["account_id", "survivor_id"]].values.tolist() == [["001B", "001A"]]
    assert survivors.loc[0, "arr"] == 30000.0
    meta = metadata(result, "accounts_deduplicated")
    assert meta["duplicate_rate_before"].value == 0.25
    assert meta["duplicate_rate_after"].value == 0.0
    assert meta["dedup_stats"].value["clusters_with_duplicates"] == 1
    assert metadata(result, "account_merge_audit")["rules"].value == {"domain+name=100+country": 1}


def test_a_night_without_match_edits_carries_the_clusters_over(tmp_path):
    """Night 1 matches; night 2 edits an ARR and keeps the clusters (and sums the new
    ARR); night 3 renames an account and matches afresh."""
    resources = {
        "crm": FileCrmResource(folder=str(tmp_path)),
        "framework": FrameworkResource(),
        "snapshots": SnapshotStoreResource(base_dir=str(tmp_path / "memo")),
        "warehouse": WarehouseResource(url=f"sqlite:///{tmp_path / 'warehouse.sqlite'}"),
    }

    def night(accounts: pd.DataFrame) -> dg.ExecuteInProcessResult:
        accounts.to_csv(tmp_path / "accounts.csv", index=False)
        return dg.materialize(
            [crm_accounts, accounts_standardized, deduplicated_accounts],
            partition_key=MONTH,
            resources=resources,
        )

    first = metadata(night(ACCOUNTS), "accounts_deduplicated")
    assert first["clusters_carried_over"].value is False
    edited = ACCOUNTS.copy()
    edited.loc[1, ["ARR__c", "SystemModstamp"]] = ["40000", "2024-03-01T00:00:00.000+0000"]
    second = night(edited)
    meta = metadata(second, "accounts_deduplicated")
    assert meta["clusters_carried_over"].value is True
    assert meta["full_pass_reason"].value == ""
    assert meta["rows_recomputed"].value == 0
    assert second.asset_value("accounts_deduplicated").loc[0, "arr"] == 60000.0
    renamed = edited.copy()
    renamed.loc[3, ["Name", "SystemModstamp"]] = ["Quorabel", "2024-04-01T00:00:00.000+0000"]
    third = metadata(night(renamed), "accounts_deduplicated")
    assert third["clusters_carried_over"].value is False
    assert third["full_pass_reason"].value == "match fields of 1 accounts changed"
