"""accounts_enriched in Dagster: vendors through the resource, metadata, review tables,
graded by the governance enrichment coverage check, and API keys that never surface."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

from segmentation_pipeline.core.change_set import CHANGE_COLUMNS, CONTENT_HASH
from segmentation_pipeline.defs.assets.enrich import accounts_enriched
from segmentation_pipeline.defs.checks import enrichment_coverage_check
from segmentation_pipeline.defs.enrichment import FirmographicsResource
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import (
    FirmographicsFileResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH
from segmentation_pipeline.io.enrichment_cache import EnrichmentCache
from segmentation_pipeline.io.warehouse import Warehouse

MONTH = "2026-05-01"
SECRET = "pdl-key-for-tests"  # the key the local PDL server expects (tests/conftest.py)


def deduplicated(domains: list[str]) -> pd.DataFrame:
    n = len(domains)
    return pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(n)],
            "name": [f"Account {i}" for i in range(n)],
            "domain": domains,
            "industry": ["Unknown"] * n,
            "employees": pd.array([None] * n, dtype="Float64"),
            "annual_revenue": pd.array([None] * n, dtype="Float64"),
            "country_code": [None] * n,
            "region": [None] * n,
            "company_size_band": [None] * n,
        }
    )


@pytest.fixture
def framework_file(tmp_path: Path) -> str:
    """The default framework with the file provider and PDL on, Apollo off."""
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())
    providers = data["enrichment"]["providers"]
    providers["pdl"].update(enabled=True, batch_size=1, rate_limit={"per_second": 50})
    for group in data["enrichment"]["field_groups"].values():
        group["providers"] = ["file", "pdl"]
    providers.pop("apollo")
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture
def firmographics_file(tmp_path: Path) -> str:
    path = tmp_path / "firmographics.csv"
    path.write_text(
        "domain,industry,employees,annual_revenue,country_code\n"
        "umbrella.org,Healthcare,2500,900000000,FR\n"
    )
    return str(path)


def materialize(frame, framework_file, warehouse_url, firmographics, memo_dir=None):
    @dg.asset(name="accounts_deduplicated", partitions_def=monthly_partitions)
    def upstream() -> pd.DataFrame:
        return frame

    @dg.asset(name="account_changes", partitions_def=monthly_partitions)
    def no_full_pass() -> pd.DataFrame:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))

    return dg.materialize(
        [upstream, no_full_pass, accounts_enriched, enrichment_coverage_check],
        partition_key=MONTH,
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "framework": FrameworkResource(path=framework_file),
            "firmographics": firmographics,
            "warehouse": WarehouseResource(url=warehouse_url),
            "snapshots": SnapshotStoreResource(
                base_dir=str(memo_dir or Path(framework_file).parent / "memo")
            ),
            "io_manager": FrameFilesystemIOManager(),
        },
        raise_on_error=False,
    )


def metadata_of(result) -> dict:
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "accounts_enriched"
    )
    return event.materialization.metadata


def test_vendor_waterfall_through_the_resource_with_metadata_and_review_tables(
    pdl_server, framework_file, firmographics_file, sqlite_url, monkeypatch
):
    monkeypatch.setenv("PDL_API_KEY", SECRET)
    monkeypatch.setenv("PDL_BASE_URL", pdl_server.url)
    firmographics = FirmographicsResource.from_environment(firmographics_file)
    frame = deduplicated(["umbrella.org", "acme.com", "globex.io", "nobody.org"])
    result = materialize(frame, framework_file, sqlite_url, firmographics)
    assert result.success
    enriched = result.asset_value("accounts_enriched")
    assert list(enriched["industry_source"]) == ["file", "pdl", "pdl", None]
    assert list(enriched["company_size_band"][:3]) == ["Enterprise", "Mid-Market", "Mid-Market"]
    assert list(enriched["region"][:3]) == ["EMEA", "NA", "EMEA"]

    metadata = metadata_of(result)
    assert metadata["credits_by_provider"].value == {"file": 0.0, "pdl": 2.0}
    assert metadata["fields_filled"].value == 12
    assert metadata["cost_per_filled_field"].value == pytest.approx(2 / 12)
    assert metadata["vendor_requests"].value == 3  # umbrella.org was in the file
    assert "| pdl | 3 | 0 | 2 | 1 |" in metadata["providers"].value
    assert "| industry | 75.0% |" in metadata["coverage_after"].value

    warehouse = Warehouse(sqlite_url)
    queue = warehouse.read_table("enrichment_non_matches")
    assert (list(queue["account_id"]), list(queue["snapshot_month"])) == (["a3"], [MONTH])
    assert len(warehouse.read_table("enrichment_provenance")) == 12
    assert len(warehouse.read_table("enrichment_cache")) == 4 + 3  # file x4 (3 misses), pdl x3

    check = result.get_asset_check_evaluations()[0]
    # 75%: above the 70% minimum viable, under the 85% target -> a warning, not an error
    assert (check.passed, check.metadata["value"].value) == (False, 0.75)
    assert check.severity == dg.AssetCheckSeverity.WARN

    again = materialize(frame, framework_file, sqlite_url, firmographics)
    assert metadata_of(again)["vendor_requests"].value == 0
    assert pdl_server.calls() == 3


def test_coverage_under_minimum_viable_is_an_error(framework_file, firmographics_file, sqlite_url):
    frame = deduplicated(["umbrella.org", "nobody.org", "nothing.net"])
    offline = yaml.safe_load(Path(framework_file).read_text())
    offline["enrichment"]["providers"]["pdl"]["enabled"] = False
    Path(framework_file).write_text(yaml.safe_dump(offline))
    # the plain file resource (no vendor keys) runs the offline file only
    result = materialize(
        frame, framework_file, sqlite_url, FirmographicsFileResource(path=firmographics_file)
    )
    check = result.get_asset_check_evaluations()[0]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["value"].value == pytest.approx(1 / 3, abs=1e-4)


def test_api_key_stays_out_of_metadata_logs_and_repr(
    pdl_server, framework_file, firmographics_file, sqlite_url, monkeypatch, caplog
):
    monkeypatch.setenv("PDL_API_KEY", SECRET)
    monkeypatch.setenv("PDL_BASE_URL", pdl_server.url)
    firmographics = FirmographicsResource.from_environment(firmographics_file)
    assert SECRET not in repr(firmographics)
    result = materialize(deduplicated(["acme.com"]), framework_file, sqlite_url, firmographics)
    assert result.success
    texts = [str(v.value) for v in metadata_of(result).values()] + [caplog.text]
    texts += [str(event) for event in result.all_events]
    assert not any(SECRET in text for text in texts)


def test_an_enabled_vendor_without_a_key_is_a_clear_error(
    framework_file, firmographics_file, sqlite_url, monkeypatch
):
    monkeypatch.delenv("PDL_API_KEY", raising=False)
    result = materialize(
        deduplicated(["acme.com"]),
        framework_file,
        sqlite_url,
        FirmographicsResource.from_environment(firmographics_file),
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "provider 'pdl' is enabled but no API key was given" in str(failure)


def _comparable(frame: pd.DataFrame) -> list[tuple]:
    """Rows without the moments of fetching (a rerun from scratch fetches again), nor the
    rows' content hash, which covers them."""
    dropped = ("from_cache", CONTENT_HASH)
    kept = [c for c in frame.columns if not c.endswith("fetched_at") and c not in dropped]
    rows = frame[kept].astype(object).where(frame[kept].notna(), None)
    return sorted(map(tuple, rows.to_numpy().tolist()), key=repr)


