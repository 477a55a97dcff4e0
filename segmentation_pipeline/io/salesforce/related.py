"""Open Opportunities, Contracts and Cases: read whole once, then only what changed.

A full read asks for each object's open records. An incremental read asks, through
`queryAll`, for every record stamped at or after `since` (the account extract's own
`since`: its mark less the overlap), deleted ones included with IsDeleted = true, and folds
them into the records held since last night (`core.related_records.merge_related`). `>=`,
not `>`: SystemModstamp has whole seconds, so a record saved later in the very second of
the mark carries the mark's stamp. The held records live in the state store, one Arrow
file per object; the file names and the stamp they were read under are committed with the
account extract's mark, so a crash before the commit leaves last night's records in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from segmentation_pipeline.core.related_records import merge_related
from segmentation_pipeline.io.salesforce.records import RecordReader
from segmentation_pipeline.io.state_store import StateStore

STATE_NAME = "salesforce_related"
STAMP = "SystemModstamp"


@dataclass(frozen=True)
class RelatedObject:
    """An object whose open records feed an account's signals."""

    sobject: str
    fields: tuple[str, ...]  # read besides Id and SystemModstamp
    open_field: str
    open_value: Any

    @property
    def columns(self) -> list[str]:
        return ["Id", *self.fields, STAMP]

    def read_open(self, reader: RecordReader) -> pd.DataFrame:
        return reader.read(self.sobject, self.columns, [(self.open_field, "=", self.open_value)])

    def read_since(self, reader: RecordReader, since: datetime) -> pd.DataFrame:
        fields = [*self.columns, self.open_field, "IsDeleted"]
        return reader.read(self.sobject, fields, [(STAMP, ">=", since)], include_deleted=True)


RELATED_OBJECTS = (
    RelatedObject("Opportunity", ("AccountId", "Amount", "Type"), "IsClosed", False),
    RelatedObject("Contract", ("AccountId", "EndDate"), "Status", "Activated"),
    RelatedObject("Case", ("AccountId",), "IsClosed", False),
)


@dataclass(frozen=True)
class RelatedRecords:
    """The open records of each related object (RELATED_OBJECTS' columns), by Id."""

    frames: dict[str, pd.DataFrame]

    def of(self, sobject: str) -> pd.DataFrame:
        return self.frames[sobject]


@dataclass(frozen=True)
class RelatedRead:
    records: RelatedRecords
    full: bool
    rows_read: int
    # Accounts whose related records changed since `since` (incremental reads only).
    touched_accounts: frozenset[str] = frozenset()
    same_as_held: bool = False

    @property
    def mode(self) -> str:
        return "full" if self.full else "incremental"


def read_related(
    reader: RecordReader, since: datetime | None, held: RelatedRecords | None
) -> RelatedRead:
    """A full read when `since` or `held` is None, else an incremental one folded into
    `held`."""
    if since is None or held is None:
        frames = {o.sobject: _by_id(o.read_open(reader)) for o in RELATED_OBJECTS}
        rows = sum(len(f) for f in frames.values())
        return RelatedRead(RelatedRecords(frames), full=True, rows_read=rows)
    frames, touched, rows = {}, set(), 0
    for related in RELATED_OBJECTS:
        read = related.read_since(reader, since)
        merged = merge_related(
            held.of(related.sobject), read, related.open_field, related.open_value
        )
        frames[related.sobject] = merged.records
        touched |= merged.touched_accounts
        rows += len(read)
    same = all(frames[s].equals(held.of(s)) for s in frames)
    return RelatedRead(RelatedRecords(frames), False, rows, frozenset(touched), same)


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("Id", kind="stable").reset_index(drop=True).astype(object)


# --- kept between nights ---------------------------------------------------------------
def load_related(store: StateStore, kept: dict | None, stamp: dict) -> RelatedRecords | None:
    """The records `kept` names, or None: nothing kept, another stamp, a file gone."""
    if not kept or kept.get("stamp") != _plain(stamp):
        return None
    frames = {}
    for related in RELATED_OBJECTS:
        name = kept.get("files", {}).get(related.sobject)
        frame = store.read(STATE_NAME, name) if name else None
        if frame is None:
            return None
        frame = frame.reindex(columns=related.columns).astype(object)
        frames[related.sobject] = frame.where(frame.notna(), None)
    return RelatedRecords(frames)


def save_related(store: StateStore, read: RelatedRead, kept: dict | None, stamp: dict) -> dict:
    """What to commit with the account extract's mark. A night whose read left the held
    records as they were keeps last night's files (a re-run on the same input writes no
    state); files neither committed last night nor written now (a crash's leftovers) are
    removed."""
    if read.same_as_held and kept:
        return kept
    files = {
        sobject: store.write(STATE_NAME, frame) for sobject, frame in read.records.frames.items()
    }
    previous = set((kept or {}).get("files", {}).values())
    store.prune(STATE_NAME, keep=previous | set(files.values()))
    return {"stamp": _plain(stamp), "files": files}


def _plain(stamp: dict) -> dict:
    """The stamp as it comes back from the warehouse's JSON state, for comparison."""
    return {k: str(v) for k, v in sorted(stamp.items())}
