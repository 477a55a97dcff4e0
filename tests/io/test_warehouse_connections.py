"""Connections and concurrency: pooled warehouse connections the server dropped while
idle are replaced, not fatal (every engine pings a connection before handing it out),
and two runs writing the same thing at once take turns."""

import threading

import pandas as pd
import psycopg
import sqlalchemy as sa

from segmentation_pipeline.io.enrichment_cache import EnrichmentCache
from segmentation_pipeline.io.warehouse import (
    POOL_RECYCLE_SECONDS,
    Warehouse,
    WarehouseBusy,
    exclusive,
    normalize_url,
)


def _pooled_backend_pid(engine: sa.Engine) -> int:
    """The server process of the connection the pool will hand out next."""
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    plain = normalize_url(url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def test_a_warehouse_connection_killed_while_idle_is_replaced(postgres_url):
    warehouse = Warehouse(postgres_url)
    try:
        warehouse.replace_partition("t", pd.DataFrame({"a": [1]}), "month", "2026-11-01")
        before = _pooled_backend_pid(warehouse.engine)
        _terminate(postgres_url, before)
        warehouse.replace_partition("t", pd.DataFrame({"a": [2]}), "month", "2026-11-01")
        assert list(warehouse.read_table("t")["a"]) == [2]
        assert _pooled_backend_pid(warehouse.engine) != before
    finally:
        warehouse.dispose()


def test_an_enrichment_cache_connection_killed_while_idle_is_replaced(postgres_url):
    cache = EnrichmentCache(postgres_url)
    try:
        cache.record_spend({"pdl": 1.0}, pd.Timestamp("2026-11-02", tz="UTC"))
        _terminate(postgres_url, _pooled_backend_pid(cache.engine))
        assert cache.spent_since(pd.Timestamp("2026-11-01", tz="UTC")) == 1.0
    finally:
        cache.engine.dispose()


def test_every_engine_pings_and_recycles(tmp_path):
    engine = Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}").engine
    assert engine.pool._pre_ping
    assert engine.pool._recycle == POOL_RECYCLE_SECONDS


# -- Two runs at once take turns ---------------------------------------------------------
def test_a_second_holder_of_a_warehouse_lock_waits_for_the_first(warehouse_url):
    warehouse = Warehouse(warehouse_url)
    held, waited, order = threading.Event(), [], []

    def second():
        held.wait()
        with warehouse.exclusive("segment_operations", on_wait=waited.append):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with warehouse.exclusive("segment_operations"):
        held.set()
        while not waited:  # the second run says, in one line, that it waits
            thread.join(0.01)
        order.append("first")
    thread.join()
    warehouse.dispose()
    assert order == ["first", "second"]
    assert waited == ["waiting for another run that holds the warehouse lock 'segment_operations'"]


def test_a_lock_held_too_long_is_a_one_line_error(warehouse_url):
    warehouse = Warehouse(warehouse_url)
    failures = []

    def impatient():
        try:
            with exclusive(warehouse.engine, "segment_operations", wait_seconds=0.05):
                pass
        except WarehouseBusy as exc:
            failures.append(str(exc))

    with warehouse.exclusive("segment_operations"):
        thread = threading.Thread(target=impatient)
        thread.start()
        thread.join()
    warehouse.dispose()
    assert failures and "\n" not in failures[0]
    assert failures[0].startswith("another run held the warehouse lock 'segment_operations'")


def test_two_writers_of_one_partition_at_once_leave_one_writers_rows(warehouse_url):
    """Each sync reads the stored partition and writes the difference; at once, without
    taking turns, both would insert (PostgreSQL) and the partition would hold both."""
    warehouse = Warehouse(warehouse_url)
    ids = [f"a{i}" for i in range(2_000)]
    before = pd.DataFrame({"account_id": ids, "segment": "Tier 3"})
    warehouse.sync_partition("segment_snapshots", before, "month", "2026-11-01", ["account_id"])
    rows = before.assign(segment="Tier 2")  # every row changes: the partition is replaced
    start = threading.Barrier(2)

    errors = []

    def write():
        start.wait()
        try:
            warehouse.sync_partition(
                "segment_snapshots", rows, "month", "2026-11-01", ["account_id"]
            )
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = warehouse.read_table("segment_snapshots")
    warehouse.dispose()
    assert errors == []
    assert sorted(stored["account_id"]) == sorted(ids)
    assert set(stored["segment"]) == {"Tier 2"}