def test_a_night_with_one_edit_enriches_that_account_and_matches_a_run_from_scratch(
    pdl_server, framework_file, firmographics_file, tmp_path, monkeypatch
):
    monkeypatch.setenv("PDL_API_KEY", SECRET)
    monkeypatch.setenv("PDL_BASE_URL", pdl_server.url)
    firmographics = FirmographicsResource.from_environment(firmographics_file)
    night_url = f"sqlite:///{tmp_path / 'night.sqlite'}"
    first = deduplicated(["umbrella.org", "acme.com", "globex.io", "nobody.org"])
    assert materialize(first, framework_file, night_url, firmographics, tmp_path / "m").success

    edited = first.copy()
    edited.loc[3, "domain"] = "initech.co.uk"  # a3 moves to a domain PDL knows
    night = materialize(edited, framework_file, night_url, firmographics, tmp_path / "m")
    metadata = metadata_of(night)
    assert metadata["rows_recomputed"].value == 1
    assert metadata["accounts_carried_over"].value == 3
    assert metadata["review_tables_write"].value == "changed accounts only"

    scratch_url = f"sqlite:///{tmp_path / 'scratch.sqlite'}"
    scratch = materialize(edited, framework_file, scratch_url, firmographics, tmp_path / "s")
    assert metadata_of(scratch)["accounts_carried_over"].value == 0
    incremental, whole = (
        night.asset_value("accounts_enriched"),
        scratch.asset_value("accounts_enriched"),
    )
    assert list(incremental["account_id"]) == list(whole["account_id"])
    assert _comparable(incremental) == _comparable(whole)
    for table in ("enrichment_provenance", "enrichment_non_matches", "enrichment_conflicts"):
        assert _comparable(Warehouse(night_url).read_table(table)) == _comparable(
            Warehouse(scratch_url).read_table(table)
        ), table
    assert metadata["fields_filled"].value == metadata_of(scratch)["fields_filled"].value


