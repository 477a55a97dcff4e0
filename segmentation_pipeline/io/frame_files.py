"""Data frames as Arrow IPC files on any fsspec path (local disk, `memory://`, s3://, ...).

Arrow, not pickle: reading a file runs no code, and other tools read it too. Arrow IPC,
not Parquet: measured in docs/performance.md ("Mechanisms kept"), it writes and
reads the assignments' text columns several times faster, and a local file is read by
memory-mapping it, so its columns are not copied.

Arrow keeps what pandas' own conversion keeps (Arrow-backed `str` columns, datetimes with
their zone, nullable integers, categoricals). Two things it would lose are written down in
the file's schema metadata and put back on reading: a column of Python objects stays an
object column (Arrow would make text a `str` column), and its missing values come back
as the kind they were (None or NaN).

A write never leaves half a file where a reader looks: on local disk it goes to a file
beside its place and is renamed into it; elsewhere the whole file is put in one call,
which object stores and `memory://` commit whole or not at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from upath import UPath

FRAME_METADATA = b"segmentation_pipeline.object_columns"  # name -> "None" or "NaN"
_NAN_AT = "__nan_at__."  # beside an object column holding both None and NaN
_LOCAL = ("", "file", "local")
_MAX_DISTINCT_SHARE = 0.05  # object text columns with fewer distinct values go as dictionaries


def _nan_positions(values: pd.Series) -> np.ndarray:
    """Whether each value is NaN (a float missing value) rather than None or present."""
    array = values.to_numpy()
    try:
        nan = np.not_equal(array, array).astype(bool)  # NaN, NaT, ...: unequal to themselves
    except (TypeError, ValueError):  # pd.NA and the like answer neither way
        nan = values.isna().to_numpy()
    if nan.any() and set(map(type, array[nan])) != {float}:
        nan[nan] = [isinstance(v, float) for v in array[nan]]
    return nan


def _encoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text of few distinct values as a dictionary: read back, each row is then a
    reference to one of a few Python strings instead of a string of its own (at a
    million assignments, 0.5 s of a 0.7 s read)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    encoded = pc.dictionary_encode(column.combine_chunks())
    return encoded if len(encoded.dictionary) <= _MAX_DISTINCT_SHARE * len(column) else column


def _objects(column: pa.ChunkedArray, missing: object) -> np.ndarray:
    """The column as an object array, `missing` where it holds a null."""
    if pa.types.is_dictionary(column.type):
        encoded = column.combine_chunks()
        table = np.append(encoded.dictionary.to_numpy(zero_copy_only=False), None)
        table[-1] = missing
        codes = pc.fill_null(encoded.indices, len(table) - 1)
        return table[codes.to_numpy(zero_copy_only=False)]
    values = column.to_numpy(zero_copy_only=False).astype(object, copy=False)
    if missing is not None and column.null_count:
        values[pc.is_null(column).to_numpy(zero_copy_only=False)] = missing
    return values


def to_table(frame: pd.DataFrame) -> pa.Table:
    """The frame (index included) as an Arrow table that `from_table` turns back into it."""
    table = pa.Table.from_pandas(frame)
    objects = {}
    for name in frame.columns:
        if frame[name].dtype != object:
            continue
        at = table.schema.get_field_index(str(name))
        nan = _nan_positions(frame[name])
        nans = int(nan.sum())
        if not nans:
            objects[str(name)] = "None"
        elif nans == table.column(at).null_count:  # every missing value is NaN
            objects[str(name)] = "NaN"
        else:  # both kinds: where NaN was goes beside the column
            objects[str(name)] = "mixed"
            table = table.append_column(f"{_NAN_AT}{name}", pa.array(nan))
        table = table.set_column(at, str(name), _encoded(table.column(at)))
    metadata = {**(table.schema.metadata or {}), FRAME_METADATA: json.dumps(objects).encode()}
    return table.replace_schema_metadata(metadata)


def _projected(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """Just `columns` of a `to_table` table (those it has), with the index and what
    `from_table` reads beside them; the frame's other columns are never converted."""
    wanted = {str(c) for c in columns}
    wanted |= {f"{_NAN_AT}{c}" for c in wanted}
    index = table.schema.pandas_metadata.get("index_columns", [])
    wanted |= {c for c in index if isinstance(c, str)}  # a RangeIndex is no column
    return table.select([name for name in table.column_names if name in wanted])


def from_table(table: pa.Table, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The frame `to_table` made `table` from; only `columns` of it when given."""
    if columns is not None:
        table = _projected(table, columns)
    objects = json.loads((table.schema.metadata or {}).get(FRAME_METADATA, b"{}"))
    objects = {name: kind for name, kind in objects.items() if name in table.column_names}
    nan_at = {
        name: table.column(f"{_NAN_AT}{name}").to_numpy()
        for name, missing in objects.items()
        if missing == "mixed"
    }
    table = table.drop_columns([f"{_NAN_AT}{name}" for name in nan_at])
    if not objects:
        return table.to_pandas()
    # The object columns are built here, so pandas is not asked to convert them first.
    order = list(table.schema.pandas_metadata["columns"])
    others = table.drop_columns(list(objects)).to_pandas()
    columns = {}
    for field in order:
        name = field["name"]
        if name in objects:
            values = _objects(table.column(name), np.nan if objects[name] == "NaN" else None)
            if objects[name] == "mixed":
                values[nan_at[name]] = np.nan
            columns[name] = pd.Series(values, index=others.index, dtype=object, copy=False)
        elif name in others.columns:
            columns[name] = others[name]
    return pd.DataFrame(columns, index=others.index, copy=False)


def _write(table: pa.Table, sink) -> None:
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def write_frame(frame: pd.DataFrame, path: UPath) -> None:
    """Store `frame` at `path`, replacing what was there only once it is whole."""
    table = to_table(frame)  # fails before anything is written when a column will not convert
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.protocol in _LOCAL:
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        try:
            with pa.OSFile(str(partial), "wb") as sink:
                _write(table, sink)
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
        return
    sink = pa.BufferOutputStream()
    _write(table, sink)
    path.write_bytes(sink.getvalue().to_pybytes())


def read_frame(path: UPath, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The frame `write_frame` stored at `path` (a local file is memory-mapped), or only
    its `columns` (those it has, in its order)."""
    if path.protocol in _LOCAL:
        with pa.memory_map(str(path), "r") as source:
            return from_table(pa.ipc.open_file(source).read_all(), columns)
    with path.open("rb") as source:
        return from_table(pa.ipc.open_file(source).read_all(), columns)
