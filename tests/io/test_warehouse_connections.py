"""Pooled warehouse connections the server dropped while idle are replaced, not fatal:
every engine pings a connection before handing it out."""

import pandas as pd
import psycopg
import sqlalchemy as sa

from segmentation_pipeline.io.enrichment_cache import EnrichmentCache
from segmentation_pipeline.io.warehouse import POOL_RECYCLE_SECONDS, Warehouse, normalize_url


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