def test_nights_of_small_edits_enrich_only_those_and_still_match_a_run_from_scratch(
    framework_file, firmographics_file, tmp_path
):
    """Sixty accounts, one edit a night: each night's result equals enriching its
    accounts from scratch, including the night an edit is undone and the night an
    account leaves."""
    offline = yaml.safe_load(Path(framework_file).read_text())
    offline["enrichment"]["providers"]["pdl"]["enabled"] = False
    Path(framework_file).write_text(yaml.safe_dump(offline))
    firmographics = FirmographicsFileResource(path=firmographics_file)
    memo, url = tmp_path / "memo", f"sqlite:///{tmp_path / 'night.sqlite'}"
    first = deduplicated([f"company{i}.com" for i in range(59)] + ["umbrella.org"])
    edited = first.copy()
    edited.loc[3, "domain"] = "umbrella.org"
    undone = edited.copy()
    undone.loc[3, "domain"] = "company3.com"
    undone.loc[5, "industry"] = "Retail"
    departed = undone.drop(index=7).reset_index(drop=True)
    enriched_each_night = [60, 2, 2, 0]
    for night, frame in enumerate([first, edited, undone, departed]):
        result = materialize(frame, framework_file, url, firmographics, memo)
        scratch_url = f"sqlite:///{tmp_path / f'scratch{night}.sqlite'}"
        scratch = materialize(
            frame, framework_file, scratch_url, firmographics, tmp_path / f"s{night}"
        )
        assert _comparable(result.asset_value("accounts_enriched")) == _comparable(
            scratch.asset_value("accounts_enriched")
        ), night
        for table in ("enrichment_provenance", "enrichment_non_matches"):
            assert _comparable(Warehouse(url).read_table(table)) == _comparable(
                Warehouse(scratch_url).read_table(table)
            ), (night, table)
        # Nights 1 and 2: the edit, and on the first a3's domain-mate on umbrella.org
        # (a59). Night 3: a7 left the CRM; nothing is enriched, its review rows go.
        enriched = metadata_of(result)["rows_recomputed"].value
        assert enriched == enriched_each_night[night], night


def test_an_account_without_an_id_is_enriched_every_night_and_its_review_rows_not_doubled(
    framework_file, firmographics_file, tmp_path
):
    offline = yaml.safe_load(Path(framework_file).read_text())
    offline["enrichment"]["providers"]["pdl"]["enabled"] = False
    Path(framework_file).write_text(yaml.safe_dump(offline))
    firmographics = FirmographicsFileResource(path=firmographics_file)
    url = f"sqlite:///{tmp_path / 'night.sqlite'}"
    frame = deduplicated(["umbrella.org", "nobody.org", "acme.com"])
    frame.loc[1, "account_id"] = None
    for _ in range(2):
        night = materialize(frame, framework_file, url, firmographics, tmp_path / "memo")
        assert night.success
    metadata = metadata_of(night)
    assert metadata["review_tables_write"].value == "replaced"
    assert metadata["rows_recomputed"].value == 1  # the one without an id
    queue = Warehouse(url).read_table("enrichment_non_matches")
    assert queue["account_id"].isna().sum() == 1


