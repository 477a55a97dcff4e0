"""Alert sinks over real protocols on 127.0.0.1; secrets never reach errors or logs."""

import logging
import socket

import pytest
from pydantic import SecretStr
from small_crm import SLACK_PATH, WEBHOOK_PATH

from segmentation_pipeline.io.alerts import (
    Alert,
    AlertDeliveryError,
    JsonWebhookSink,
    LogSink,
    SlackWebhookSink,
    SmtpEmailSink,
)

ALERT = Alert(
    key="data_quality:segment_assignments:concentration_index@2025-01-01:7",
    kind="data_quality",
    severity="warning",
    title="Check concentration_index failed (WARN) for 2025-01-01",
    text="> 60%: measured 0.91 against threshold 0.6",
    details={"value": 0.91, "threshold": 0.6, "worst_offenders": [{"segment": "Tier 2"}]},
)


def email_sink(port: int, password: str) -> SmtpEmailSink:
    return SmtpEmailSink(
        host="127.0.0.1",
        port=port,
        sender="pipeline@example.com",
        recipients=("revops@example.com",),
        username="alerts@example.com",
        password=SecretStr(password),
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_slack_sink_posts_text_and_blocks_that_slack_accepts(webhook_server):
    SlackWebhookSink(SecretStr(webhook_server.url(SLACK_PATH))).send(ALERT)
    [request] = webhook_server.received
    message = request.json()
    assert message["text"].startswith(":warning: [WARNING] Check concentration_index failed")
    assert message["blocks"][0]["type"] == "header"
    assert '"threshold": 0.6' in message["blocks"][2]["text"]["text"]


def test_json_webhook_sink_posts_the_whole_alert(webhook_server):
    JsonWebhookSink(SecretStr(webhook_server.url(WEBHOOK_PATH))).send(ALERT)
    [request] = webhook_server.received
    assert request.json() == ALERT.as_json()
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("status", [404, 500])
def test_a_refused_delivery_names_the_status_but_not_the_secret_url(webhook_server, status):
    webhook_server.fail_next(1, status)
    sink = SlackWebhookSink(SecretStr(webhook_server.url(SLACK_PATH)))
    with pytest.raises(AlertDeliveryError) as error:
        sink.send(ALERT)
    assert f"HTTP {status}" in str(error.value)
    assert "secret" not in str(error.value) and "xoxb" not in repr(error.value)


def test_an_unreachable_webhook_fails_without_leaking_the_url():
    url = f"http://127.0.0.1:{_closed_port()}/hooks/token-secret-123"
    with pytest.raises(AlertDeliveryError) as error:
        JsonWebhookSink(SecretStr(url), timeout=2).send(ALERT)
    assert str(error.value) == "webhook: ConnectError"
    assert "token-secret-123" not in repr(error.value)
    assert repr(SecretStr(url)) == "SecretStr('**********')"


def test_email_sink_logs_in_and_delivers_the_alert(smtp_server):
    email_sink(smtp_server.port, "smtp-secret-pw").send(ALERT)
    [message] = smtp_server.messages
    assert message["Subject"] == "[WARNING] Check concentration_index failed (WARN) for 2025-01-01"
    assert message["To"] == "revops@example.com"
    assert '"threshold": 0.6' in message.get_payload()


def test_a_wrong_smtp_password_is_an_auth_error_that_does_not_show_the_password(smtp_server):
    with pytest.raises(AlertDeliveryError) as error:
        email_sink(smtp_server.port, "wrong-secret-pw").send(ALERT)
    assert str(error.value) == "email: SMTP 535"
    assert "wrong-secret-pw" not in repr(error.value)
    assert smtp_server.messages == []


def test_log_sink_writes_critical_alerts_as_errors(caplog):
    logger = logging.getLogger("test.alerts")
    with caplog.at_level(logging.WARNING, logger="test.alerts"):
        LogSink(logger).send(
            Alert("k", "run_failure", "critical", "segmentation_job failed", "boom")
        )
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "segmentation_job failed" in record.getMessage()


def test_log_sink_cuts_a_long_text_and_says_how_much_it_left_out(caplog):
    logger = logging.getLogger("test.alerts")
    text = "\n".join(f"- account {i}" for i in range(1, 26))
    with caplog.at_level(logging.INFO, logger="test.alerts"):
        LogSink(logger, max_lines=3).send(Alert("k", "owner_digest", "info", "Digest", text))
    [record] = caplog.records
    assert record.levelno == logging.INFO  # news, not a warning
    assert record.getMessage() == (
        "ALERT [info] Digest: - account 1\n- account 2\n- account 3\n... 22 more line(s)"
    )
