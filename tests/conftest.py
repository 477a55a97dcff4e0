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