def test_a_domain_the_vendor_always_fails_on_holds_no_other_domain_back_on_retry_nights(
    pdl_server, framework_file, firmographics_file, tmp_path, monkeypatch
):
    """An outage leaves every PDL lookup for retry; from then on PDL fails every request
    that holds globex.io and answers the rest. The domains that waited with globex in one
    bulk request are answered the first night after the outage, and globex ends each
    night failed for PDL with the vendor's error as its reason, the only work left."""
    data = yaml.safe_load(Path(framework_file).read_text())
    enrichment = data["enrichment"]
    enrichment["providers"]["pdl"]["batch_size"] = 10  # PDL's four domains, one request
    # the bundled max_attempts (5) and failure_threshold (5), without the waits
    enrichment["retry"].update(base_delay_seconds=0.01, max_delay_seconds=0.02)
    Path(framework_file).write_text(yaml.safe_dump(data))
    monkeypatch.setenv("PDL_API_KEY", SECRET)
    monkeypatch.setenv("PDL_BASE_URL", pdl_server.url)
    firmographics = FirmographicsResource.from_environment(firmographics_file)
    url, memo = f"sqlite:///{tmp_path / 'night.sqlite'}", tmp_path / "memo"
    frame = deduplicated(["umbrella.org", "acme.com", "globex.io", "initech.co.uk", "nobody.org"])
    pdl_server.faults.errors = 10**9
    materialize(frame, framework_file, url, firmographics, memo)
    queue = Warehouse(url).read_table("enrichment_non_matches")
    assert set(queue["reason"]) == {"failed"} and len(queue) == 4

    pdl_server.reset()
    pdl_server.faults.error_domains = {"globex.io"}
    for night in range(3):
        result = materialize(frame, framework_file, url, firmographics, memo)
        assert result.success, night
        enriched = result.asset_value("accounts_enriched").set_index("account_id")
        assert (enriched.loc["a1", "industry"], enriched.loc["a1", "employees"]) == (
            "Software",
            120,
        ), night
        queue = Warehouse(url).read_table("enrichment_non_matches").set_index("account_id")
        assert queue["reason"].to_dict() == {
            "a2": "failed",  # globex
            "a3": "no_match",  # initech: under PDL's match cut-off
            "a4": "no_match",  # nobody
        }, night
        assert "pdl: failed (server error (HTTP 503)" in queue.loc["a2", "detail"], night
        if night:  # only globex is left to retry
            assert metadata_of(result)["rows_recomputed"].value == 1, night


def _vendor_nights(framework_file, firmographics_file, pdl_server, monkeypatch, **pdl):
    """PDL on, with `pdl` settings, the bundled retries and breaker without their waits;
    the firmographics resource and a `night(frame)` that materializes into one warehouse
    and state store."""
    data = yaml.safe_load(Path(framework_file).read_text())
    enrichment = data["enrichment"]
    enrichment["providers"]["pdl"].update(pdl)
    enrichment["retry"].update(base_delay_seconds=0.01, max_delay_seconds=0.02)
    enrichment["circuit_breaker"]["reset_after_seconds"] = 0.0
    Path(framework_file).write_text(yaml.safe_dump(data))
    monkeypatch.setenv("PDL_API_KEY", SECRET)
    monkeypatch.setenv("PDL_BASE_URL", pdl_server.url)
    firmographics = FirmographicsResource.from_environment(firmographics_file)
    home = Path(framework_file).parent
    url, memo = f"sqlite:///{home / 'night.sqlite'}", home / "memo"

    def night(frame: pd.DataFrame):
        pdl_server.log.clear()
        result = materialize(frame, framework_file, url, firmographics, memo)
        assert result.success
        queue = Warehouse(url).read_table("enrichment_non_matches").set_index("account_id")
        return result, queue["reason"].to_dict()

    return night


def _pdl_row(result) -> dict[str, str]:
    """PDL's row of the run's provider table: lookups, hits, misses, failed, skipped..."""
    table = metadata_of(result)["providers"].value.splitlines()
    names = [c.strip() for c in table[0].strip("|").split("|")]
    row = next(line for line in table if line.startswith("| pdl |"))
    return dict(zip(names, (c.strip() for c in row.strip("|").split("|")), strict=True))


