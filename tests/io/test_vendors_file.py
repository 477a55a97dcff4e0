"""The offline file provider: the operator's own CSV, read leniently, never a crash."""

import asyncio

import pytest

from segmentation_pipeline.core.enrich.answers import Outcome
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.framework.enrichment import ProviderSettings
from segmentation_pipeline.io.vendors import build_providers
from segmentation_pipeline.io.vendors.file import (
    FileProvider,
    FirmographicsFileError,
    firmographic_values,
    read_firmographics,
)


def load_firmographics(path, industry_map=None, default_confidence=1.0):
    """The whole file's values by domain, and the rows without a usable domain."""
    rows, dropped = read_firmographics(path)
    return firmographic_values(rows, industry_map, default_confidence), dropped


CSV = """domain,industry,employees,annual_revenue,country_code,confidence
https://www.Acme.com,Software,120,5000000,US,
globex.io,computer software,lots,-3,Germany,0.4
not a domain,Retail,5,5,FR,
acme.com,Media,1,1,GB,
"""


def test_rows_are_read_leniently(tmp_path):
    path = tmp_path / "firmographics.csv"
    path.write_text(CSV)
    table, dropped = load_firmographics(path, default_confidence=0.9)
    assert dropped == 1  # "not a domain"
    assert table["acme.com"] == (
        {"industry": "Software", "employees": 120.0, "annual_revenue": 5e6, "country_code": "US"},
        0.9,
    )  # the first row for a domain wins
    assert table["globex.io"] == (
        {"industry": "Software", "employees": None, "annual_revenue": None, "country_code": "DE"},
        0.4,
    )


@pytest.mark.parametrize(
    ("employees", "revenue", "expected"),
    [
        # Firmographic files give size and revenue as bands: the PDL provider reads a band
        # at its midpoint or floor, and so does the file.
        ("51-200", "$50M-$100M", (125.5, 75_000_000)),
        ('"10,001+"', "$1B+", (10_001, 1_000_000_000)),
        # Numbers as people write them, read as the CRM export's are.
        ('"1,200"', "$5M", (1200, 5_000_000)),
        ("1.200", '"EUR 2,5 Mio"', (1200, None)),  # "Mio" is no multiplier it knows
    ],
)
def test_sizes_and_revenues_read_as_the_crms_own_numbers(tmp_path, employees, revenue, expected):
    path = tmp_path / "firmographics.csv"
    path.write_text(
        "domain,industry,employees,annual_revenue,country_code\n"
        f"initech.com,Software,{employees},{revenue},US\n"
    )
    values = load_firmographics(path)[0]["initech.com"][0]
    assert (values["employees"], values["annual_revenue"]) == expected


def test_a_file_missing_columns_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("domain,industry\nacme.com,Software\n")
    with pytest.raises(FirmographicsFileError, match="missing column.*employees"):
        load_firmographics(path)
    with pytest.raises(FirmographicsFileError, match="cannot read"):
        load_firmographics(tmp_path / "absent.csv")


def test_lookup_answers_every_domain(tmp_path):
    path = tmp_path / "firmographics.csv"
    path.write_text(CSV)
    provider = FileProvider("file", ProviderSettings(kind="file", confidence=0.9), path)
    answers = asyncio.run(provider.lookup(["acme.com", "nobody.org"], CreditBudget(None, None)))
    assert [a.outcome for a in answers] == [Outcome.HIT, Outcome.MISS]
    assert answers[0].values["industry"] == "Software"
    assert provider.requests == 0 and provider.dropped_rows == 1


def test_the_frameworks_path_wins_over_the_deployments_default(tmp_path):
    chosen = tmp_path / "chosen.csv"
    chosen.write_text(CSV)
    settings = ProviderSettings(kind="file", path=str(chosen))
    assert FileProvider("file", settings, tmp_path / "default.csv").path == chosen
    assert FileProvider("file", ProviderSettings(kind="file"), chosen).path == chosen


def test_a_wrong_path_is_named_when_the_providers_are_built_not_when_a_lookup_needs_it(
    tmp_path, framework
):
    """The file is read lazily, so on a night whose lookups the cache answers a mistyped
    SEGMENTATION_FIRMOGRAPHICS_FILE went unnoticed; it fails the night that sets it."""
    missing = tmp_path / "firmographcs.csv"
    with pytest.raises(FirmographicsFileError, match=f"^{missing}: firmographics file not found"):
        build_providers(framework.enrichment, file_path=missing)
    present = tmp_path / "firmographics.csv"
    present.write_text(CSV)
    assert build_providers(framework.enrichment, file_path=present)["file"].path == present
