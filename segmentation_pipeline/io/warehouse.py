"""The SQL warehouse: history, reports and pipeline state on any SQLAlchemy URL.

Every write runs in one transaction, so a crash half-way leaves the previous state
intact. Rows go in bulk: COPY on PostgreSQL through psycopg 3, batched multi-row
inserts everywhere else, never one statement per row. Tables are created from the
frame's dtypes on first write and gain new columns when a frame brings them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from segmentation_pipeline.core.changes import frame_hashes
from segmentation_pipeline.core.columns import AccountIndex, text_array
from segmentation_pipeline.io.table_schemas import declared_types

STATE_TABLE = "pipeline_state"
ROW_HASH_COLUMN = "_row_hash"
CHUNK_ROWS = 50_000
KEY_BATCH = 5_000  # keys bound per IN (...): a tuple of two columns binds twice as many
SQLITE_CACHE_KIB = 256 * 1024
SQLITE_BUSY_TIMEOUT_MS = 30 * 60 * 1000
# A pooled connection older than this is replaced before use: servers and firewalls drop
# idle connections (often after an hour), and a night's steps can sit idle that long.
POOL_RECYCLE_SECONDS = 30 * 60
# How long a run waits for another run's warehouse lock before giving up (`exclusive`).
LOCK_WAIT_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000


class WarehouseBusy(RuntimeError):
    """Another run held a warehouse lock for longer than a run waits for it."""


@dataclass(frozen=True)
class PartitionSync:
    """What a partition sync wrote: rows inserted, rows deleted, rows left as they were."""

    written: int
    deleted: int
    unchanged: int


def normalize_url(url: str) -> str:
    """A bare postgresql:// URL means psycopg 3 (the `[postgres]` extra), which has COPY."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sql_type(series: pd.Series) -> sa.types.TypeEngine:
    """The column type a frame column gets when the warehouse creates its table."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(dtype):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(dtype):
        return sa.Double()
    if isinstance(dtype, pd.DatetimeTZDtype):
        return sa.DateTime(timezone=True)
    if pd.api.types.is_datetime64_dtype(dtype):
        return sa.DateTime()
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    by_content = {
        "boolean": sa.Boolean(),
        "integer": sa.BigInteger(),
        "floating": sa.Double(),
        "mixed-integer-float": sa.Double(),
        "decimal": sa.Numeric(),
        "datetime": sa.DateTime(timezone=True),
        "date": sa.Date(),
    }
    return by_content.get(inferred, sa.Text())


def _typed_by_values(series: pd.Series) -> bool:
    """Whether a column tells its SQL type: it holds a value, or its dtype is a definite
    one. An empty or all-null object or float64 column is only what pandas makes of
    "nothing here" (Nones assigned to an empty frame become float64): it tells nothing."""
    if series.notna().any():
        return True
    dtype = series.dtype
    return not (isinstance(dtype, np.dtype) and dtype.kind in "Of")


def _kind(column_type: sa.types.TypeEngine) -> str:
    """A column type's kind, for telling whether a stored column has its declared type."""
    kinds = (
        ("bool", sa.Boolean),
        ("time", sa.DateTime | sa.Date),
        ("number", sa.Integer | sa.Numeric),
        ("text", sa.String),
    )
    return next((kind for kind, types in kinds if isinstance(column_type, types)), "other")


def _python_values(series: pd.Series, column_type: sa.types.TypeEngine) -> list:
    """Plain Python values the DB drivers understand, None for every kind of null."""
    missing = series.isna().to_numpy()
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC")
    if isinstance(column_type, sa.DateTime | sa.Date) and not missing.all():
        stamps = pd.to_datetime(series, errors="coerce")
        values = stamps.dt.date if isinstance(column_type, sa.Date) else stamps.dt.to_pydatetime()
        values = pd.Series(values, index=series.index).astype(object).to_numpy(copy=True)
    else:
        values = series.astype(object).to_numpy(copy=True)
    values[missing] = None
    if isinstance(column_type, sa.Text) and not pd.api.types.is_string_dtype(series.dtype):
        return [v if v is None or isinstance(v, str) else str(v) for v in values]
    return values.tolist()


