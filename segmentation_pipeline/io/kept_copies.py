"""Copies of a few warehouse columns, kept as one value beside their table.

Some nightly reads need a few columns of a million rows that the night before wrote
itself: a sync's stored keys and row hashes (`WarehouseWriter.sync_partition`), the
open segment history (`SegmentStore.open_history`). Read a row at a time they took 1.5
to 3.6 s each. The writer therefore also keeps, in the same transaction, those columns
of the rows as they now stand as one compressed Arrow IPC value in `_kept_copies`, and
the next night reads that one value instead.

A copy counts only while the rows it stands for are as many as it says: every other
write through the warehouse to its table drops the table's copies first, and a count
that no longer matches (rows added or deleted by hand) sends the reader back to the rows.
Arrow, not pickle, so reading a copy runs no code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

TABLE = "_kept_copies"
_COMPRESSION = "lz4"

_METADATA = sa.MetaData()
COPIES = sa.Table(
    TABLE,
    _METADATA,
    sa.Column("table_name", sa.String(255), primary_key=True),
    sa.Column("partition_column", sa.String(255), primary_key=True),
    sa.Column("partition_key", sa.String(255), primary_key=True),
    sa.Column("columns", sa.Text(), nullable=False),
    sa.Column("row_count", sa.BigInteger(), nullable=False),
    sa.Column("payload", sa.LargeBinary(), nullable=False),
)


@dataclass(frozen=True)
class KeptCopy:
    columns: list[str]
    row_count: int
    frame: pd.DataFrame


def encode(frame: pd.DataFrame) -> bytes | None:
    """The frame as Arrow IPC bytes; None when a column holds values Arrow cannot give
    one type (the writer then simply keeps no copy)."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=_COMPRESSION)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode(payload: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(pa.py_buffer(payload)).read_all().to_pandas()


def _where(name: str, partition_column: str, partition_key: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        COPIES.c.table_name == name,
        COPIES.c.partition_column == partition_column,
        COPIES.c.partition_key == partition_key,
    )


def read(
    conn: sa.Connection,
    table: sa.Table,
    partition_column: str,
    partition_key: str,
    rows: sa.ColumnElement[bool],
) -> KeptCopy | None:
    """The copy kept for the rows of `table` that `rows` selects (filed under
    `partition_column` and `partition_key`), while exactly as many such rows exist as it
    holds; otherwise None, and the reader goes back to the rows."""
    if not sa.inspect(conn).has_table(TABLE):
        return None
    row = conn.execute(
        sa.select(COPIES.c.columns, COPIES.c.row_count, COPIES.c.payload).where(
            _where(table.name, partition_column, partition_key)
        )
    ).first()
    if row is None:
        return None
    counted = conn.execute(sa.select(sa.func.count()).select_from(table).where(rows))
    if counted.scalar_one() != int(row.row_count):
        return None
    return KeptCopy(json.loads(row.columns), int(row.row_count), decode(row.payload))


def forget(conn: sa.Connection, name: str) -> None:
    """Drop every copy kept for table `name` (it is about to change)."""
    if name != TABLE and sa.inspect(conn).has_table(TABLE):
        conn.execute(sa.delete(COPIES).where(COPIES.c.table_name == name))


def keep(
    conn: sa.Connection, name: str, partition_column: str, partition_key: str, frame: pd.DataFrame
) -> bool:
    """Keep `frame` as the copy of these rows (replacing the one kept); False if it
    cannot be encoded, in which case no copy is kept."""
    payload = encode(frame)
    COPIES.create(conn, checkfirst=True)
    conn.execute(sa.delete(COPIES).where(_where(name, partition_column, partition_key)))
    if payload is None:
        return False
    conn.execute(
        COPIES.insert(),
        {
            "table_name": name,
            "partition_column": partition_column,
            "partition_key": partition_key,
            "columns": json.dumps(list(frame.columns)),
            "row_count": len(frame),
            "payload": payload,
        },
    )
    return True
