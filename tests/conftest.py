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
import os  # noqa: E402

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
