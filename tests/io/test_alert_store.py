"""The alerts table: one row per alert key, deliveries tracked per sink."""

import sqlalchemy as sa

from segmentation_pipeline.io.alert_store import AlertStore
from segmentation_pipeline.io.alerts import Alert


def alert(key: str) -> Alert:
    return Alert(key, "drift", "warning", f"title {key}", "text", {"psi": 0.3})


def test_an_alert_key_is_recorded_once(sqlite_url):
    store = AlertStore(sa.create_engine(sqlite_url))
    assert [a.key for a in store.record([alert("a"), alert("b"), alert("a")], ["log"])] == [
        "a",
        "b",
    ]
    assert store.record([alert("a")], ["log"]) == []
    assert store.alerts()["alert_key"].tolist() == ["a", "b"]
    assert store.alerts()["details"].tolist() == ['{"psi": 0.3}'] * 2


def test_failed_deliveries_stay_undelivered_until_marked_delivered(sqlite_url):
    store = AlertStore(sa.create_engine(sqlite_url))
    store.record([alert("a")], ["log", "slack"])
    assert [(a.key, s) for a, s in store.undelivered(["log", "slack"])] == [
        ("a", "log"),
        ("a", "slack"),
    ]
    store.mark("a", "log", None)
    store.mark("a", "slack", "slack: HTTP 500")
    assert [(a.key, s) for a, s in store.undelivered(["log", "slack"])] == [("a", "slack")]
    store.mark("a", "slack", None)
    assert store.undelivered(["log", "slack"]) == []
    slack = store.deliveries().set_index("sink").loc["slack"]
    assert (slack["status"], slack["attempts"], slack["last_error"]) == ("delivered", 2, None)
