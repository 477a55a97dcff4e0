"""Shared fixtures. Local servers (Salesforce, vendors, webhooks) start here, each in its
own section, bound to 127.0.0.1 on a free port."""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from segmentation_pipeline.framework import Framework, load_framework
from segmentation_pipeline.framework.enrichment import (
    EnrichmentSettings,
    FieldGroup,
    ProviderSettings,
    RetryPolicySettings,
)
from segmentation_pipeline.local_servers.vendors import ApolloServer, Company, PdlServer


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


# ---------------------------------------------------------------------------------------
# Enrichment vendors (issue 5): local People Data Labs and Apollo servers, settings
# builder, a throwaway PostgreSQL for the enrichment cache.
# ---------------------------------------------------------------------------------------
PDL_KEY = "pdl-key-for-tests"
APOLLO_KEY = "apollo-key-for-tests"


@pytest.fixture
def vendor_companies() -> list[Company]:
    return [
        Company("acme.com", "Acme", "Software", 120, 5_000_000, "United States", likelihood=9),
        Company("globex.io", "Globex", "Manufacturing", 800, 120_000_000, "Germany", 7),
        Company("initech.co.uk", "Initech", "Financial Services", 45, 2_000_000,
                "United Kingdom", 3),
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
            providers=providers or {
                "pdl": ProviderSettings(kind="pdl", concurrency=4, timeout_seconds=2),
                "apollo": ProviderSettings(kind="apollo", concurrency=4, confidence=0.8,
                                           timeout_seconds=2),
            },
            field_groups=groups or {
                "industry": FieldGroup(fields=["industry"], providers=["pdl", "apollo"],
                                       min_confidence=0.6),
                "size": FieldGroup(fields=["employees", "annual_revenue"],
                                   providers=["pdl", "apollo"], min_confidence=0.6),
                "geography": FieldGroup(fields=["country_code"], providers=["pdl", "apollo"],
                                        min_confidence=0.5),
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
    subprocess.run([*as_postgres, pg_ctl, "-D", data, "-o", options, "-w", "start",
                    "-l", os.path.join(root, "log")], **run)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
