"""The warehouse tables of segment operations: `segment_history` (type 2),
`segment_transitions` (the review queue) and `segment_transition_decisions` (CS Ops'
approvals and rejections). History and queue change together in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.history import HISTORY_COLUMNS, HistoryChanges
from segmentation_pipeline.core.transitions import (
    DECISION_COLUMNS,
    TRANSITION_COLUMNS,
    PriorState,
    empty_decisions,
    empty_transitions,
)

HISTORY_TABLE = "segment_history"
TRANSITIONS_TABLE = "segment_transitions"
DECISIONS_TABLE = "segment_transition_decisions"
_TIMES = {"valid_from", "valid_to", "opened_at", "closed_at", "decided_at"}
_FLAGS = {"provisional", "at_risk", "segment_override", "is_current"}
_NUMBERS = {"composite_score", "firmographic_score", "behavioral_score", "value_score"}
_KEYS = {"history_id", "transition_id"}


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


def _records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict]:
    """Rows as plain Python values (None for missing, datetimes for times)."""
    frame = frame.reindex(columns=list(columns)).astype(object)
    frame = frame.where(frame.notna(), None)
    records = frame.to_dict("records")
    for record in records:
        for key in _TIMES.intersection(record):
            if record[key] is not None:
                record[key] = pd.Timestamp(record[key]).to_pydatetime()
    return records


class SegmentStore:
    """Reads and writes the segment operations tables through one SQLAlchemy engine."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def create_tables(self) -> None:
        _METADATA.create_all(self.engine, checkfirst=True)

    def _read(self, table: sa.Table, where=None, columns: list[str] | None = None) -> pd.DataFrame:
        self.create_tables()
        query = sa.select(*(table.c[c] for c in columns)) if columns else sa.select(table)
        query = query if where is None else query.where(where)
        with self.engine.connect() as conn:
            frame = pd.read_sql(query, conn)
        for column in _TIMES.intersection(frame.columns):
            frame[column] = pd.to_datetime(frame[column])
        return frame

    def history(self) -> pd.DataFrame:
        return self._read(HISTORY)

    def open_history(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The current version of every account (only `columns`, when given)."""
        return self._read(HISTORY, HISTORY.c.is_current.is_(True), columns)

    def latest_activity(self) -> datetime | None:
        """The newest moment either table records: history only moves forward from it."""
        self.create_tables()
        with self.engine.connect() as conn:
            moments = conn.execute(
                sa.select(
                    sa.select(sa.func.max(HISTORY.c.valid_from)).scalar_subquery(),
                    sa.select(sa.func.max(TRANSITIONS.c.opened_at)).scalar_subquery(),
                    sa.select(sa.func.max(TRANSITIONS.c.closed_at)).scalar_subquery(),
                )
            ).one()
        found = [pd.Timestamp(m) for m in moments if m is not None]
        return max(found).to_pydatetime() if found else None

    def transitions(self) -> pd.DataFrame:
        frame = self._read(TRANSITIONS)
        return frame if len(frame) else empty_transitions()

    def decisions(self) -> pd.DataFrame:
        frame = self._read(DECISIONS)
        return frame if len(frame) else empty_decisions()

    def prior_state(self) -> PriorState:
        """What the queue gate needs: the queue, the decisions, the open history."""
        return PriorState(
            self.transitions(), self.decisions(), self.open_history(["account_id", "status"])
        )

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

    def write(self, history: HistoryChanges, transitions: pd.DataFrame) -> None:
        """Close and open history rows and upsert changed queue rows, all or nothing."""
        self.create_tables()
        with self.engine.begin() as conn:
            if len(history.closed):
                conn.execute(
                    HISTORY.update()
                    .where(HISTORY.c.history_id == sa.bindparam("closing_id"))
                    .values(valid_to=sa.bindparam("ends"), is_current=False),
                    [
                        {"closing_id": r["history_id"], "ends": r["valid_to"]}
                        for r in _records(history.closed, ("history_id", "valid_to"))
                    ],
                )
            if len(history.opened):
                conn.execute(HISTORY.insert(), _records(history.opened, HISTORY_COLUMNS))
            if len(transitions):
                ids = transitions["transition_id"].tolist()
                for start in range(0, len(ids), 1000):
                    conn.execute(
                        TRANSITIONS.delete().where(
                            TRANSITIONS.c.transition_id.in_(ids[start : start + 1000])
                        )
                    )
                conn.execute(TRANSITIONS.insert(), _records(transitions, TRANSITION_COLUMNS))
