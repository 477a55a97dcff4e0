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
