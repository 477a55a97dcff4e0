"""Retention and migration assets over two months, through the warehouse, when the CRM
deleted the survivor of a deduplicated company and the duplicate folded into it lives on.

January: deduplication folds B into A (Tier 1, 100; B's ARR included), C (Tier 2, 50)
stands alone. February: A is deleted in the CRM, B is its own account (Tier 2, 120), C
unchanged. The February reports read January's customer_activity and merge audit from the
warehouse, where the January run wrote them.
"""

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.defs.assets.reports import (
    customer_activity_history,
    segment_migration_report,
    segment_retention_report,
)
from segmentation_pipeline.defs.assets.warehouse import warehouse_segments
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.io.warehouse import Warehouse

JAN, FEB = "2026-01-01", "2026-02-01"
ACCOUNTS = {
    JAN: [("A", "Tier 1", 100.0), ("C", "Tier 2", 50.0)],
    FEB: [("B", "Tier 2", 120.0), ("C", "Tier 2", 50.0)],
}
AUDIT = {JAN: [("B", "A")], FEB: []}  # folded account, survivor


def _assignments(month: str) -> pd.DataFrame:
    frame = pd.DataFrame(ACCOUNTS[month], columns=["account_id", "segment", "arr"])
    labels = {"Tier 1": "Enterprise", "Tier 2": "Mid-Market"}
    return frame.assign(
        tier_label=frame["segment"].map(labels),
        industry="Software",
        region="NA",
        country_code="US",
        company_size_band="Mid-Market",
        arr_tier="Mid-Market",
        churned=False,
    )


@dg.asset(name="segment_assignments", partitions_def=monthly_partitions)
def fake_assignments(context: dg.AssetExecutionContext) -> pd.DataFrame:
    return _assignments(context.partition_key)


@dg.asset(name="accounts_enriched", partitions_def=monthly_partitions)
def fake_enriched(context: dg.AssetExecutionContext) -> pd.DataFrame:
    ids = [account for account, _, _ in ACCOUNTS[context.partition_key]]
    return pd.DataFrame({"account_id": ids, "contract_end_date": [None] * len(ids)})


@dg.asset(name="account_merge_audit", partitions_def=monthly_partitions)
def fake_audit(context: dg.AssetExecutionContext) -> pd.DataFrame:
    rows = AUDIT[context.partition_key]
    return pd.DataFrame(rows, columns=["account_id", "survivor_id"], dtype=object)


@pytest.fixture(scope="module")
def february(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('heirs') / 'warehouse.sqlite'}"
    resources = {
        "warehouse": WarehouseResource(url=url),
        "framework": FrameworkResource(),
        "io_manager": dg.InMemoryIOManager(),
    }
    assets = [
        fake_assignments,
        fake_enriched,
        fake_audit,
        warehouse_segments,
        customer_activity_history,
        segment_retention_report,
        segment_migration_report,
    ]
    with dg.DagsterInstance.ephemeral() as instance:
        for month in (JAN, FEB):
            result = dg.materialize(
                assets, partition_key=month, resources=resources, instance=instance
            )
            assert result.success
    warehouse = Warehouse(url)
    yield warehouse
    warehouse.dispose()


def test_retention_report_keeps_the_deleted_survivor_through_its_duplicate(february):
    # Tier 1 cohort: A (100), carried on by B at 120: logo 1, GRR 1, NRR 1.2.
    table = february.read_table("report_segment_retention")
    overall = table[(table["snapshot_month"] == FEB) & (table["dimension"] == "all")]
    t1 = overall.set_index("segment").loc["Tier 1"]
    assert (t1.cohort_accounts, t1.retained_accounts, t1.churned_accounts) == (1, 1, 0)
    assert (t1.logo_retention, t1.grr) == (1.0, 1.0)
    assert t1.nrr == pytest.approx(1.2)


def test_migration_report_moves_the_deleted_survivor_to_its_duplicates_segment(february):
    # A: Tier 1 -> Tier 2 (B's segment); C stays in Tier 2; nothing gone, nothing new.
    matrix = february.read_table("report_segment_migration")
    rows = matrix[matrix["snapshot_month"] == FEB]
    moves = sorted(zip(rows["from_segment"], rows["to_segment"], rows["accounts"], strict=True))
    assert moves == [("Tier 1", "Tier 2", 1), ("Tier 2", "Tier 2", 1)]
