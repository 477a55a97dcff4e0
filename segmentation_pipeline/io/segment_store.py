"""The warehouse tables of segment operations: `segment_history` (type 2),
`segment_transitions` (the review queue) and `segment_transition_decisions` (CS Ops'
approvals and rejections). History and queue change together in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.columns import member_of
from segmentation_pipeline.core.history import HISTORY_COLUMNS, HistoryChanges
from segmentation_pipeline.core.review_decisions import DECISION_KEY, new_decisions
from segmentation_pipeline.core.transitions import (
    DECISION_COLUMNS,
    PENDING,
    TRANSITION_COLUMNS,
    WITHDRAWN,
    PriorState,
    QueueUpdate,
    closing_transitions,
    empty_decisions,
    empty_published,
    empty_transitions,
    new_transition_ids,
    pending_preview,
    queue_changes,
    status_counts_after,
    utc_naive,
)
from segmentation_pipeline.io.warehouse import WarehouseWriter, batches

HISTORY_TABLE = "segment_history"
TRANSITIONS_TABLE = "segment_transitions"
DECISIONS_TABLE = "segment_transition_decisions"
_TIMES = {"valid_from", "valid_to", "opened_at", "closed_at", "decided_at"}
_FLAGS = {"provisional", "at_risk", "segment_override", "is_current"}
_NUMBERS = {"composite_score", "firmographic_score", "behavioral_score", "value_score"}
_KEYS = {"history_id", "transition_id"}
# The queue columns the gate reads (core.transitions.gate_transitions); direction,
# applied_by and decided_by for the moves applied earlier in the run's month.
GATE_READS = (
    "transition_id", "account_id", "from_segment", "to_segment", "direction", "status",
    "applied_by", "decided_by", "opened_at", "closed_at",
)  # fmt: skip


def _table(name: str, columns: tuple[str, ...], metadata: sa.MetaData) -> sa.Table:
    def column(c: str) -> sa.Column:
        kind = (
            sa.DateTime()
            if c in _TIMES
            else sa.Boolean()
            if c in _FLAGS
            else sa.Float()
            if c in _NUMBERS
            else sa.String(255)
            if c in _KEYS or c.endswith("_id") or c.endswith(("_tier", "_segment"))
            else sa.Text()
        )
        return sa.Column(c, kind, primary_key=c in _KEYS and c == columns[0])

    return sa.Table(name, metadata, *(column(c) for c in columns))


_METADATA = sa.MetaData()
HISTORY = _table(HISTORY_TABLE, HISTORY_COLUMNS, _METADATA)
TRANSITIONS = _table(TRANSITIONS_TABLE, TRANSITION_COLUMNS, _METADATA)
DECISIONS = _table(DECISIONS_TABLE, DECISION_COLUMNS, _METADATA)
sa.Index("ix_segment_history_current", HISTORY.c.account_id, HISTORY.c.is_current)
# `latest_activity` asks for the newest of these three moments every night: with an index
# each is a lookup at the end of it, not a scan of a million rows.
sa.Index("ix_segment_history_valid_from", HISTORY.c.valid_from)
# A re-run finds what the first run at its moment closed (`_Rewind`) by valid_to.
sa.Index("ix_segment_history_valid_to", HISTORY.c.valid_to)
sa.Index("ix_segment_transitions_opened_at", TRANSITIONS.c.opened_at)
sa.Index("ix_segment_transitions_closed_at", TRANSITIONS.c.closed_at)
# No index on is_current alone: nearly every row is open (a run closes ~1%), and SQLite
# reading 940k open rows through such an index took twice as long as a plain scan.


def _flags(values: pd.Series) -> pd.Series:
    """Flags as SQLAlchemy returns them (SQLite stores 0/1): bool, or objects with None."""
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values):
        return values
    if values.isna().any():
        flags = np.where(values.isna(), None, values.fillna(0).astype(bool)).astype(object)
        return pd.Series(flags, index=values.index, dtype=object)
    return values.astype(bool)


def _times(values: pd.Series) -> pd.Series:
    """Timestamps, parsed once per distinct value (a run writes few distinct moments)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if pd.api.types.is_datetime64_dtype(values.dtype) or not len(uniques):
        return pd.to_datetime(values)
    parsed = pd.to_datetime(pd.Series(uniques, dtype=object)).to_numpy()
    table = np.append(parsed, np.array(["NaT"], dtype=parsed.dtype))
    return pd.Series(table[codes], index=values.index)