def test_two_adjacent_domains_the_vendor_always_fails_on_park_it_one_night_not_every_night(
    pdl_server, framework_file, firmographics_file, monkeypatch
):
    """One domain per request: the first bad domain's retries open the breaker, the
    second's fail its probes and park PDL for the night, so the domains after them are
    skipped. The next nights ask the domains that failed alone last and once: every
    other domain is answered and PDL is not parked again."""
    night = _vendor_nights(
        framework_file, firmographics_file, pdl_server, monkeypatch, batch_size=1, concurrency=1
    )
    pdl_server.faults.error_domains = {"bad1.com", "bad2.com"}
    frame = deduplicated(
        ["acme.com", "bad1.com", "bad2.com", "globex.io", "company0.com", "company1.com"]
    )
    first, queue = night(frame)
    assert int(_pdl_row(first)["skipped"]) > 0  # parked: what followed bad2 was not asked
    answered = {"a1": "failed", "a2": "failed", "a4": "no_match", "a5": "no_match"}
    for number in (2, 3):
        result, queue = night(frame)
        assert queue == answered, number
        enriched = result.asset_value("accounts_enriched").set_index("account_id")
        assert enriched.loc["a3", "industry_source"] == "pdl", number
        assert _pdl_row(result)["skipped"] == "0", number
    # the third night asks only the two bad domains, each once
    assert pdl_server.domains_asked() == ["bad1.com", "bad2.com"]


def test_a_domain_the_vendor_always_fails_on_costs_no_batch_its_retries_on_later_nights(
    pdl_server, framework_file, firmographics_file, monkeypatch
):
    """The first night globex's batch costs its five attempts and each of its domains
    alone; from then on globex is asked after the others, once and alone, so a batch
    of new accounts goes in one request."""
    night = _vendor_nights(
        framework_file, firmographics_file, pdl_server, monkeypatch, batch_size=10
    )
    pdl_server.faults.error_domains = {"globex.io"}
    frame = deduplicated(["acme.com", "globex.io", "initech.co.uk", "nobody.org"])
    night(frame)
    assert [len(r.domains) for r in pdl_server.log] == [4] * 5 + [1] * 4
    grown = deduplicated([*frame["domain"], "company0.com", "company1.com"])
    _, queue = night(grown)
    # globex's file miss is cached, so PDL gets it in the round before the new domains
    assert sorted(r.domains for r in pdl_server.log) == [
        ("company0.com", "company1.com"),
        ("globex.io",),
    ]
    assert queue == {"a1": "failed", "a2": "no_match", "a3": "no_match", "a4": "no_match",
                     "a5": "no_match"}  # fmt: skip


def test_an_outage_after_a_domain_failed_alone_still_parks_the_provider(
    pdl_server, framework_file, firmographics_file, monkeypatch
):
    """Globex fails alone one night; the next night PDL fails everything: globex is
    asked once (its file miss is cached, so PDL gets it in an earlier round than the
    others) without counting, the other domains open the breaker and its failed probes
    park PDL. Both failing domains are remembered until PDL answers them."""
    night = _vendor_nights(
        framework_file, firmographics_file, pdl_server, monkeypatch, batch_size=1, concurrency=1
    )
    pdl_server.faults.error_domains = {"globex.io"}
    domains = ["globex.io", *(f"company{i}.com" for i in range(12))]
    night(deduplicated(domains[:1]))
    pdl_server.faults.errors = 10**9
    result, _ = night(deduplicated(domains))
    # company0 five times (the fifth opens it), then three failed probes: parked
    assert pdl_server.domains_asked() == ["globex.io"] + ["company0.com"] * 5 + ["company1.com"] * 3
    assert _pdl_row(result)["skipped"] == "11"
    cache = EnrichmentCache(f"sqlite:///{Path(framework_file).parent / 'night.sqlite'}")
    assert cache.failing(["pdl"]) == {"pdl": {"globex.io", "company0.com"}}
    pdl_server.reset()
    result, queue = night(deduplicated(domains))
    # every file answer is cached now: one round, the two failing domains last
    assert pdl_server.domains_asked()[-2:] == ["globex.io", "company0.com"]
    assert set(queue.values()) == {"no_match"} and _pdl_row(result)["skipped"] == "0"
    assert cache.failing(["pdl"]) == {}  # both answered again