def _sqlite_values(
    series: pd.Series, column_type: sa.types.TypeEngine, dialect: sa.Dialect
) -> list:
    """The values SQLite's driver stores, converted column by column: what the column
    type's bind processor would make of each `_python_values` value, without a Python
    call per row for the common kinds (naive or UTC datetimes, booleans)."""
    missing = series.isna().to_numpy()
    if isinstance(column_type, sa.DateTime) and not missing.all():
        stamps = series
        if not (
            isinstance(stamps.dtype, pd.DatetimeTZDtype)
            or pd.api.types.is_datetime64_dtype(stamps.dtype)
        ):
            stamps = pd.to_datetime(series, errors="coerce")
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_dtype(stamps.dtype):
            # SQLAlchemy's SQLite DATETIME format, "%Y-%m-%d %H:%M:%S.%f", formatted once
            # per distinct moment (a run stamps all its rows with the same few).
            codes, uniques = pd.factorize(stamps.to_numpy("datetime64[us]"))
            text = np.datetime_as_string(uniques, unit="us")
            text = pc.replace_substring(pa.array(text), "T", " ", max_replacements=1)
            table = np.append(text.to_numpy(zero_copy_only=False).astype(object), None)
            return table[codes].tolist()
    if isinstance(column_type, sa.Boolean) and series.dtype == bool:
        return series.to_numpy(dtype=np.int64).tolist()
    if isinstance(column_type, sa.Float) and pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64)
        return values.tolist() if not missing.any() else _python_values(series, column_type)
    values = _python_values(series, column_type)
    process = column_type.bind_processor(dialect)
    if process is not None:
        values = [None if v is None else process(v) for v in values]
    return values


def _same_keys(stored: pd.DataFrame, rows: pd.DataFrame, keys: list[str]) -> bool:
    """Whether both frames hold the same keys in the same order (compared as arrays of
    one dtype; keys of another dtype simply take the lookup by key)."""
    if len(stored) != len(rows):
        return False
    for key in keys:
        mine, theirs = stored[key].array, rows[key].array
        if mine.dtype != theirs.dtype or not mine.equals(theirs):
            return False
    return True


def _unique_text(keys: pd.Series) -> bool:
    """Whether `keys` are text, present and distinct (counted by Arrow's hash table)."""
    array = text_array(keys)
    return array is not None and not array.null_count and len(array.unique()) == len(array)


def _key_index(frame: pd.DataFrame, keys: list[str]) -> pd.Index:
    """The key columns of `frame` as one index to look rows up by. Text keys present in
    every row are joined into one text per row: a MultiIndex of half a million rows costs
    a second to build. (A separator inside a key can only make two keys look alike, and a
    row found under a look-alike key differs by its hash, so it is rewritten.)"""
    if len(keys) == 1:
        return pd.Index(frame[keys[0]].to_numpy(dtype=object))
    texts = [text_array(frame[k]) for k in keys]
    if all(t is not None and not t.null_count for t in texts):
        joined = pc.binary_join_element_wise(*texts, pa.scalar("\x1f", pa.large_string()))
        return pd.Index(joined.to_numpy(zero_copy_only=False))
    return pd.MultiIndex.from_frame(frame[keys].astype(object))