def _as_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """Times to the microsecond, as the database holds them."""
    frame = frame.copy(deep=False)
    for column in _TIMES.intersection(frame.columns):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Flags and times of rows as read (SQLite hands back 0/1 and text), converted."""
    for column in _FLAGS.intersection(frame.columns):
        frame[column] = _flags(frame[column])
    for column in _TIMES.intersection(frame.columns):
        frame[column] = _times(frame[column])
    return frame


def _read_rows(
    conn: sa.Connection, table: sa.Table, where=None, columns: list[str] | None = None
) -> pd.DataFrame:
    names = list(dict.fromkeys(columns or [c.name for c in table.c]))
    query = sa.select(*(table.c[c] for c in names))
    query = query if where is None else query.where(where)
    # The driver's tuples, not a million Row objects: SQLite hands back times as text
    # and flags as 0/1, both converted column-wise below.
    result = conn.execute(query)
    rows = result.cursor.fetchall()
    result.close()
    return _typed(pd.DataFrame.from_records(rows, columns=names, coerce_float=True))


_LIVE_QUEUE = TRANSITIONS.c.status != WITHDRAWN  # the queue rows the gate reads


def _live_queue(conn: sa.Connection) -> pd.DataFrame:
    """The gate's columns of the queue rows that are not withdrawn, by transition id (the
    gate breaks ties between equal moments by row order, so the order is fixed)."""
    rows = _read_rows(conn, TRANSITIONS, _LIVE_QUEUE, list(GATE_READS))
    return rows.sort_values("transition_id", kind="stable", ignore_index=True)


@dataclass(frozen=True)
class _Rewind:
    """What the writes at or after a moment did to the queue and the history, so that a
    run at that moment reads the tables as they stood before it and replaces its own
    earlier effect instead of building on it (a re-run of a month changes nothing).

    Queue rows opened at or after the moment did not exist before it; rows opened before
    and closed at or after it were pending (closed rows never change otherwise). History
    rows opened at or after it did not exist; rows closed at or after it were open."""

    dropped_transitions: pd.Series  # ids
    reverted_transitions: pd.DataFrame  # TRANSITION_COLUMNS, as they stood: pending
    dropped_history: pd.Series  # history ids
    reopened_history: pd.DataFrame  # HISTORY_COLUMNS, as they stood: open

    @classmethod
    def read(cls, conn: sa.Connection, moment: pd.Timestamp) -> _Rewind:
        queue = _read_rows(
            conn,
            TRANSITIONS,
            sa.or_(TRANSITIONS.c.opened_at >= moment, TRANSITIONS.c.closed_at >= moment),
        )
        opened = (queue["opened_at"] >= moment).to_numpy(dtype=bool)
        reverted = queue[~opened].reindex(columns=list(TRANSITION_COLUMNS))
        reverted = reverted.assign(
            status=PENDING, applied_by=None, decided_by=None, closed_at=pd.NaT, closed_run_id=None
        )
        history = _read_rows(
            conn, HISTORY, sa.or_(HISTORY.c.valid_from >= moment, HISTORY.c.valid_to >= moment)
        )
        born = (history["valid_from"] >= moment).to_numpy(dtype=bool)
        reopened = history[~born].assign(valid_to=pd.NaT, is_current=True)
        return cls(
            queue.loc[opened, "transition_id"].astype(object).reset_index(drop=True),
            reverted.reset_index(drop=True),
            history.loc[born, "history_id"].astype(object).reset_index(drop=True),
            reopened.reindex(columns=list(HISTORY_COLUMNS)).reset_index(drop=True),
        )

    @property
    def empty(self) -> bool:
        return not (len(self.dropped_transitions) or len(self.reverted_transitions)) and not (
            len(self.dropped_history) or len(self.reopened_history)
        )

    @property
    def touched_transitions(self) -> pd.Series:
        ids = [self.dropped_transitions, self.reverted_transitions["transition_id"]]
        return pd.concat(ids, ignore_index=True).astype(object)

    def queue(self, stored: pd.DataFrame, wanted: pd.Series | None = None) -> pd.DataFrame:
        """Stored queue rows (some columns, with transition_id) as they stood: the rows
        opened since dropped, the rows closed since pending again (those of `wanted`
        ids only, when given), in transition id order."""
        stored = stored[~member_of(stored["transition_id"], self.touched_transitions)]
        back = self.reverted_transitions
        if wanted is not None:
            back = back[member_of(back["transition_id"], pd.Series(wanted, dtype=object))]
        if back.empty:
            return stored.reset_index(drop=True)
        rows = pd.concat([stored, back.reindex(columns=list(stored.columns))], ignore_index=True)
        return rows.sort_values("transition_id", kind="stable", ignore_index=True)

    def open_rows(self, stored: pd.DataFrame) -> pd.DataFrame:
        """Stored open history rows (some columns, with history_id) as they stood."""
        stored = stored[~member_of(stored["history_id"], self.dropped_history)]
        if self.reopened_history.empty:
            return stored.reset_index(drop=True)
        back = self.reopened_history.reindex(columns=list(stored.columns))
        return pd.concat([stored, back], ignore_index=True)

    def undo(self, conn: sa.Connection, moment: pd.Timestamp) -> None:
        """Put the rows back as they stood before `moment` (in the write's transaction)."""
        if self.empty:
            return
        conn.execute(TRANSITIONS.delete().where(TRANSITIONS.c.opened_at >= moment))
        reopen = dict(status=PENDING, applied_by=None, decided_by=None, closed_at=None)
        conn.execute(
            TRANSITIONS.update()
            .where(TRANSITIONS.c.closed_at >= moment)
            .values(**reopen, closed_run_id=None)
        )
        conn.execute(HISTORY.delete().where(HISTORY.c.valid_from >= moment))
        conn.execute(
            HISTORY.update()
            .where(HISTORY.c.valid_to >= moment)
            .values(valid_to=None, is_current=True)
        )


class SegmentStore:
    """Reads and writes the segment operations tables through one SQLAlchemy engine."""

    def __init__(self, engine: sa.Engine, as_of: datetime | None = None):
        """Given a run's `as_of`, every read gives the queue and the history as they
        stood before that moment, and `write` first undoes what an earlier run at that
        moment (or after it) wrote: a re-run of a month replaces its own effect instead
        of reading it back as the month before (`_Rewind`)."""
        self.engine = engine
        self.moment = None if as_of is None else utc_naive(as_of)
        self._rewind: _Rewind | None = None
        self._rewind_read = False
        self._tables_made = False

    def rewind(self) -> _Rewind | None:
        """What a write at or after this store's moment did (None without a moment, or
        when the tables record nothing that late: the usual night, one more read)."""
        if self.moment is None:
            return None
        if not self._rewind_read:
            latest = self.latest_activity()
            if latest is not None and pd.Timestamp(latest) >= self.moment:
                with self.engine.connect() as conn:
                    self._rewind = _Rewind.read(conn, self.moment)
            self._rewind_read = True
        return self._rewind

    def create_tables(self) -> None:
        """The tables, and any index a warehouse made by an earlier release lacks. Once
        per store: every read and write asks, and on PostgreSQL each asking is a score
        of catalog queries."""
        if self._tables_made:
            return
        with self.engine.begin() as conn:
            _METADATA.create_all(conn, checkfirst=True)
            for table in (HISTORY, TRANSITIONS):
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
        self._tables_made = True

    def _read(self, table: sa.Table, where=None, columns: list[str] | None = None) -> pd.DataFrame:
        self.create_tables()
        with self.engine.connect() as conn:
            return _read_rows(conn, table, where, columns)

    def history(self) -> pd.DataFrame:
        return self._read(HISTORY)

    def open_history(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The current version of every account (only `columns`, when given), read from
        the table itself: a row changed by hand in SQL is seen the next night."""
        names = list(dict.fromkeys(columns or HISTORY_COLUMNS))
        rewind = self.rewind()
        reads = names if rewind is None else list(dict.fromkeys(["history_id", *names]))
        rows = self._read(HISTORY, HISTORY.c.is_current.is_(True), reads)
        return rows if rewind is None else rewind.open_rows(rows)[names]

    def latest_activity(self) -> datetime | None:
        """The newest moment either table records: history only moves forward from it."""
        self.create_tables()
        with self.engine.connect() as conn:
            moments = conn.execute(
                sa.select(
                    sa.select(sa.func.max(HISTORY.c.valid_from)).scalar_subquery(),
                    sa.select(sa.func.max(HISTORY.c.valid_to)).scalar_subquery(),
                    sa.select(sa.func.max(TRANSITIONS.c.opened_at)).scalar_subquery(),
                    sa.select(sa.func.max(TRANSITIONS.c.closed_at)).scalar_subquery(),
                )
            ).one()
        found = [pd.Timestamp(m) for m in moments if m is not None]
        return max(found).to_pydatetime() if found else None

    def transitions(self) -> pd.DataFrame:
        frame = self._read(TRANSITIONS)
        return frame if len(frame) else empty_transitions()

    def pending_transition_ids(self) -> pd.Series:
        """The ids of the pending queue rows, in id order: all a quiet night needs to tell
        which rows close (`core.transitions.closing_transitions`)."""
        self.create_tables()
        with self.engine.connect() as conn:
            pending = TRANSITIONS.c.status == PENDING
            ids = _read_rows(conn, TRANSITIONS, pending, ["transition_id"])["transition_id"]
        ids = ids.sort_values(kind="stable", ignore_index=True)
        rewind = self.rewind()
        if rewind is not None:
            ids = rewind.queue(pd.DataFrame({"transition_id": ids}))["transition_id"]
        return ids.astype(object).reset_index(drop=True) if len(ids) else pd.Series(dtype=object)

    def transitions_by_id(self, ids: pd.Series, columns: list[str] | None = None) -> pd.DataFrame:
        """The stored rows of these ids (in no particular order), by primary key, a chunk
        of ids per query."""
        keys = pd.Series(ids, dtype=object).dropna().drop_duplicates().tolist()
        names = columns or list(TRANSITION_COLUMNS)
        rewind = self.rewind()
        if rewind is not None:
            reads = list(dict.fromkeys(["transition_id", *names]))
            return rewind.queue(self._stored_by_id(keys, reads), pd.Series(keys))[names]
        return self._stored_by_id(keys, names)

    def _stored_by_id(self, keys: list, names: list[str]) -> pd.DataFrame:
        parts = [
            self._read(TRANSITIONS, TRANSITIONS.c.transition_id.in_(chunk), names)
            for chunk in batches(keys)
        ]
        parts = [p for p in parts if len(p)]
        if not parts:
            return empty_transitions().reindex(columns=names)
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def transition_status_counts(self) -> dict[str, int]:
        """Queue rows per status, counted by the database."""
        self.create_tables()
        query = sa.select(TRANSITIONS.c.status, sa.func.count()).group_by(TRANSITIONS.c.status)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        counts = {status: int(count) for status, count in rows if status is not None}
        rewind = self.rewind()
        if rewind is None:
            return counts
        touched = self._stored_by_id(rewind.touched_transitions.tolist(), ["status"])["status"]
        for status, count in touched.value_counts().items():
            counts[status] -= int(count)
        counts[PENDING] = counts.get(PENDING, 0) + len(rewind.reverted_transitions)
        return {status: count for status, count in counts.items() if count}

    def queue_update(
        self, assignments: pd.DataFrame, as_of: datetime, run_id: str, preview_rows: int = 10
    ) -> QueueUpdate:
        """What `update_queue` on the whole queue gives, reading only the pending rows'
        ids, the counts by status, and in full only the rows that close (plus the few
        the preview shows); tonight's new ids are looked up by primary key."""
        pending_ids = self.pending_transition_ids()
        closing_ids = closing_transitions(pending_ids, assignments)
        closing = self.transitions_by_id(closing_ids)
        found = self.transitions_by_id(
            new_transition_ids(assignments, pending_ids), ["transition_id"]
        )["transition_id"]
        before = self.transition_status_counts()
        stored_ids = pd.concat([pending_ids, found.astype(object)], ignore_index=True)
        changed = queue_changes(closing, stored_ids, assignments, as_of, run_id)
        staying_ids = pending_ids[~member_of(pending_ids, closing_ids)].head(preview_rows)
        staying = self.transitions_by_id(staying_ids)
        order = pd.Index(staying["transition_id"]).get_indexer(staying_ids.to_numpy())
        staying = staying.take(order[order >= 0]).reset_index(drop=True)
        return QueueUpdate(
            changed=changed,
            row_count=sum(before.values()) + len(changed) - len(closing),
            status_counts=status_counts_after(before, closing, changed),
            pending_preview=pending_preview(staying, changed, preview_rows),
        )

    def decisions(self) -> pd.DataFrame:
        frame = self._read(DECISIONS)
        return frame if len(frame) else empty_decisions()

    def prior_state(
        self, published: bool = True, framework_version: str | None = None
    ) -> PriorState:
        """What the queue gate needs: the queue rows that can still matter (not the
        withdrawn ones) and their columns the gate reads, by transition id; the
        decisions; the open history rows of the accounts that have a provisional one;
        and, unless `published` is off (every account has a CRM tier), the tiers last
        published (`published_tiers`, as seen by a run of `framework_version`)."""
        self.create_tables()
        with self.engine.connect() as conn:
            queue = _live_queue(conn)
        rewind = self.rewind()
        if rewind is not None:
            queue = rewind.queue(queue)
        queue = queue.reindex(columns=list(TRANSITION_COLUMNS))
        # Only the open rows of accounts with a provisional one: the gate asks of each
        # account only whether its latest open row is provisional.
        current = HISTORY.c.is_current.is_(True)
        provisional = sa.select(HISTORY.c.account_id).where(
            current, HISTORY.c.status == "provisional"
        )
        history = self._read(
            HISTORY,
            sa.and_(current, HISTORY.c.account_id.in_(provisional)),
            ["history_id", "account_id", "status"],
        )
        if rewind is not None:
            history = rewind.open_rows(history)
            was_provisional = history.loc[history["status"].eq("provisional"), "account_id"]
            history = history[member_of(history["account_id"], was_provisional)]
        history = history[["account_id", "status"]].reset_index(drop=True)
        return PriorState(
            queue if len(queue) else empty_transitions(),
            self.decisions(),
            history,
            self.published_tiers(framework_version) if published else empty_published(),
        )

    def published_tiers(self, framework_version: str | None = None) -> pd.DataFrame:
        """account_id and segment of every open history row: the tier the pipeline last
        published, which the gate takes as current where the CRM shows none.

        A re-run at a moment reads the rows as they stood before it, so the moment's own
        rows are not current: it replaces them. A re-score with another framework
        (`framework_version` differs from the row's) does not: the tier the month first
        published under the old version stays current for those accounts, so the new
        version's move is reviewed like in every later month, not applied at once."""
        rewind = self.rewind()
        reads = (
            ["account_id", "segment"] if rewind is None else ["history_id", "account_id", "segment"]
        )
        rows = self._read(HISTORY, HISTORY.c.is_current.is_(True), reads)
        if rewind is None:
            return rows[["account_id", "segment"]].reset_index(drop=True)
        rows = rewind.open_rows(rows)[["account_id", "segment"]]
        if framework_version is None:
            return rows.reset_index(drop=True)
        first = self._read(
            HISTORY,
            sa.and_(
                HISTORY.c.valid_from == self.moment.to_pydatetime(),
                HISTORY.c.framework_version != framework_version,
            ),
            ["account_id", "segment"],
        )
        first = first[~member_of(first["account_id"], rows["account_id"])]
        return pd.concat([rows, first.drop_duplicates("account_id")], ignore_index=True)

    def record_decision(
        self,
        account_id: str,
        decision: str,
        decided_by: str,
        to_segment: str | None = None,
        note: str | None = None,
        decided_at: datetime | None = None,
    ) -> None:
        """CS Ops approves or rejects an account's open transition."""
        if decision not in ("approved", "rejected"):
            raise ValueError(f"decision must be 'approved' or 'rejected', got {decision!r}")
        moment = decided_at or datetime.now(UTC)
        if moment.tzinfo:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        self.create_tables()
        with self.engine.begin() as conn:
            conn.execute(
                DECISIONS.insert(),
                {
                    "account_id": account_id,
                    "to_segment": to_segment,
                    "decision": decision,
                    "decided_by": decided_by,
                    "decided_at": moment,
                    "note": note,
                },
            )

    def record_decisions(self, decisions: pd.DataFrame) -> pd.DataFrame:
        """Store the decisions (DECISION_COLUMNS, as `core.review_decisions` makes them)
        that no stored row already holds; returns those it stored. A CRM record read
        again the next night is not a second decision."""
        self.create_tables()
        with self.engine.begin() as conn:
            stored = _read_rows(conn, DECISIONS, None, list(DECISION_KEY))
            fresh = new_decisions(decisions, stored)
            if len(fresh):
                WarehouseWriter(conn).insert(DECISIONS, _as_stored(fresh))
        return fresh

    def write(
        self,
        history: HistoryChanges,
        transitions: pd.DataFrame,
    ) -> None:
        """Close and open history rows and upsert changed queue rows, all or nothing.

        Rows go through the warehouse's bulk path (one prepared executemany on SQLite,
        COPY on PostgreSQL); rows to close or replace are matched through a staged
        temporary table of their ids, one statement each, not one per row."""
        self.create_tables()
        rewind = self.rewind()
        with self.engine.begin() as conn:
            if rewind is not None:
                rewind.undo(conn, self.moment)
            writer = WarehouseWriter(conn)
            if len(history.closed):
                closed = history.closed[["history_id", "valid_to"]]
                stage = _stage(writer, "_closing_history", closed, HISTORY)
                conn.execute(
                    HISTORY.update()
                    .where(HISTORY.c.history_id.in_(sa.select(stage.c.history_id)))
                    .values(
                        valid_to=sa.select(stage.c.valid_to)
                        .where(stage.c.history_id == HISTORY.c.history_id)
                        .limit(1)
                        .scalar_subquery(),
                        is_current=False,
                    )
                )
                stage.drop(conn)
            if len(history.opened):
                # In key order, so the primary key index grows at its end.
                opened = history.opened.sort_values("history_id", kind="stable")
                writer.insert(HISTORY, opened.reindex(columns=list(HISTORY_COLUMNS)))
            if len(transitions):
                # Replace the stored rows of these ids (none to match in an empty queue).
                if conn.execute(sa.select(TRANSITIONS.c.transition_id).limit(1)).first():
                    ids = transitions[["transition_id"]]
                    stage = _stage(writer, "_changed_transitions", ids, TRANSITIONS)
                    conn.execute(
                        TRANSITIONS.delete().where(
                            TRANSITIONS.c.transition_id.in_(sa.select(stage.c.transition_id))
                        )
                    )
                    stage.drop(conn)
                rows = transitions.sort_values("transition_id", kind="stable")
                writer.insert(TRANSITIONS, rows.reindex(columns=list(TRANSITION_COLUMNS)))
        self._rewind, self._rewind_read = None, False  # the tables moved on


def _stage(writer: WarehouseWriter, name: str, rows: pd.DataFrame, like: sa.Table) -> sa.Table:
    """A temporary table holding `rows` (typed like the columns of `like`), indexed on
    its first column, for set-based updates and deletes within the transaction."""
    stage = sa.Table(
        name,
        sa.MetaData(),
        *[sa.Column(c, like.c[c].type) for c in rows.columns],
        prefixes=["TEMPORARY"],
    )
    # A write that failed on this connection may have left its stage behind.
    stage.drop(writer.conn, checkfirst=True)
    stage.create(writer.conn)
    writer.insert(stage, rows)
    first = rows.columns[0]
    writer.conn.execute(sa.text(f"CREATE INDEX ix{name}_{first} ON {name} ({first})"))
    return stage
