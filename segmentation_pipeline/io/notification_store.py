"""The warehouse's `notification_events` table: every event an owner was told of (or is
about to be), by its once-only key, with when it went into a digest and when RevOps
was alerted; at-risk rows also say when their episode ended.

An event is recorded before any digest goes out; a digest whose delivery fails is
retried by the alert store (`io.alert_store`), not made again."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.columns import member_of
from segmentation_pipeline.core.notifications import AT_RISK, EVENT_COLUMNS, empty_events
from segmentation_pipeline.core.transitions import utc_naive
from segmentation_pipeline.io.warehouse import WarehouseWriter, batches, stored_keys

_METADATA = sa.MetaData()
EVENTS = sa.Table(
    "notification_events",
    _METADATA,
    sa.Column("event_key", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("account_id", sa.String(255), nullable=False),
    sa.Column("account_name", sa.Text),
    sa.Column("owner_id", sa.String(255)),
    sa.Column("owner", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("arr", sa.Float),
    sa.Column("noticed_at", sa.DateTime, nullable=False),
    sa.Column("digested_at", sa.DateTime),
    sa.Column("alerted_at", sa.DateTime),
    sa.Column("ended_at", sa.DateTime),
)

# Each night and each sensor tick asks for the few undigested events and the few at-risk
# rows; without these, each question scans every event ever recorded (1 s at 600k).
UNDIGESTED = EVENTS.c.digested_at.is_(None)
sa.Index("ix_notification_events_kind", EVENTS.c.kind)
sa.Index(
    "ix_notification_events_undigested",
    EVENTS.c.digested_at,
    sqlite_where=UNDIGESTED,
    postgresql_where=UNDIGESTED,
)


class NotificationStore:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        with engine.begin() as conn:
            _METADATA.create_all(conn, checkfirst=True)
            for index in EVENTS.indexes:  # a table made by an earlier release lacks them
                index.create(conn, checkfirst=True)

    def open_at_risk(self) -> set[str]:
        """Accounts whose at-risk episode was told and has not ended."""
        query = sa.select(EVENTS.c.account_id).where(
            EVENTS.c.kind == AT_RISK, EVENTS.c.ended_at.is_(None)
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def record(self, events: pd.DataFrame, at: datetime) -> pd.DataFrame:
        """Store the events whose key is not stored yet; returns those."""
        keys = events["event_key"].drop_duplicates().tolist()
        with self.engine.begin() as conn:
            known = stored_keys(conn, EVENTS.c.event_key, keys)
            stored = member_of(events["event_key"], pd.Series(sorted(known), dtype=str))
            fresh = events[~stored.to_numpy()].drop_duplicates("event_key")
            rows = fresh.reindex(columns=list(EVENT_COLUMNS)).assign(noticed_at=utc_naive(at))
            WarehouseWriter(conn).insert(EVENTS, rows)
        return fresh.reset_index(drop=True)

    def end_at_risk(self, account_ids: list[str], at: datetime) -> None:
        if not account_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                EVENTS.update()
                .where(
                    EVENTS.c.kind == AT_RISK,
                    EVENTS.c.ended_at.is_(None),
                    EVENTS.c.account_id.in_(account_ids),
                )
                .values(ended_at=utc_naive(at))
            )

    def _events(self, where) -> pd.DataFrame:
        query = sa.select(*(EVENTS.c[c] for c in EVENT_COLUMNS)).where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(EVENTS.c.event_key)).all()
        if not rows:
            return empty_events()
        return pd.DataFrame([tuple(r) for r in rows], columns=list(EVENT_COLUMNS))

    def undigested(self) -> pd.DataFrame:
        """Events recorded but not yet put in a digest."""
        return self._events(UNDIGESTED)

    def unalerted_at_risk(self, arr_floor: float) -> pd.DataFrame:
        """New at-risk events at or above the ARR floor that RevOps was not alerted of."""
        return self._events(
            sa.and_(
                EVENTS.c.kind == AT_RISK, EVENTS.c.alerted_at.is_(None), EVENTS.c.arr >= arr_floor
            )
        )

    def _mark(self, column: str, keys: list[str], at: datetime) -> None:
        with self.engine.begin() as conn:
            for chunk in batches(keys):
                conn.execute(
                    EVENTS.update()
                    .where(EVENTS.c.event_key.in_(chunk))
                    .values({column: utc_naive(at)})
                )

    def mark_digested(self, keys: list[str], at: datetime) -> None:
        self._mark("digested_at", keys, at)

    def mark_alerted(self, keys: list[str], at: datetime) -> None:
        self._mark("alerted_at", keys, at)

    def events(self) -> pd.DataFrame:
        """Every row, all columns (for reports and tests)."""
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(EVENTS).order_by(EVENTS.c.event_key), conn)
