"""Faults heal: a vendor outage, an open circuit, a dropped connection, two runs of one
month at once and a killed run each end as work left for retry, a clear wait or a
one-line error, and the next night succeeds."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pycountry
import pytest
import yaml

from segmentation_pipeline.defs.enrichment import FirmographicsResource
from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH
from segmentation_pipeline.local_servers.vendors import Company, PdlServer

PDL_KEY = "pdl-key-for-reliability"
EVERY_REQUEST = 10**9  # a fault counter no night uses up


def _companies(firmographics: Path) -> list[Company]:
    """What the local PDL knows: every company of the sample's firmographics file."""
    rows = pd.read_csv(firmographics)
    return [
        Company(
            row.domain,
            row.domain,
            row.industry,
            int(row.employees),
            float(row.annual_revenue),
            pycountry.countries.get(alpha_2=row.country_code).name,
        )
        for row in rows.itertuples(index=False)
    ]


@pytest.fixture
def pdl(sample_crm: Path):
    with PdlServer(_companies(sample_crm / "firmographics.csv"), PDL_KEY) as server:
        yield server


def vendor_framework(folder: Path, pdl_url: str, reset_after_seconds: float = 0.0) -> str:
    """The default framework with PDL the only firmographics source (the offline file
    off), fast retries, and the circuit breaker's wait as given."""
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())
    enrichment = data["enrichment"]
    enrichment["providers"]["file"]["enabled"] = False
    enrichment["providers"]["pdl"].update(
        enabled=True, base_url=pdl_url, rate_limit={"per_minute": None}
    )
    enrichment["retry"] = {"max_attempts": 2, "base_delay_seconds": 0.01, "max_delay_seconds": 0.02}
    enrichment["circuit_breaker"]["reset_after_seconds"] = reset_after_seconds
    path = folder / "framework.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture
def with_pdl_key(night, monkeypatch):
    """The night fixture builds its firmographics resource itself; give it PDL's key."""
    keyed = functools.partial(FirmographicsResource, pdl_api_key=PDL_KEY)
    monkeypatch.setitem(night.__globals__, "FirmographicsResource", keyed)


# -- A vendor outage on the first night -------------------------------------------------
def test_a_first_night_with_every_lookup_failing_does_not_wedge_the_next(
    night, sample_crm, pdl, with_pdl_key, tmp_path
):
    framework = vendor_framework(tmp_path, pdl.url)
    pdl.faults.errors = EVERY_REQUEST
    first = night(sample_crm, framework=framework)
    assert first.success, first.failure_messages()
    assert first.metadata("accounts_enriched")["fields_filled"] == 0
    assert first.warehouse().read_table("enrichment_cache").empty  # failures are not answers

    pdl.reset()
    second = night(sample_crm, framework=framework)
    assert second.success, second.failure_messages()
    assert second.metadata("accounts_enriched")["fields_filled"] > 0
    provenance = second.warehouse().read_table("enrichment_provenance")
    assert set(provenance["provider"]) == {"pdl"}
    assert provenance["value"].map(type).eq(str).all()
