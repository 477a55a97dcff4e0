"""Shared fixtures. Local servers (Salesforce, vendors, webhooks) start here, each in its
own section, bound to 127.0.0.1 on a free port."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests build months from 2025-01 on, whatever the warehouse under SEGMENTATION_HOME holds
# (the partitions start there; set before the code location is first imported).
os.environ.setdefault("SEGMENTATION_FIRST_MONTH", "2025-01-01")

from segmentation_pipeline.framework import Framework, load_framework  # noqa: E402


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


# --- Segment operations (issue 6): builders of standardized accounts and usage rows ----
import pandas as pd  # noqa: E402

from segmentation_pipeline.core.standardize import band_name  # noqa: E402

SEGMENT_AS_OF = pd.Timestamp("2026-11-01T00:00:00")


def _standard_account(framework: Framework, **fields) -> dict:
    """A clean, long-standing US software customer; keyword arguments change any field."""
    row = {
        "account_id": "001A",
        "name": "Acme Systems",
        "owner_id": "005U1",
        "website": "acme.com",
        "domain": "acme.com",
        "industry": "Software",
        "industry_status": "matched",
        "employees": 500.0,
        "employees_reason": None,
        "annual_revenue": None,
        "arr": 85_000.0,
        "arr_reason": None,
        "country": "United States",
        "country_code": "US",
        "region": "NA",
        "city": "Austin",
        "phone": None,
        "created_date": pd.Timestamp(SEGMENT_AS_OF, tz="UTC") - pd.Timedelta(days=400),
        "modstamp": None,
        "contract_term": "Multi-year",
        "contract_end_date": None,
        "expansion_pipeline": 0.0,
        "strategic_importance": "Standard",
        "growth_stage": "Established",
        "segment_override": False,
        "crm_tier": None,
        "duplicate_count": 0,
    }
    row.update(fields)
    row["arr_tier"] = fields.get("arr_tier", _band(row["arr"], framework.arr_tiers))
    row["company_size_band"] = _band(row["employees"], framework.company_size_bands)
    return row


def _band(value, bands):
    return band_name(value, bands) if isinstance(value, int | float) else None


def _usage_row(**fields) -> dict:
    """Product usage of one account: healthy by default (every criterion 4 points)."""
    row = {
        "account_id": "001A",
        "product": None,
        "product_arr": None,
        "logins_30d": 900,
        "active_users": 70,
        "licensed_users": 100,
        "features_adopted": 12,
        "features_available": 20,
        "open_tickets": 1,
        "nps": 40,
        "onboarding_completion": 0.8,
        "engagement_score": None,
    }
    row.update(fields)
    return row


@pytest.fixture(scope="session")
def make_accounts(framework: Framework):
    """make_accounts(dict(...), dict(...)) -> a standardized accounts frame."""

    def build(*rows: dict) -> pd.DataFrame:
        return pd.DataFrame([_standard_account(framework, **r) for r in rows])

    return build


@pytest.fixture(scope="session")
def make_usage():
    """make_usage(dict(...), ...) -> a standardized usage frame (may be empty)."""

    def build(*rows: dict) -> pd.DataFrame:
        from segmentation_pipeline.core.products import conform_usage

        return conform_usage(pd.DataFrame([_usage_row(**r) for r in rows]))

    return build


# --- Reporting: a real headless browser for the dashboard and CSM views ----------------
# Debian's chromium, driven by Playwright (never `playwright install`). In CI (env CI set)
# a missing browser is a failure, not a skip; locally the browser tests skip without it.

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def require_browser(path: str, env) -> None:
    """A missing browser fails the test in CI (env CI set) and skips it elsewhere."""
    if Path(path).exists():
        return
    message = f"{path} not found: .ci/run installs Debian's chromium"
    if env.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# Module scope: Playwright's sync API keeps an event loop running while the browser is
# open, and code that calls asyncio.run() (Dagster's automation evaluation) must not
# share a module with it.
@pytest.fixture(scope="module")
def chromium():
    require_browser(CHROMIUM_PATH, os.environ)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class OfflinePage:
    """A browser page that records every request it makes and aborts any that would
    leave the machine, so a test can both see and stop stray network use."""

    def __init__(self, browser, path: Path):
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda msg: self.errors.append(msg.text) if msg.type == "error" else None,
        )
        self.page.route("http*://**/*", lambda route: route.abort())
        self.page.goto(self.url)

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if url != self.url]


@pytest.fixture
def offline_page(chromium):
    pages: list[OfflinePage] = []

    def open_page(path: Path) -> OfflinePage:
        pages.append(OfflinePage(chromium, path))
        return pages[-1]

    yield open_page
    for opened in pages:
        opened.page.close()


# --- Governance (issue 7): webhook and SMTP servers, a small pipeline harness -----------

import shutil  # noqa: E402

import dagster as dg  # noqa: E402
import pandas as pd  # noqa: E402

# Shared with test files, which import them from `small_crm` (not from `conftest`: that
# name is also tests/reliability's conftest, and a test gets whichever pytest imported last).
from small_crm import SLACK_PATH, WEBHOOK_PATH, write_small_crm  # noqa: E402

from segmentation_pipeline.local_servers.smtp import LocalSmtpServer  # noqa: E402
from segmentation_pipeline.local_servers.webhook import LocalWebhookServer  # noqa: E402


@pytest.fixture
def webhook_server():
    """A real HTTP server on 127.0.0.1: Slack incoming-webhook paths and a JSON endpoint."""
    with LocalWebhookServer() as server:
        yield server


@pytest.fixture
def smtp_server():
    with LocalSmtpServer(username="alerts@example.com", password="smtp-secret-pw") as server:
        yield server


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
        from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
        from segmentation_pipeline.defs.resources import (
            FileCrmResource,
            FirmographicsFileResource,
            FrameworkResource,
            SnapshotStoreResource,
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
            "snapshots": SnapshotStoreResource(base_dir=str(self.root / "snapshots")),
            "io_manager": FrameFilesystemIOManager(),  # under the instance's storage folder
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


# ---------------------------------------------------------------------------------------
# Enrichment vendors (issue 5): local People Data Labs and Apollo servers, settings
# builder, a throwaway PostgreSQL for the enrichment cache.
# ---------------------------------------------------------------------------------------
import socket  # noqa: E402
import subprocess  # noqa: E402

from segmentation_pipeline.framework.enrichment import (  # noqa: E402
    EnrichmentSettings,
    FieldGroup,
    ProviderSettings,
    RetryPolicySettings,
)
from segmentation_pipeline.local_servers.vendors import ApolloServer, Company, PdlServer  # noqa: E402

PDL_KEY = "pdl-key-for-tests"
APOLLO_KEY = "apollo-key-for-tests"


@pytest.fixture
def vendor_companies() -> list[Company]:
    return [
        Company("acme.com", "Acme", "Software", 120, 5_000_000, "United States", likelihood=9),
        Company("globex.io", "Globex", "Manufacturing", 800, 120_000_000, "Germany", 7),
        Company(
            "initech.co.uk", "Initech", "Financial Services", 45, 2_000_000, "United Kingdom", 3
        ),
        Company("umbrella.org", "Umbrella", "Healthcare", 2500, 900_000_000, "France", 8),
    ]


@pytest.fixture
def pdl_server(vendor_companies: list[Company]) -> Iterator[PdlServer]:
    with PdlServer(vendor_companies, PDL_KEY) as server:
        yield server


@pytest.fixture
def apollo_server(vendor_companies: list[Company]) -> Iterator[ApolloServer]:
    with ApolloServer(vendor_companies, APOLLO_KEY) as server:
        yield server


@pytest.fixture
def make_enrichment_settings():
    """Settings for tests: fast retries, no rate limits unless asked, chosen groups."""

    def make(
        providers: dict[str, ProviderSettings] | None = None,
        groups: dict[str, FieldGroup] | None = None,
        **overrides: object,
    ) -> EnrichmentSettings:
        fast = RetryPolicySettings(max_attempts=3, base_delay_seconds=0.01, max_delay_seconds=0.05)
        return EnrichmentSettings(
            retry=overrides.pop("retry", fast),
            providers=providers
            or {
                "pdl": ProviderSettings(kind="pdl", concurrency=4, timeout_seconds=2),
                "apollo": ProviderSettings(
                    kind="apollo", concurrency=4, confidence=0.8, timeout_seconds=2
                ),
            },
            field_groups=groups
            or {
                "industry": FieldGroup(
                    fields=["industry"], providers=["pdl", "apollo"], min_confidence=0.6
                ),
                "size": FieldGroup(
                    fields=["employees", "annual_revenue"],
                    providers=["pdl", "apollo"],
                    min_confidence=0.6,
                ),
                "geography": FieldGroup(
                    fields=["country_code"], providers=["pdl", "apollo"], min_confidence=0.5
                ),
            },
            **overrides,
        )

    return make


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def enrichment_pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (needs the server binaries)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = tempfile.mkdtemp(prefix="enrich-pg-")
    os.chmod(root, 0o755)
    if as_postgres:
        shutil.chown(root, "postgres")
    data, port = os.path.join(root, "data"), _free_port()
    run = {"check": True, "capture_output": True}
    subprocess.run([*as_postgres, initdb, "-D", data, "-A", "trust", "-U", "postgres"], **run)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_postgres,
            pg_ctl,
            "-D",
            data,
            "-o",
            options,
            "-w",
            "start",
            "-l",
            os.path.join(root, "log"),
        ],
        **run,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


# --- Warehouse databases: SQLite and PostgreSQL --------------------------------------
# `warehouse_url` runs a test once per database. PostgreSQL is the local server CI starts
# (SEGMENTATION_TEST_PG_URL overrides it); each test gets a schema of its own, dropped
# afterwards, so runs never collide. Without a server the PostgreSQL case is skipped on a
# developer machine and FAILS in CI (CI=true), so CI never passes without PostgreSQL.

PG_TEST_URL = os.environ.get(
    "SEGMENTATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_or_fail() -> None:
    import psycopg

    try:
        psycopg.connect(PG_TEST_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {PG_TEST_URL}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message + " (set CI=true to make this a failure)")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    import psycopg

    _postgres_or_fail()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_TEST_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in PG_TEST_URL else "?"
        yield f"{PG_TEST_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_TEST_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    return request.getfixturevalue("postgres_url")


# Keep the state of every test run (snapshots, default warehouse, reports) out of the
# working copy, in a folder of each pytest-xdist worker's own: workers inherit the
# controller's environment, and two workers sharing one report folder prune each other's
# dashboard copies. A SEGMENTATION_HOME set by hand is kept.
if "SEGMENTATION_HOME" not in os.environ or os.environ.get("SEGMENTATION_TEST_HOME_MADE"):
    os.environ["SEGMENTATION_HOME"] = tempfile.mkdtemp(prefix="segmentation-test-")
    os.environ["SEGMENTATION_TEST_HOME_MADE"] = "1"


# --- Data preparation (issue 4): standardized accounts from raw CRM rows ---------------
@pytest.fixture
def standardize(framework):
    """Build a standardized account frame from raw rows in Salesforce field names."""
    from segmentation_pipeline.core.standardize import standardize_accounts

    def build(rows: list[dict]) -> pd.DataFrame:
        raw = pd.DataFrame(rows)
        if "Id" not in raw:
            raw["Id"] = [f"001{i:012d}" for i in range(len(raw))]
        return standardize_accounts(raw, framework)

    return build
