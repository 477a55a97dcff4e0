"""The notification_events table: each event once, at-risk episodes open and end."""

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.notifications import EVENT_COLUMNS
from segmentation_pipeline.io.notification_store import EVENTS, NotificationStore

NIGHT_1, NIGHT_2 = datetime(2026, 12, 3, 2), datetime(2026, 12, 4, 2)


def events(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    """(event_key, kind, account_id, arr)"""
    frame = pd.DataFrame([dict.fromkeys(EVENT_COLUMNS) for _ in rows])
    for i, column in enumerate(("event_key", "kind", "account_id", "arr")):
        frame[column] = [r[i] for r in rows]
    return frame.assign(owner_id="005U1", owner="005U1", account_name="Acme", detail="d")


def test_an_event_is_recorded_once_and_digested_once(sqlite_url):
    store = NotificationStore(sa.create_engine(sqlite_url))
    night = events(("at_risk|D|2026-12-03", "at_risk", "D", 80_000.0),
                   ("renewal|E|2026-12-20", "renewal", "E", 5_000.0))  # fmt: skip
    assert len(store.record(night, NIGHT_1)) == 2
    assert store.record(night, NIGHT_2).empty
    assert store.undigested()["event_key"].tolist() == [
        "at_risk|D|2026-12-03",
        "renewal|E|2026-12-20",
    ]
    store.mark_digested(["at_risk|D|2026-12-03", "renewal|E|2026-12-20"], NIGHT_1)
    assert store.undigested().empty


def test_at_risk_episodes_and_the_revops_floor(sqlite_url):
    store = NotificationStore(sa.create_engine(sqlite_url))
    store.record(events(("at_risk|D|2026-12-03", "at_risk", "D", 80_000.0),
                        ("at_risk|F|2026-12-03", "at_risk", "F", 10_000.0)), NIGHT_1)  # fmt: skip
    assert store.open_at_risk() == {"D", "F"}
    assert store.unalerted_at_risk(50_000)["account_id"].tolist() == ["D"]
    store.mark_alerted(["at_risk|D|2026-12-03"], NIGHT_1)
    assert store.unalerted_at_risk(50_000).empty
    store.end_at_risk(["F"], NIGHT_2)
    assert store.open_at_risk() == {"D"}


def test_the_store_indexes_an_events_table_an_earlier_release_made(warehouse_url):
    engine = sa.create_engine(warehouse_url)
    with engine.begin() as conn:  # the table as it was made before its indexes
        columns = (sa.Column(c.name, c.type, primary_key=c.primary_key) for c in EVENTS.c)
        sa.Table("notification_events", sa.MetaData(), *columns).create(conn)
    store = NotificationStore(engine)
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("notification_events")}
    assert {"ix_notification_events_kind", "ix_notification_events_undigested"} <= indexes
    store.record(events(("renewal|E|2026-12-20", "renewal", "E", 5_000.0)), NIGHT_1)
    assert store.undigested()["event_key"].tolist() == ["renewal|E|2026-12-20"]
