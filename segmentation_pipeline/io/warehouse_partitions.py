"""Reading and writing single monthly partitions of warehouse tables.

`Warehouse.read_table` loads a whole table; history tables grow by a full account base
every month, so reports read just the month they need.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.warehouse import Warehouse, reflect


def read_partition(
    warehouse: Warehouse,
    table: str,
    partition_column: str,
    partition_key: str,
    columns: Sequence[str] | None = None,
    largest: tuple[str, int] | None = None,
) -> pd.DataFrame:
    """The rows of one partition (of the `columns` it has, when given; the `largest`
    (column, n) rows by that column, when given); an empty frame when the table does not
    exist yet."""
    with warehouse.engine.connect() as conn:
        target = reflect(conn, table)
        if target is None:
            return pd.DataFrame()
        chosen = [target.c[c] for c in columns if c in target.c] if columns else [target]
        query = sa.select(*chosen).where(target.c[partition_column] == partition_key)
        if largest is not None:
            column, n = largest
            query = query.order_by(target.c[column].desc().nulls_last()).limit(n)
        return pd.read_sql_query(query, conn)


def store_partition(
    warehouse: Warehouse,
    table: str,
    frame: pd.DataFrame,
    partition_column: str,
    partition_key: str,
) -> int:
    """Replace one partition; an empty frame clears the partition but never creates the
    table (its column types would be guessed from no data)."""
    if frame.empty:
        with warehouse.engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return 0
    return warehouse.replace_partition(table, frame, partition_column, partition_key)
