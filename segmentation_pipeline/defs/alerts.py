"""The alert sink resource: the log and the warehouse always, Slack / webhook / e-mail when
configured. Secrets come from the environment through `EnvVar`, so neither the UI nor the
run config ever shows them."""

import logging
import os
from dataclasses import dataclass

import dagster as dg
from pydantic import SecretStr

from segmentation_pipeline.defs.resources import WarehouseResource
from segmentation_pipeline.io.alert_store import AlertStore
from segmentation_pipeline.io.alerts import (
    Alert,
    AlertDeliveryError,
    AlertSink,
    JsonWebhookSink,
    LogSink,
    SlackWebhookSink,
    SmtpEmailSink,
)

ENV = {
    "slack_webhook_url": "SEGMENTATION_ALERT_SLACK_WEBHOOK_URL",
    "webhook_url": "SEGMENTATION_ALERT_WEBHOOK_URL",
    "smtp_host": "SEGMENTATION_ALERT_SMTP_HOST",
    "smtp_username": "SEGMENTATION_ALERT_SMTP_USERNAME",
    "smtp_password": "SEGMENTATION_ALERT_SMTP_PASSWORD",
    "email_from": "SEGMENTATION_ALERT_EMAIL_FROM",
}
ALERT_URLS = (ENV["slack_webhook_url"], ENV["webhook_url"])
PORT_ENV = "SEGMENTATION_ALERT_SMTP_PORT"
RECIPIENTS_ENV = "SEGMENTATION_ALERT_EMAIL_TO"


@dataclass(frozen=True)
class DispatchReport:
    new: list[Alert]
    delivered: list[tuple[str, str]]  # (alert key, sink)
    failed: list[tuple[str, str, str]]  # (alert key, sink, error)

    def failed_by_sink(self) -> dict[tuple[str, str], list[str]]:
        """(sink, error) -> the keys of the alerts that failed so."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for key, sink, error in self.failed:
            grouped.setdefault((sink, error), []).append(key)
        return grouped


class AlertSinkResource(dg.ConfigurableResource):
    """Raise alerts: stored in the warehouse `alerts` table, then sent to every sink.
    Deliveries that fail stay pending and are retried by the next call (the next tick)."""

    warehouse: WarehouseResource
    slack_webhook_url: str = ""
    webhook_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    email_from: str = ""
    email_to: list[str] = []
    timeout_seconds: float = 10.0

    def sinks(
        self, logger: logging.Logger | logging.LoggerAdapter | None = None
    ) -> list[AlertSink]:
        found: list[AlertSink] = [LogSink(logger or logging.getLogger("segmentation.alerts"))]
        if self.slack_webhook_url:
            found.append(SlackWebhookSink(SecretStr(self.slack_webhook_url), self.timeout_seconds))
        if self.webhook_url:
            found.append(JsonWebhookSink(SecretStr(self.webhook_url), self.timeout_seconds))
        if self.smtp_host:
            found.append(
                SmtpEmailSink(
                    host=self.smtp_host,
                    port=self.smtp_port,
                    sender=self.email_from,
                    recipients=tuple(self.email_to),
                    username=self.smtp_username,
                    password=SecretStr(self.smtp_password),
                    starttls=self.smtp_starttls,
                    timeout=self.timeout_seconds,
                )
            )
        return found

    def store(self) -> AlertStore:
        return AlertStore(self.warehouse.client().engine)

    def open_conditions(self) -> dict[str, str]:
        """The watched conditions alerted and still open; reads only (safe in a preview)."""
        return AlertStore(self.warehouse.client().engine, create=False).open_conditions()

    def dispatch(
        self,
        alerts: list[Alert],
        logger: logging.Logger | logging.LoggerAdapter | None = None,
        conditions: dict[str, str | None] | None = None,
    ) -> DispatchReport:
        """Record new alerts and the watched conditions they open or clear, then try every
        undelivered (alert, sink) pair, old ones first."""
        sinks = {s.name: s for s in self.sinks(logger)}
        store = self.store()
        new = store.record(alerts, list(sinks))
        store.set_conditions(conditions or {})
        delivered, failed = [], []
        for alert, sink_name in store.undelivered(list(sinks)):
            try:
                sinks[sink_name].send(alert)
            except AlertDeliveryError as exc:
                store.mark(alert.key, sink_name, str(exc))
                failed.append((alert.key, sink_name, str(exc)))
            else:
                store.mark(alert.key, sink_name, None)
                delivered.append((alert.key, sink_name))
        return DispatchReport(new, delivered, failed)


def alert_sink_from_env(warehouse: WarehouseResource) -> AlertSinkResource:
    """Each channel is on when its environment variable is set; secrets stay `EnvVar`s."""
    values = {field: dg.EnvVar(name) for field, name in ENV.items() if os.environ.get(name)}
    if os.environ.get(PORT_ENV):
        values["smtp_port"] = dg.EnvVar.int(PORT_ENV)
    recipients = os.environ.get(RECIPIENTS_ENV, "")
    values["email_to"] = [r.strip() for r in recipients.split(",") if r.strip()]
    return AlertSinkResource(warehouse=warehouse, **values)
