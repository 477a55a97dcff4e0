"""Reading and storing one partition of a warehouse table."""

import pandas as pd

from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.io.warehouse_partitions import read_partition, store_partition


def test_read_partition_returns_only_that_month(sqlite_url):
    warehouse = Warehouse(sqlite_url)
    for month, ids in (("2026-01-01", ["a", "b"]), ("2026-02-01", ["c"])):
        warehouse.replace_partition("t", pd.DataFrame({"id": ids}), "snapshot_month", month)
    assert list(read_partition(warehouse, "t", "snapshot_month", "2026-01-01")["id"]) == ["a", "b"]
    assert read_partition(warehouse, "missing", "snapshot_month", "2026-01-01").empty


def test_storing_an_empty_frame_clears_the_month_but_never_creates_a_table(sqlite_url):
    warehouse = Warehouse(sqlite_url)
    assert store_partition(warehouse, "t", pd.DataFrame(), "snapshot_month", "2026-01-01") == 0
    assert warehouse.read_table("t").empty
    store_partition(warehouse, "t", pd.DataFrame({"x": [1.5]}), "snapshot_month", "2026-01-01")
    store_partition(warehouse, "t", pd.DataFrame({"x": [2.5]}), "snapshot_month", "2026-02-01")
    store_partition(warehouse, "t", pd.DataFrame(columns=["x"]), "snapshot_month", "2026-01-01")
    assert list(warehouse.read_table("t")["x"]) == [2.5]


def test_a_partition_read_can_ask_for_some_columns_or_the_largest_rows(warehouse_url):
    warehouse = Warehouse(warehouse_url)
    rows = pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "arr": [5.0, None, 9.0, 7.0], "note": ["w", "x", "y", "z"]}
    )
    warehouse.replace_partition("t", rows, "snapshot_month", "2026-01-01")
    warehouse.replace_partition("t", rows.assign(arr=100.0), "snapshot_month", "2026-02-01")
    narrow = read_partition(warehouse, "t", "snapshot_month", "2026-01-01", columns=["id", "gone"])
    assert list(narrow.columns) == ["id"] and sorted(narrow["id"]) == ["a", "b", "c", "d"]
    # Largest first, a missing value last (PostgreSQL sorts NULL first when descending).
    top = read_partition(warehouse, "t", "snapshot_month", "2026-01-01", largest=("arr", 2))
    assert top["id"].tolist() == ["c", "d"] and top["note"].tolist() == ["y", "z"]
    every = read_partition(warehouse, "t", "snapshot_month", "2026-01-01", largest=("arr", 9))
    assert every["id"].tolist() == ["c", "d", "a", "b"]
    warehouse.dispose()
