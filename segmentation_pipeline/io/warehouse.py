"""The SQLAlchemy warehouse: history and reports on any SQLAlchemy URL (SQLite by default)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa


class Warehouse:
    """Writes whole partitions in one transaction, so a crash leaves the old state intact."""

    def __init__(self, url: str):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(url)

    def replace_partition(
        self, table: str, frame: pd.DataFrame, partition_column: str, partition_key: str
    ) -> int:
        """Swap the rows of one partition of `table` for `frame`; returns rows written."""
        rows = frame.assign(**{partition_column: partition_key})
        with self.engine.begin() as conn:
            if sa.inspect(conn).has_table(table):
                target = sa.Table(table, sa.MetaData(), autoload_with=conn)
                conn.execute(sa.delete(target).where(target.c[partition_column] == partition_key))
            rows.to_sql(table, conn, if_exists="append", index=False, chunksize=10_000)
        return len(rows)

    def read_table(self, table: str) -> pd.DataFrame:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return pd.DataFrame()
            return pd.read_sql_table(table, conn)

    def dispose(self) -> None:
        self.engine.dispose()
