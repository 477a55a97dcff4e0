"""Shared fixtures. Local servers (Salesforce, vendors, webhooks) start here, each in its
own section, bound to 127.0.0.1 on a free port."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from segmentation_pipeline.framework import Framework, load_framework


@pytest.fixture(scope="session")
def framework() -> Framework:
    return load_framework()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


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


# Keep the state of every test run (snapshots, default warehouse) out of the working copy.
os.environ.setdefault("SEGMENTATION_HOME", tempfile.mkdtemp(prefix="segmentation-test-"))
