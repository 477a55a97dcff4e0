"""The warehouse's `alerts` and `alert_deliveries` tables.

Every alert is written here before any sink is tried, so an alert raised while Slack or
the mail server is down is not lost: its delivery rows stay `failed` and the next sensor
tick tries them again. The alert key is the primary key, which is what makes an alert
fire once however many ticks see the same condition. `alert_conditions` holds what is wrong
right now with each watched subject (a check), so a condition that stays the same night
after night, month after month, is alerted once, whoever evaluates it (a sensor or the
command line).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.alerts import Alert
from segmentation_pipeline.io.warehouse import stored_keys

_METADATA = sa.MetaData()

ALERTS = sa.Table(
    "alerts",
    _METADATA,
    sa.Column("alert_key", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

DELIVERIES = sa.Table(
    "alert_deliveries",
    _METADATA,
    sa.Column("alert_key", sa.String(300), primary_key=True),
    sa.Column("sink", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_attempt_at", sa.String(40)),
    sa.Column("last_error", sa.String(300)),
)


CONDITIONS = sa.Table(
    "alert_conditions",
    _METADATA,
    sa.Column("subject", sa.String(300), primary_key=True),
    sa.Column("condition", sa.String(500), nullable=False),
    sa.Column("since", sa.String(40), nullable=False),
)


def create_alert_tables(engine: sa.Engine) -> None:
    """The alert tables, created with the warehouse so they exist before any alert."""
    _METADATA.create_all(engine, checkfirst=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _alert(row) -> Alert:
    return Alert(
        key=row.alert_key,
        kind=row.kind,
        severity=row.severity,
        title=row.title,
        text=row.text,
        details=json.loads(row.details),
        created_at=row.created_at,
    )


class AlertStore:
    def __init__(self, engine: sa.Engine, create: bool = True):
        """`create=False` for readers that must not write (a sensor preview)."""
        self.engine = engine
        if create:
            create_alert_tables(engine)

    def record(self, alerts: list[Alert], sinks: list[str]) -> list[Alert]:
        """Store the alerts not seen before, each with a pending delivery per sink;
        returns the new ones."""
        if not alerts:
            return []
        unique = list({a.key: a for a in alerts}.values())
        with self.engine.connect() as conn:
            known = stored_keys(conn, ALERTS.c.alert_key, [a.key for a in unique])
        new = [a for a in unique if a.key not in known]
        if not new:
            return []
        with self.engine.begin() as conn:
            conn.execute(
                ALERTS.insert(),
                [
                    {
                        "alert_key": a.key,
                        "kind": a.kind,
                        "severity": a.severity,
                        "title": a.title[:500],
                        "text": a.text,
                        "details": json.dumps(a.details, default=str, sort_keys=True),
                        "created_at": a.created_at,
                    }
                    for a in new
                ],
            )
            conn.execute(
                DELIVERIES.insert(),
                [
                    {"alert_key": a.key, "sink": s, "status": "pending", "attempts": 0}
                    for a in new
                    for s in sinks
                ],
            )
        return new

    def undelivered(self, sinks: list[str]) -> list[tuple[Alert, str]]:
        """(alert, sink) pairs still to deliver, oldest first."""
        query = (
            sa.select(ALERTS, DELIVERIES.c.sink)
            .join(DELIVERIES, DELIVERIES.c.alert_key == ALERTS.c.alert_key)
            .where(DELIVERIES.c.status != "delivered", DELIVERIES.c.sink.in_(sinks))
            .order_by(ALERTS.c.created_at, ALERTS.c.alert_key, DELIVERIES.c.sink)
        )
        with self.engine.connect() as conn:
            return [(_alert(row), row.sink) for row in conn.execute(query)]

    def mark(self, alert_key: str, sink: str, error: str | None) -> None:
        values = {
            "status": "failed" if error else "delivered",
            "attempts": DELIVERIES.c.attempts + 1,
            "last_attempt_at": _now(),
            "last_error": error[:300] if error else None,
        }
        with self.engine.begin() as conn:
            conn.execute(
                DELIVERIES.update()
                .where(DELIVERIES.c.alert_key == alert_key, DELIVERIES.c.sink == sink)
                .values(**values)
            )

    def open_conditions(self) -> dict[str, str]:
        """What is wrong now with each subject that has an open condition."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(CONDITIONS.name):
                return {}
            rows = conn.execute(sa.select(CONDITIONS.c.subject, CONDITIONS.c.condition))
            return {subject: condition for subject, condition in rows}

    def set_conditions(self, changed: dict[str, str | None]) -> None:
        """Open or change the given subjects' conditions; `None` clears one."""
        if not changed:
            return
        opened = [
            {"subject": s, "condition": c[:500], "since": _now()}
            for s, c in changed.items()
            if c is not None
        ]
        with self.engine.begin() as conn:
            conn.execute(CONDITIONS.delete().where(CONDITIONS.c.subject.in_(list(changed))))
            if opened:
                conn.execute(CONDITIONS.insert(), opened)

    def alerts(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(ALERTS).order_by(ALERTS.c.created_at), conn)

    def deliveries(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(DELIVERIES).order_by(DELIVERIES.c.alert_key), conn)