class WarehouseWriter:
    """The write operations, bound to one open transaction."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn

    # -- tables ---------------------------------------------------------------
    def table(
        self, name: str, frame: pd.DataFrame | None = None, required: Sequence[str] = ()
    ) -> sa.Table | None:
        """The reflected table, created or widened to hold `frame`'s columns when given.

        A column's type is its declared one (`io.table_schemas`), else what its values
        say; a column with no value yet and no telling dtype is left out until a frame
        brings a value (its rows hold NULL there, as they would anyway), so an empty
        night never fixes a type. `required` columns (keys, partitions) are always made.
        A table of no declared type and no value yet is not created: None."""
        declared = declared_types(name)
        table = reflect(self.conn, name)
        if table is None:
            if frame is None or (frame.empty and not declared):
                return None
            types = self._column_types(name, frame, frame.columns, required)
            types.update({c: t for c, t in declared.items() if c not in types})
            if not types:
                raise ValueError(
                    f"table {name}: no column of the first rows tells its type; "
                    "declare them in io.table_schemas"
                )
            table = sa.Table(name, sa.MetaData(), *(sa.Column(c, t) for c, t in types.items()))
            table.create(self.conn)
            return table
        if declared and self._conform(table, declared):
            table = reflect(self.conn, name)
        if frame is not None:
            absent = [c for c in frame.columns if c not in table.c]
            types = self._column_types(name, frame, absent, required)
            new = list(types)
            for column in new:
                type_sql = types[column].compile(dialect=self.conn.dialect)
                self.conn.execute(
                    sa.text(
                        f"ALTER TABLE {self._quoted(table)} ADD COLUMN {self._quote(column)} "
                        f"{type_sql}"
                    )
                )
            if new:
                table = reflect(self.conn, name)
        return table

    @staticmethod
    def _column_types(
        name: str, frame: pd.DataFrame, columns: Sequence[str], required: Sequence[str]
    ) -> dict[str, sa.types.TypeEngine]:
        """The types of those of `columns` that can be made now (see `table`)."""
        declared = declared_types(name)
        return {
            c: declared[c] if c in declared else sql_type(frame[c])
            for c in columns
            if c in declared or c in required or _typed_by_values(frame[c])
        }

    def _conform(self, table: sa.Table, declared: Mapping[str, sa.types.TypeEngine]) -> bool:
        """Give stored columns declared as text that are not text that type (a table an
        earlier version created from an empty frame, whose text no longer fits); True if
        any changed. Only text: any value converts to it without loss."""
        wrong = {
            c: t
            for c, t in declared.items()
            if c in table.c and _kind(t) == "text" and _kind(table.c[c].type) != "text"
        }
        if not wrong:
            return False
        if self.conn.dialect.name == "postgresql":
            for column, column_type in wrong.items():
                type_sql = column_type.compile(dialect=self.conn.dialect)
                quoted = self._quote(column)
                self.conn.execute(
                    sa.text(
                        f"ALTER TABLE {self._quoted(table)} ALTER COLUMN {quoted} "
                        f"TYPE {type_sql} USING {quoted}::{type_sql}"
                    )
                )
            return True
        # SQLite cannot change a column's type: copy the rows into a table of the right
        # types and swap it in (the writes that need indexes make them again).
        rebuilt = sa.Table(
            f"_conform_{table.name}"[:60],
            sa.MetaData(),
            *(sa.Column(c.name, wrong.get(c.name, c.type)) for c in table.c),
        )
        rebuilt.create(self.conn)
        columns = [sa.cast(c, wrong[c.name]) if c.name in wrong else c for c in table.c]
        self.conn.execute(rebuilt.insert().from_select(list(table.c.keys()), sa.select(*columns)))
        table.drop(self.conn)
        self.conn.execute(
            sa.text(f"ALTER TABLE {self._quoted(rebuilt)} RENAME TO {self._quoted(table)}")
        )
        return True

    def lock(self, name: str) -> None:
        """Hold the lock `name` until this transaction ends, so two runs writing the same
        thing at once take turns. PostgreSQL: a transaction advisory lock; SQLite: the
        write transaction (BEGIN IMMEDIATE) already holds the database's lock."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)}
            )

    def _quote(self, identifier: str) -> str:
        return self.conn.dialect.identifier_preparer.quote(identifier)

    def _quoted(self, table: sa.Table) -> str:
        return self.conn.dialect.identifier_preparer.format_table(table)

    def _index(self, table: sa.Table, columns: Sequence[str], unique: bool = False) -> None:
        name = f"{'uq' if unique else 'ix'}_{table.name}_{'_'.join(columns)}"[:60]
        cols = ", ".join(self._quote(c) for c in columns)
        kind = "UNIQUE INDEX" if unique else "INDEX"
        self.conn.execute(
            sa.text(
                f"CREATE {kind} IF NOT EXISTS {self._quote(name)} ON {self._quoted(table)} ({cols})"
            )
        )

    # -- rows -----------------------------------------------------------------
    def insert(self, table: sa.Table, frame: pd.DataFrame) -> int:
        """Bulk-insert `frame` (its columns must exist in `table`)."""
        if frame.empty:
            return 0
        columns = [c for c in frame.columns if c in table.c]
        unstored = [c for c in frame.columns if c not in table.c and frame[c].notna().any()]
        if unstored:
            raise ValueError(f"table {table.name} has no column {', '.join(map(str, unstored))}")
        types = [table.c[c].type for c in columns]
        dialect = self.conn.dialect
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS]
            values = [
                _sqlite_values(chunk[c], t, dialect)
                if dialect.name == "sqlite"
                else _python_values(chunk[c], t)
                for c, t in zip(columns, types, strict=True)
            ]
            self._write_rows(table, columns, values)
        return len(frame)

    def _write_rows(self, table: sa.Table, columns: list[str], values: list[list]) -> None:
        dialect = self.conn.dialect
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            cols = ", ".join(self._quote(c) for c in columns)
            statement = f"COPY {self._quoted(table)} ({cols}) FROM STDIN"
            cursor = self.conn.connection.dbapi_connection.cursor()
            with cursor, cursor.copy(statement) as copy:
                for row in zip(*values, strict=True):
                    copy.write_row(row)
        elif dialect.name == "sqlite":
            # One prepared statement run by the driver over all rows; `insert` already
            # applied the column types' bind processing column by column (_sqlite_values).
            cols = ", ".join(self._quote(c) for c in columns)
            marks = ", ".join("?" for _ in columns)
            self.conn.exec_driver_sql(
                f"INSERT INTO {self._quoted(table)} ({cols}) VALUES ({marks})",
                list(zip(*values, strict=True)),
            )
        else:
            # Other databases: SQLAlchemy batches rows into multi-row VALUES statements
            # ("insertmanyvalues"), not one round trip per row.
            rows = [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
            self.conn.execute(table.insert(), rows)

    def replace_partition(
        self,
        name: str,
        frame: pd.DataFrame,
        partition_column: str,
        partition_key: str,
        key_column: str | None = None,
    ) -> int:
        """Swap the rows of one partition of table `name` for `frame`; returns rows written.
        With `key_column`, the index `replace_partition_keys` works through is made too, so
        the first night that replaces only some keys does not build it."""
        rows = frame.assign(**{partition_column: partition_key})
        self.lock(f"{name}/{partition_key}")
        table = self.table(name, rows, [partition_column, *([key_column] if key_column else [])])
        if table is None:
            return 0
        self._index(table, [partition_column])
        if key_column is not None:
            self._index(table, [partition_column, key_column])
        self.conn.execute(sa.delete(table).where(table.c[partition_column] == partition_key))
        return self.insert(table, rows)

    def replace_partition_keys(
        self,
        name: str,
        frame: pd.DataFrame,
        partition_column: str,
        partition_key: str,
        key_column: str,
        keys: Sequence[Any],
    ) -> int:
        """Swap, within one partition, the rows of the given keys for `frame`'s rows (which
        must all carry one of `keys`); other rows of the partition stay. Returns rows written."""
        rows = frame.assign(**{partition_column: partition_key})
        self.lock(f"{name}/{partition_key}")
        table = self.table(name, rows, [partition_column, key_column])
        if table is None:
            return 0
        self._index(table, [partition_column, key_column])
        wanted = pd.DataFrame({key_column: list(dict.fromkeys(keys))})
        self._delete_matching(table, wanted, table.c[partition_column] == partition_key)
        return self.insert(table, rows)

    def append(self, name: str, frame: pd.DataFrame) -> int:
        """Add rows to a history table, creating it on first use."""
        table = self.table(name, frame)
        return 0 if table is None else self.insert(table, frame)

    def upsert(self, name: str, frame: pd.DataFrame, key_columns: Sequence[str]) -> int:
        """Insert rows whose key is new and update the given columns of rows whose key exists.

        Keys are unique in the table (an index enforces it); within `frame` the last row of a
        key wins. Columns absent from `frame` keep their stored values.
        """
        keys = list(key_columns)
        rows = frame.drop_duplicates(keys, keep="last")
        table = self.table(name, rows, keys)
        if table is None:
            return 0
        self._index(table, keys, unique=True)
        if rows.empty:
            return 0
        rows = rows[[c for c in rows.columns if c in table.c]]  # columns with no value yet
        stage = sa.Table(
            f"_stage_{name}"[:60],
            sa.MetaData(),
            *[sa.Column(c, table.c[c].type) for c in rows.columns],
            prefixes=["TEMPORARY"],
        )
        stage.create(self.conn)
        self.insert(stage, rows)
        cols = ", ".join(self._quote(c) for c in rows.columns)
        updates = [c for c in rows.columns if c not in keys]
        action = (
            "DO UPDATE SET "
            + ", ".join(f"{self._quote(c)} = excluded.{self._quote(c)}" for c in updates)
            if updates
            else "DO NOTHING"
        )
        conflict = ", ".join(self._quote(c) for c in keys)
        # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
        self.conn.execute(
            sa.text(
                f"INSERT INTO {self._quoted(table)} ({cols}) SELECT {cols} FROM "
                f"{self._quoted(stage)} WHERE true ON CONFLICT ({conflict}) {action}"
            )
        )
        stage.drop(self.conn)
        return len(rows)

    def sync_partition(
        self,
        name: str,
        frame: pd.DataFrame,
        partition_column: str,
        partition_key: str,
        key_columns: Sequence[str],
        unhashed: Mapping[str, Any] | None = None,
        hashes: np.ndarray | None = None,
    ) -> PartitionSync:
        """Make one partition of table `name` equal `frame`, writing only the rows that differ.

        Each stored row carries a content hash (ROW_HASH_COLUMN); rows whose key and hash are
        unchanged stay untouched. When most rows differ, when keys are missing or repeated,
        or when the stored partition has no hashes, the partition is replaced whole. The stored
        keys and hashes are read from the table itself each time (one fetch of two
        columns), so a row changed by hand in SQL is seen and rewritten. `unhashed` columns (a
        write moment, say) go into the rows written but do not make a row differ. `hashes`
        are the frame's `frame_hashes` when the caller already has them.
        """
        keys = list(key_columns)
        if hashes is None:
            hashes = frame_hashes(frame)
        elif len(hashes) != len(frame):
            raise ValueError(f"{len(hashes)} row hashes given for {len(frame)} rows")
        rows = frame.assign(
            **{
                partition_column: partition_key,
                ROW_HASH_COLUMN: np.asarray(hashes, dtype=np.uint64).view("int64"),
                **(unhashed or {}),
            }
        )
        self.lock(f"{name}/{partition_key}")
        table = self.table(name, rows, [partition_column, *keys, ROW_HASH_COLUMN])
        if table is None:
            return PartitionSync(written=0, deleted=0, unchanged=0)
        self._index(table, [partition_column, *keys])
        stored = self._stored_hashes(table, keys, partition_column, partition_key)
        clean_keys = bool(rows[keys].notna().all(axis=None)) and not rows.duplicated(keys).any()
        # The same clean keys in the same order: each row's stored twin is the row beside it.
        in_order = clean_keys and stored is not None and _same_keys(stored, rows, keys)
        sync = self._write_differences(
            table, rows, stored, keys, partition_column, partition_key, clean_keys, in_order
        )
        return sync

    def _write_differences(
        self,
        table: sa.Table,
        rows: pd.DataFrame,
        stored: pd.DataFrame | None,
        keys: list[str],
        partition_column: str,
        partition_key: str,
        clean_keys: bool,
        in_order: bool,
    ) -> PartitionSync:
        name = table.name
        if stored is None or not clean_keys or stored[ROW_HASH_COLUMN].isna().any():
            self.replace_partition(name, rows, partition_column, partition_key)
            return PartitionSync(
                written=len(rows), deleted=0 if stored is None else len(stored), unchanged=0
            )

        if in_order:
            at = np.arange(len(rows))
        elif len(keys) == 1 and _unique_text(stored[keys[0]]):
            # Arrow's hash table finds text keys without making a Python string of each
            # (0.3 s against 0.8 s at 940k rows).
            at = AccountIndex(stored[keys[0]]).find(rows[keys[0]])
        else:
            # Each frame row's stored twin by key (a hash lookup, not an outer merge).
            stored_keys = _key_index(stored, keys)
            if not stored_keys.is_unique:
                self.replace_partition(name, rows, partition_column, partition_key)
                return PartitionSync(written=len(rows), deleted=len(stored), unchanged=0)
            at = stored_keys.get_indexer(_key_index(rows, keys))
        stored_hash = stored[ROW_HASH_COLUMN].to_numpy(dtype="int64")
        same = at >= 0
        same[same] = stored_hash[at[same]] == rows[ROW_HASH_COLUMN].to_numpy()[same]
        kept = np.zeros(len(stored), dtype=bool)
        kept[at[same]] = True
        outdated = stored.loc[~kept, keys]  # changed or gone from the frame
        fresh = rows[~same]  # changed or new
        if len(outdated) + len(fresh) > len(rows) // 2:
            self.replace_partition(name, rows, partition_column, partition_key)
            return PartitionSync(written=len(rows), deleted=len(stored), unchanged=0)
        self._delete_matching(table, outdated, table.c[partition_column] == partition_key)
        self.insert(table, fresh)
        return PartitionSync(written=len(fresh), deleted=len(outdated), unchanged=int(same.sum()))

    def _stored_hashes(
        self, table: sa.Table, keys: list[str], partition_column: str, partition_key: str
    ) -> pd.DataFrame | None:
        """Key and content hash of every stored row of the partition; None if there are none."""
        query = sa.select(*[table.c[k] for k in keys], table.c[ROW_HASH_COLUMN]).where(
            table.c[partition_column] == partition_key
        )
        names = [*keys, ROW_HASH_COLUMN]
        # Keys and integers need no result processing: read the driver's tuples directly,
        # a million Row objects would cost more than the comparison itself.
        result = self.conn.execute(query)
        rows = result.cursor.fetchall()
        result.close()
        if not rows:
            return None
        return pd.DataFrame.from_records(rows, columns=names)

    def _delete_matching(
        self, table: sa.Table, keys: pd.DataFrame, *conditions: sa.ColumnElement[bool]
    ) -> int:
        """Delete rows whose key columns match a row of `keys`, in batches of bound values."""
        columns = [table.c[k] for k in keys.columns]
        target = columns[0] if len(columns) == 1 else sa.tuple_(*columns)
        values = list(keys.itertuples(index=False, name=None))
        if len(columns) == 1:
            values = [v[0] for v in values]
        deletes = (sa.delete(table).where(target.in_(b), *conditions) for b in batches(values))
        return sum(self.conn.execute(delete).rowcount for delete in deletes)

    def set_state(self, name: str, value: dict) -> None:
        """Remember a small JSON value (a high-water mark, a cursor) under `name`.
        `updated_at` is when the value last changed: setting the same value again (a
        re-run) leaves the row alone."""
        text = json.dumps(value, default=str, sort_keys=True)
        stored = read_states(self.conn, [name]).get(name)
        if stored is not None and json.dumps(stored, default=str, sort_keys=True) == text:
            return
        row = pd.DataFrame({"name": [name], "value": [text], "updated_at": [datetime.now(UTC)]})
        self.upsert(STATE_TABLE, row, ["name"])


class Warehouse:
    """One engine per URL; each public write is its own transaction."""

    def __init__(self, url: str):
        url = normalize_url(url)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url)

    @contextmanager
    def transaction(self) -> Iterator[WarehouseWriter]:
        """Several writes that commit together or not at all."""
        with self.engine.begin() as conn:
            yield WarehouseWriter(conn)

    def exclusive(
        self, name: str, on_wait: Callable[[str], None] | None = None
    ) -> AbstractContextManager[None]:
        """See `exclusive`."""
        return exclusive(self.engine, name, on_wait)

    def replace_partition(
        self, table: str, frame: pd.DataFrame, partition_column: str, partition_key: str
    ) -> int:
        """Swap the rows of one partition of `table` for `frame`; returns rows written."""
        with self.transaction() as tx:
            return tx.replace_partition(table, frame, partition_column, partition_key)

    def append(self, table: str, frame: pd.DataFrame) -> int:
        with self.transaction() as tx:
            return tx.append(table, frame)

    def upsert(self, table: str, frame: pd.DataFrame, key_columns: Sequence[str]) -> int:
        with self.transaction() as tx:
            return tx.upsert(table, frame, key_columns)

    def sync_partition(
        self,
        table: str,
        frame: pd.DataFrame,
        partition_column: str,
        partition_key: str,
        key_columns: Sequence[str],
        unhashed: Mapping[str, Any] | None = None,
        hashes: np.ndarray | None = None,
    ) -> PartitionSync:
        with self.transaction() as tx:
            return tx.sync_partition(
                table, frame, partition_column, partition_key, key_columns, unhashed, hashes
            )

    def set_state(self, name: str, value: dict) -> None:
        with self.transaction() as tx:
            tx.set_state(name, value)

    def get_state(self, name: str) -> dict | None:
        with self.engine.connect() as conn:
            return read_states(conn, [name]).get(name)

    def table_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return sa.inspect(conn).get_table_names()

    def has_table(self, table: str) -> bool:
        with self.engine.connect() as conn:
            return sa.inspect(conn).has_table(table)

    def read_table(self, table: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return pd.DataFrame(columns=list(columns or []))
            return pd.read_sql_table(table, conn, columns=list(columns) if columns else None)

    def dispose(self) -> None:
        self.engine.dispose()


def _lock_key(name: str) -> int:
    """A lock name as PostgreSQL's 64-bit advisory lock key."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(
    engine: sa.Engine,
    name: str,
    on_wait: Callable[[str], None] | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> Iterator[None]:
    """Hold the warehouse-wide lock `name` across several transactions (a read, work
    on what was read, then the write), so a second run doing the same waits for the
    first and then sees what it wrote. `on_wait` is told once, in one line, when the
    lock is held elsewhere; after `wait_seconds` a `WarehouseBusy` says so. PostgreSQL:
    a session advisory lock on a connection of its own; SQLite: a lock on a file beside
    the database. A killed holder's lock goes with its process."""
    waiting = f"waiting for another run that holds the warehouse lock {name!r}"
    busy = (
        f"another run held the warehouse lock {name!r} for more than "
        f"{wait_seconds / 60:g} min; nothing was written, run again once it has finished"
    )
    if engine.dialect.name == "postgresql":
        key = {"key": _lock_key(name)}
        with engine.connect() as conn:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
                if on_wait is not None:
                    on_wait(waiting)
                conn.execute(
                    sa.text("SELECT set_config('lock_timeout', :ms, true)"),
                    {"ms": f"{int(wait_seconds * 1000)}ms"},
                )
                try:
                    conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), key)
                except sa.exc.OperationalError as exc:
                    raise WarehouseBusy(busy) from exc
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # one connection, or a database without a lock of ours: nothing to share
        return
    path = f"{database}.{hashlib.sha1(name.encode()).hexdigest()[:12]}.lock"
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait(waiting)
                told = True
                if time.monotonic() > deadline:
                    raise WarehouseBusy(busy) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def create_engine(url: str) -> sa.Engine:
    """The engine every warehouse store uses. Each pooled connection is pinged before use
    and recycled after POOL_RECYCLE_SECONDS, so a connection the server dropped while idle
    (a restart, pg_terminate_backend, a firewall timeout) is replaced instead of failing
    the next step."""
    engine = sa.create_engine(
        normalize_url(url), pool_pre_ping=True, pool_recycle=POOL_RECYCLE_SECONDS
    )
    if engine.dialect.name == "sqlite":
        _make_sqlite_transactions_atomic(engine)
    return engine


