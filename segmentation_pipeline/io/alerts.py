"""Alert sinks: a Slack incoming webhook, a generic JSON webhook, e-mail over SMTP, the log.

Webhook URLs and SMTP passwords are secrets: they live in `SecretStr` and never reach an
exception message or a log line. A failed delivery raises `AlertDeliveryError` with a
message that names the sink and the failure class or HTTP status, nothing more.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol

import httpx
from pydantic import SecretStr

# An owner's digest is news, not a warning: a console run echoes warnings and errors.
LOG_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}
SEVERITY_EMOJI = {
    "info": ":information_source:",
    "warning": ":warning:",
    "critical": ":rotating_light:",
}


@dataclass(frozen=True)
class Alert:
    """One thing a person should know. `key` makes it idempotent: the same key is one alert,
    however many sensor ticks notice it."""

    key: str
    kind: str  # data_quality | drift | coverage_drop | run_failure | stale_framework
    severity: str  # info | warning | critical
    title: str
    text: str
    details: dict = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def as_json(self) -> dict:
        return asdict(self)


class AlertDeliveryError(RuntimeError):
    """A sink could not deliver; the message is safe to log and store."""


class AlertSink(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


def _post_json(sink: str, url: SecretStr, payload: dict, timeout: float) -> httpx.Response:
    try:
        response = httpx.post(url.get_secret_value(), json=payload, timeout=timeout)
    except httpx.HTTPError as exc:
        # httpx messages can carry the URL; keep only the failure class.
        raise AlertDeliveryError(f"{sink}: {type(exc).__name__}") from None
    if response.status_code >= 300:
        reason = response.text.strip()[:80] if response.status_code < 500 else ""
        detail = f" ({reason})" if reason and reason.isprintable() else ""
        raise AlertDeliveryError(f"{sink}: HTTP {response.status_code}{detail}")
    return response


@dataclass(frozen=True)
class SlackWebhookSink:
    """Slack incoming webhook: JSON with `text` (the notification fallback) and `blocks`.
    Slack answers 200 `ok`, or 400/403/404/410/500 with an error string in the body."""

    url: SecretStr
    timeout: float = 10.0
    name: str = "slack"

    def payload(self, alert: Alert) -> dict:
        emoji = SEVERITY_EMOJI.get(alert.severity, "")
        headline = f"{emoji} [{alert.severity.upper()}] {alert.title}".strip()
        details = json.dumps(alert.details, indent=1, default=str, sort_keys=True)
        return {
            "text": f"{headline}\n{alert.text}",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": alert.text[:3000]}},
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"```{details[:2900]}```"},
                },
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"alert `{alert.key}`"}],
                },
            ],
        }

    def send(self, alert: Alert) -> None:
        _post_json(self.name, self.url, self.payload(alert), self.timeout)


@dataclass(frozen=True)
class JsonWebhookSink:
    """Any endpoint that accepts the alert as a JSON object (PagerDuty-style relays, Teams
    workflows, an internal service). Any 2xx is delivery."""

    url: SecretStr
    timeout: float = 10.0
    name: str = "webhook"

    def send(self, alert: Alert) -> None:
        _post_json(self.name, self.url, alert.as_json(), self.timeout)


@dataclass(frozen=True)
class SmtpEmailSink:
    """Plain-text e-mail; STARTTLS when the server offers it and `starttls` is on, login
    only when a username is configured."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str = ""
    password: SecretStr = SecretStr("")
    starttls: bool = True
    timeout: float = 10.0
    name: str = "email"

    def message(self, alert: Alert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = f"[{alert.severity.upper()}] {alert.title}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        details = json.dumps(alert.details, indent=2, default=str, sort_keys=True)
        msg.set_content(f"{alert.text}\n\n{details}\n\nalert {alert.key} at {alert.created_at}\n")
        return msg

    def send(self, alert: Alert) -> None:
        if not self.recipients:
            raise AlertDeliveryError(f"{self.name}: no recipients configured")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls and smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password.get_secret_value())
                smtp.send_message(self.message(alert))
        except smtplib.SMTPResponseException as exc:
            raise AlertDeliveryError(f"{self.name}: SMTP {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise AlertDeliveryError(f"{self.name}: {type(exc).__name__}") from None


@dataclass(frozen=True)
class LogSink:
    """Always on: the alert is in the run/sensor log even when every other sink is down.
    A long text (an owner's digest of thousands of accounts) is cut to its first
    `max_lines` lines: the full text went to the other sinks and the warehouse."""

    logger: logging.Logger | logging.LoggerAdapter
    name: str = "log"
    max_lines: int = 20

    def send(self, alert: Alert) -> None:
        level = LOG_LEVELS.get(alert.severity, logging.WARNING)
        lines = alert.text.splitlines()
        text = "\n".join(lines[: self.max_lines])
        if len(lines) > self.max_lines:
            text += f"\n... {len(lines) - self.max_lines} more line(s)"
        self.logger.log(level, "ALERT [%s] %s: %s", alert.severity, alert.title, text)
