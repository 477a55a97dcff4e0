"""Pairs in the review band land in the warehouse table duplicate_review, and the weights
learned this run are in the deduplicated asset's metadata."""

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.input_contract import ACCOUNTS_INPUT, missing_columns
from segmentation_pipeline.defs.assets.extract import crm_accounts
from segmentation_pipeline.defs.assets.prepare import (
    REVIEW_TABLE,
    accounts_standardized,
    deduplicated_accounts,
)
from segmentation_pipeline.defs.resources import (
    FileCrmResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

MONTH = "2026-11-01"
ACCOUNTS = pd.DataFrame(
    {
        # A typo'd name in one country, nothing else in common: doubtful, for a person.
        "Id": ["001A", "001B", "001C"],
        "Name": ["Quorabel Analytics", "Quorabel Analytcs", "Brightwave Media"],
        "BillingCountry": ["FR", "France", "US"],
        "ARR__c": ["1000", "2000", "3000"],
        "CreatedDate": ["2024-01-01T00:00:00.000+0000"] * 3,
        "SystemModstamp": ["2024-02-01T00:00:00.000+0000"] * 3,
    }
)
# The input contract's other columns, blank.
ACCOUNTS = ACCOUNTS.reindex(
    columns=[*ACCOUNTS.columns, *missing_columns(ACCOUNTS.columns, ACCOUNTS_INPUT)]
)


def test_review_band_pairs_fill_the_review_table(tmp_path):
    ACCOUNTS.to_csv(tmp_path / "accounts.csv", index=False)
    framework = tmp_path / "framework.yaml"  # the default, with the learned engine
    framework.write_text(
        DEFAULT_FRAMEWORK_PATH.read_text().replace("engine: points", "engine: fellegi_sunter")
    )
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    outcome = dg.materialize(
        [crm_accounts, accounts_standardized, deduplicated_accounts],
        partition_key=MONTH,
        resources={
            "crm": FileCrmResource(folder=str(tmp_path)),
            "framework": FrameworkResource(path=str(framework)),
            "snapshots": SnapshotStoreResource(base_dir=str(tmp_path / "memo")),
            "warehouse": WarehouseResource(url=url),
        },
    )
    assert outcome.success
    assert len(outcome.asset_value("accounts_deduplicated")) == 3  # nothing merged
    review = pd.read_sql_table(REVIEW_TABLE, sa.create_engine(url))
    assert review[["account_id", "other_account_id", "reason"]].values.tolist() == [
        ["001A", "001B", "review band"]
    ]
    assert review["snapshot_month"].tolist() == [MONTH]
    assert 0.5 <= review["match_probability"].iloc[0] < 0.9
    events = {e.asset_key.to_user_string(): e for e in outcome.get_asset_materialization_events()}
    metadata = events["accounts_deduplicated"].materialization.metadata
    weights = metadata["match_weights"].value
    assert weights.splitlines()[0].replace(" ", "") == "|comparison|level|m|u|weight|"
    assert "| name " in weights and "| exact " in weights
