"""Shared fixtures. Local servers (Salesforce, vendors, webhooks) start here, each in its
own section, bound to 127.0.0.1 on a free port."""

from pathlib import Path

import pytest

from segmentation_pipeline.framework import Framework, load_framework


@pytest.fixture(scope="session")
def framework() -> Framework:
    return load_framework()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


# --- Salesforce: local API server (issue 3) ---------------------------------------------
# A fresh in-memory org per test, served over TLS behind a CONNECT proxy on 127.0.0.1; the
# client reaches it with ordinary settings (proxy_url + ca_bundle), nothing test-only.
from segmentation_pipeline.io.salesforce import SalesforceSettings  # noqa: E402
from segmentation_pipeline.local_servers.salesforce_api import LocalSalesforce  # noqa: E402


@pytest.fixture
def salesforce_server():
    with LocalSalesforce() as server:
        yield server


@pytest.fixture
def salesforce_settings(salesforce_server) -> SalesforceSettings:
    """Username + password + token login with fast retries and polling."""
    return SalesforceSettings(
        **salesforce_server.password_login(),
        backoff_seconds=0.01,
        bulk_poll_seconds=0.01,
        timeout_seconds=5,
    )


# --- Governance (issue 7): webhook and SMTP servers, a small pipeline harness -----------

import shutil  # noqa: E402

import dagster as dg  # noqa: E402
import pandas as pd  # noqa: E402

from segmentation_pipeline.local_servers.smtp import LocalSmtpServer  # noqa: E402
from segmentation_pipeline.local_servers.webhook import LocalWebhookServer  # noqa: E402

SLACK_PATH = "/services/T0SECRET/B0SECRET/xoxbsecrettoken"
WEBHOOK_PATH = "/hooks/governance-secret-token"


@pytest.fixture
def webhook_server():
    """A real HTTP server on 127.0.0.1: Slack incoming-webhook paths and a JSON endpoint."""
    with LocalWebhookServer() as server:
        yield server


@pytest.fixture
def smtp_server():
    with LocalSmtpServer(username="alerts@example.com", password="smtp-secret-pw") as server:
        yield server


def write_small_crm(folder: Path, n_accounts: int = 60, arr_blank_share: float = 0.0) -> Path:
    """The first `n_accounts` of the bundled sample CRM, with ARR blanked on a share of them
    (a deliberately broken extract when the share is high)."""
    from segmentation_pipeline.defs.resources import SAMPLE_CRM_FOLDER

    folder.mkdir(parents=True, exist_ok=True)
    accounts = pd.read_csv(Path(SAMPLE_CRM_FOLDER) / "accounts.csv", dtype=str).head(n_accounts)
    blank = int(round(len(accounts) * arr_blank_share))
    accounts.loc[accounts.index[:blank], "ARR__c"] = None
    accounts.to_csv(folder / "accounts.csv", index=False)
    usage = pd.read_csv(Path(SAMPLE_CRM_FOLDER) / "product_usage.csv", dtype=str)
    usage[usage["AccountId"].isin(accounts["Id"])].to_csv(folder / "product_usage.csv", index=False)
    shutil.copy(Path(SAMPLE_CRM_FOLDER) / "firmographics.csv", folder / "firmographics.csv")
    return folder


class GovernanceHarness:
    """The real assets, checks, jobs, sensors and schedules over a temp-dir instance, a
    SQLite warehouse and alerts sent to the local webhook server."""

    def __init__(self, root: Path, webhook: LocalWebhookServer):
        self.root = root
        self.webhook = webhook
        (root / "dagster").mkdir()
        self.instance = dg.DagsterInstance.ephemeral(tempdir=str(root / "dagster"))
        self.warehouse_url = f"sqlite:///{root / 'warehouse.sqlite'}"
        self.crm_folder = write_small_crm(root / "crm")
        self.framework_path = ""
        self.salesforce_login: dict = {}
        self.extra_jobs: list = []

    def resources(self) -> dict:
        from segmentation_pipeline.defs.alerts import AlertSinkResource
        from segmentation_pipeline.defs.resources import (
            FileCrmResource,
            FirmographicsFileResource,
            FrameworkResource,
            WarehouseResource,
        )
        from segmentation_pipeline.defs.salesforce import SalesforceResource

        warehouse = WarehouseResource(url=self.warehouse_url)
        return {
            "salesforce": SalesforceResource(**self.salesforce_login),
            "framework": FrameworkResource(path=self.framework_path),
            "crm": FileCrmResource(folder=str(self.crm_folder)),
            "firmographics": FirmographicsFileResource(
                path=str(self.crm_folder / "firmographics.csv")
            ),
            "warehouse": warehouse,
            "alerts": AlertSinkResource(
                warehouse=warehouse,
                slack_webhook_url=self.webhook.url(SLACK_PATH),
                webhook_url=self.webhook.url(WEBHOOK_PATH),
                timeout_seconds=5.0,
            ),
        }

    def definitions(self) -> dg.Definitions:
        import segmentation_pipeline.definitions as location

        return dg.Definitions(
            assets=location.defs.assets,
            asset_checks=location.defs.asset_checks,
            jobs=[*location.defs.jobs, *self.extra_jobs],
            schedules=location.defs.schedules,
            sensors=location.defs.sensors,
            resources=self.resources(),
        )

    def run(self, month: str, job: str = "segmentation_job", **kwargs) -> dg.ExecuteInProcessResult:
        return (
            self.definitions()
            .resolve_job_def(job)
            .execute_in_process(
                instance=self.instance, partition_key=month, raise_on_error=False, **kwargs
            )
        )

    def tick(self, sensor_name: str, cursor: str | None = None):
        defs = self.definitions()
        sensor = defs.resolve_sensor_def(sensor_name)
        with dg.build_sensor_context(
            instance=self.instance, definitions=defs, cursor=cursor, resources=self.resources()
        ) as context:
            return sensor.evaluate_tick(context)

    def payloads(self, path: str = WEBHOOK_PATH) -> list[dict]:
        return [r.json() for r in self.webhook.received if r.path == path]


@pytest.fixture
def governance(tmp_path: Path, webhook_server: LocalWebhookServer):
    harness = GovernanceHarness(tmp_path, webhook_server)
    yield harness
    harness.instance.dispose()