def batches(keys: Sequence[Any], size: int = KEY_BATCH) -> Iterator[Sequence[Any]]:
    """`keys` a batch at a time: each batch is bound in one IN (...), and SQLite caps the
    values one statement may bind."""
    return (keys[start : start + size] for start in range(0, len(keys), size))


def stored_keys(conn: sa.Connection, column: sa.Column, keys: Sequence[Any]) -> set:
    """Which of `keys` the table holds in `column` (its once-only key)."""
    found = (conn.execute(sa.select(column).where(column.in_(b))) for b in batches(keys))
    return {key for result in found for key in result.scalars()}


def reflect(conn: sa.Connection, name: str) -> sa.Table | None:
    """Table `name`'s columns and their types as the database holds them; None while it
    does not exist. Only the columns: reading and writing rows needs nothing else, and a
    full reflection (keys, indexes, constraints, comments) is three times the catalog
    queries, a second of every PostgreSQL night."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(name):
        return None
    columns = inspector.get_columns(name)
    return sa.Table(name, sa.MetaData(), *(sa.Column(c["name"], c["type"]) for c in columns))


def read_states(conn: sa.Connection, names: Sequence[str]) -> dict[str, dict]:
    """The values `set_state` remembered under these names (names never set are absent)."""
    table = reflect(conn, STATE_TABLE) if names else None
    if table is None:
        return {}
    found = conn.execute(
        sa.select(table.c.name, table.c.value).where(table.c.name.in_(list(names)))
    ).all()
    return {name: json.loads(value) for name, value in found}


def _make_sqlite_transactions_atomic(engine: sa.Engine) -> None:
    """pysqlite only opens a transaction before DML, so a CREATE TABLE would commit on its
    own; SQLAlchemy's documented recipe hands BEGIN to SQLAlchemy instead."""

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        # A page cache big enough for the indexes of a million-row write (2 MB by default):
        # index inserts otherwise re-read the same pages from disk over and over.
        dbapi_connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        # Steps of one run may be separate processes (Dagster's multiprocess executor, the
        # default for runs the daemon launches): one waits for another's commit instead of
        # failing.
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        # IMMEDIATE takes the write lock at BEGIN, where the busy timeout applies; a
        # deferred transaction that reads, then writes while another holds the lock,
        # fails at once with 'database is locked'.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# -- rejected records (the input contract) -------------------------------------------
REJECTED_RECORDS_TABLE = "rejected_records"
REJECTED_RECORDS_COLUMNS = ("account_id", "source_file", "reason", "detail", "run_id")


def rejected_records_rows(rejected: pd.DataFrame) -> pd.DataFrame:
    """The rejected_records rows of one night: every column text, whatever the frame held,
    so the table is never typed from an empty or all-null frame."""
    rows = rejected.reindex(columns=list(REJECTED_RECORDS_COLUMNS))
    return rows.astype("string").astype(object).where(rows.notna(), None)
