"""Reading and storing one partition of a warehouse table."""

import pandas as pd

from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.io.warehouse_partitions import (
    read_columns,
    read_partition,
    store_partition,
)


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


def test_read_columns_reads_just_those_or_the_whole_table_when_one_is_missing(sqlite_url):
    warehouse = Warehouse(sqlite_url)
    warehouse.append("q", pd.DataFrame({"a": ["x"], "b": [1], "c": [2.5]}))
    assert list(read_columns(warehouse, "q", ["c", "a"]).columns) == ["c", "a"]
    assert list(read_columns(warehouse, "q", ["a", "zz"]).columns) == ["a", "b", "c"]
    assert read_columns(warehouse, "missing", ["a"]).empty
