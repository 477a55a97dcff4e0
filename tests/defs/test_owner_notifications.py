"""Owners' digest and the at-risk alert, end to end: the nightly job over the file CRM,
the at-risk sensor, the local webhook and SMTP servers; every event told once."""

from datetime import datetime

import pandas as pd
import pytest

from segmentation_pipeline.core.notifications import EVENT_COLUMNS
from segmentation_pipeline.defs.alerts import AlertSinkResource
from segmentation_pipeline.defs.partitions import current_month_key
from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH
from segmentation_pipeline.io.notification_store import NotificationStore
from segmentation_pipeline.io.warehouse import Warehouse

MONTH = current_month_key()
HOOK = "/hooks/notifications"


@pytest.fixture
def nights(governance, smtp_server, tmp_path):
    """The governance harness with alerts to the JSON webhook and e-mail only, and an
    at-risk rule wide enough that some of its 60 accounts are at risk."""
    wide = tmp_path / "framework_wide_at_risk.yaml"
    rule = "at_risk: {min_value_score: 4.0, max_behavioral_score: 2.0}"
    text = DEFAULT_FRAMEWORK_PATH.read_text()
    assert rule in text
    wide.write_text(
        text.replace(rule, "at_risk: {min_value_score: 3.0, max_behavioral_score: 3.5}")
    )
    governance.framework_path = str(wide)
    base = governance.resources

    def resources() -> dict:
        found = base()
        found["alerts"] = AlertSinkResource(
            warehouse=found["warehouse"],
            webhook_url=governance.webhook.url(HOOK),
            smtp_host="127.0.0.1",
            smtp_port=smtp_server.port,
            smtp_username="alerts@example.com",
            smtp_password="smtp-secret-pw",
            smtp_starttls=False,
            email_from="pipeline@example.com",
            email_to=["revops@example.com"],
            timeout_seconds=5.0,
        )
        return found

    governance.resources = resources
    return governance


def sent(nights, kind: str) -> list[dict]:
    return [p for p in nights.payloads(HOOK) if p["kind"] == kind]


def test_an_at_risk_account_gets_one_digest_entry_and_one_alert_across_two_nights(
    nights, smtp_server
):
    assert nights.run(MONTH).success
    nights.tick("at_risk_account_sensor")
    assignments = Warehouse(nights.warehouse_url).read_table("segment_snapshots")
    events = NotificationStore(Warehouse(nights.warehouse_url).engine).events()
    at_risk = events[events["kind"] == "at_risk"]
    assert len(at_risk) == int(assignments["at_risk"].astype(bool).sum()) > 0
    alerted = at_risk[at_risk["arr"] >= 50_000]
    assert len(alerted) > 0
    account = alerted.iloc[0]

    assert nights.run(MONTH).success  # the next night: same accounts, nothing new to tell
    nights.tick("at_risk_account_sensor")

    entries = [
        line
        for digest in sent(nights, "owner_digest")
        for line in digest["text"].splitlines()
        if f"({account['account_id']}): high value" in line
    ]
    assert len(entries) == 1
    alerts = [a for a in sent(nights, "at_risk_account") if account["account_id"] in a["text"]]
    assert len(alerts) == 1
    assert len(sent(nights, "at_risk_account")) == len(alerted)  # none below the floor
    mails = [m for m in smtp_server.messages if account["account_name"] in m["Subject"]]
    assert len(mails) == 1 and mails[0]["Subject"].startswith("[WARNING] New at-risk account")
    digests = [m for m in smtp_server.messages if "Segment digest for" in m["Subject"]]
    assert len(digests) == len(sent(nights, "owner_digest")) > 0


def test_an_event_a_failed_night_recorded_but_did_not_send_goes_into_the_next_digest(nights):
    store = NotificationStore(Warehouse(nights.warehouse_url).engine)
    left_over = pd.DataFrame(
        [["renewal|X1|2027-01-05", "renewal", "X1", "Xeno Labs", "005X", "Xavier",
          "contract ends 2027-01-05", 1_000.0]],
        columns=list(EVENT_COLUMNS),
    )  # fmt: skip
    store.record(left_over, datetime(2026, 12, 1, 2))
    assert nights.run(MONTH).success
    [digest] = [d for d in sent(nights, "owner_digest") if d["details"]["owner_id"] == "005X"]
    assert digest["text"] == "Upcoming renewals:\n- Xeno Labs (X1): contract ends 2027-01-05"
    assert store.undigested().empty
