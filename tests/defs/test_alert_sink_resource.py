"""The alerts resource: stored first, delivered to every sink, retried after a failure."""

import logging

import dagster as dg
from small_crm import WEBHOOK_PATH

from segmentation_pipeline.defs.alerts import AlertSinkResource, alert_sink_from_env
from segmentation_pipeline.defs.resources import WarehouseResource
from segmentation_pipeline.io.alerts import Alert

ALERT = Alert(
    "drift:2025-02-01:alert", "drift", "critical", "Drift", "tier PSI 0.93", {"psi": 0.93}
)


def test_a_delivery_that_fails_is_kept_and_retried_on_the_next_dispatch(
    webhook_server, sqlite_url, caplog
):
    url = webhook_server.url(WEBHOOK_PATH)
    alerts = AlertSinkResource(warehouse=WarehouseResource(url=sqlite_url), webhook_url=url)
    webhook_server.fail_next(1, 500)

    with caplog.at_level(logging.WARNING):
        first = alerts.dispatch([ALERT])
    assert [a.key for a in first.new] == [ALERT.key]
    assert first.failed == [(ALERT.key, "webhook", "webhook: HTTP 500")]
    assert ("drift:2025-02-01:alert", "log") in first.delivered
    assert webhook_server.received == []

    second = alerts.dispatch([ALERT])  # the sensor sees the same condition again
    assert second.new == []
    assert second.delivered == [(ALERT.key, "webhook")]
    assert [r.json()["key"] for r in webhook_server.received] == [ALERT.key]

    assert alerts.dispatch([ALERT]).delivered == []
    stored = alerts.store().deliveries().set_index("sink")
    assert stored.loc["webhook", "attempts"] == 2
    assert "governance-secret-token" not in caplog.text
    assert "governance-secret-token" not in stored.to_string()


def test_channels_are_switched_on_by_their_environment_variables(monkeypatch, sqlite_url):
    monkeypatch.setenv("SEGMENTATION_ALERT_WEBHOOK_URL", "https://hooks.example.com/T/secret")
    monkeypatch.setenv("SEGMENTATION_ALERT_EMAIL_TO", "a@example.com, b@example.com")
    resource = alert_sink_from_env(WarehouseResource(url=sqlite_url))
    assert resource.email_to == ["a@example.com", "b@example.com"]
    assert resource.slack_webhook_url == ""
    # The definitions carry the variable's name; Dagster reads the value at run time.
    assert isinstance(resource.webhook_url, dg.EnvVar)
    assert resource.webhook_url == "SEGMENTATION_ALERT_WEBHOOK_URL"
    assert [s.name for s in resource.sinks()] == ["log", "webhook"]
