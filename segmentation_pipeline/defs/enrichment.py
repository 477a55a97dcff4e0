"""Dagster wiring of the enrichment stage: the firmographics resource (offline file,
vendor credentials), the run, its metadata and review tables. Coverage is graded by the
governance check `enrichment_coverage` in `defs/checks.py`. Which vendors run, in what
order, at what price is the framework's `enrichment` section; this module only supplies
secrets and addresses.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
from pydantic import Field

from segmentation_pipeline.core.enrich import EnrichmentResult
from segmentation_pipeline.core.enrich.derived import refresh_derived
from segmentation_pipeline.defs.assets._metadata import share_table
from segmentation_pipeline.defs.resources import FirmographicsFileResource
from segmentation_pipeline.framework import Framework
from segmentation_pipeline.io.enrichment import enrich_accounts
from segmentation_pipeline.io.enrichment_cache import EnrichmentCache
from segmentation_pipeline.io.vendors import build_providers
from segmentation_pipeline.io.warehouse import Warehouse

REVIEW_TABLES = {
    "conflicts": "enrichment_conflicts",
    "non_matches": "enrichment_non_matches",
    "provenance": "enrichment_provenance",
}
# Values of any field share one column in the review tables, so they are kept as text.
_VALUE_COLUMNS = ("crm_value", "vendor_value", "value")
_SECRET_ENV = {"pdl": "PDL_API_KEY", "apollo": "APOLLO_API_KEY"}


class FirmographicsResource(FirmographicsFileResource):
    """Where firmographics come from: the offline file (`path`) plus the vendors' API keys
    (from the environment, via `EnvVar`) and API addresses.

    Keys go to every provider of that vendor kind in the framework; an empty base URL
    means the vendor's public API (tests and the demo point it at a local server). A
    plain `FirmographicsFileResource` in its place runs the offline file only.
    """

    pdl_api_key: str | None = Field(default=None, repr=False)
    apollo_api_key: str | None = Field(default=None, repr=False)
    pdl_base_url: str = ""
    apollo_base_url: str = ""

    @classmethod
    def from_environment(cls, path: str) -> FirmographicsResource:
        """Keys as `EnvVar`s when set, so they are read at run time and never stored."""
        keys = {
            f"{kind}_api_key": dg.EnvVar(name)
            for kind, name in _SECRET_ENV.items()
            if os.environ.get(name)
        }
        return cls(
            path=path,
            pdl_base_url=os.environ.get("PDL_BASE_URL", ""),
            apollo_base_url=os.environ.get("APOLLO_BASE_URL", ""),
            **keys,
        )


def run_enrichment(
    firmographics: FirmographicsFileResource,
    accounts: pd.DataFrame,
    framework: Framework,
    warehouse: Warehouse,
    now: datetime | None = None,
) -> EnrichmentResult:
    """Enrich the accounts; the cache and credit ledger live in the warehouse."""
    settings = framework.enrichment
    keys, urls = {}, {}
    for name, provider in settings.providers.items():
        if provider.kind == "file":
            continue
        keys[name] = getattr(firmographics, f"{provider.kind}_api_key", None)
        url = getattr(firmographics, f"{provider.kind}_base_url", "")
        if url:
            urls[name] = url
    providers = build_providers(settings, keys, base_urls=urls, file_path=firmographics.path)
    cache = EnrichmentCache(warehouse.engine)
    result = enrich_accounts(accounts, providers, cache, settings, now or datetime.now(UTC))
    return replace(result, accounts=refresh_derived(result.accounts, framework))


def _provider_table(providers: pd.DataFrame) -> dg.MetadataValue:
    lines = [
        "| provider | lookups | cache hits | hits | misses | failed | skipped | match rate "
        "| credits | requests |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in providers.itertuples(index=False):
        rate = "-" if pd.isna(row.match_rate) else f"{row.match_rate:.1%}"
        lines.append(
            f"| {row.provider} | {row.lookups} | {row.cache_hits} | {row.hits} | {row.misses} "
            f"| {row.failed} | {row.skipped} | {rate} | {row.credits:g} | {row.requests} |"
        )
    return dg.MetadataValue.md("\n".join(lines))


def enrichment_metadata(result: EnrichmentResult) -> dict:
    stats = result.stats
    cost = stats["cost_per_filled_field"]
    return {
        "coverage_before": share_table(stats["coverage_before"]),
        "coverage_after": share_table(stats["coverage_after"]),
        "providers": _provider_table(result.providers),
        "credits_by_provider": dg.MetadataValue.json(stats["credits_by_provider"]),
        "credits_spent": dg.MetadataValue.float(float(stats["credits_spent"])),
        "cost_per_filled_field": (
            dg.MetadataValue.float(float(cost))
            if cost is not None
            else dg.MetadataValue.text("no field filled")
        ),
        "fields_filled": dg.MetadataValue.int(stats["fields_filled"]),
        "vendor_requests": dg.MetadataValue.int(stats["requests"]),
        "accounts_needing_enrichment": dg.MetadataValue.json(
            {"total": stats["needing_enrichment"], **stats["by_reason"]}
        ),
        "conflicts": dg.MetadataValue.int(stats["conflicts"]),
        "non_matches": dg.MetadataValue.int(stats["non_matches"]),
        "budget": dg.MetadataValue.json(
            {
                "limit_reached": stats["budget_limit_reached"],
                "accounts_left": stats["accounts_left_by_budget"],
            }
        ),
    }


def write_review_tables(
    result: EnrichmentResult, warehouse: Warehouse, partition_column: str, month: str
) -> dict[str, int]:
    """Conflicts, the non-match queue and provenance, replaced for the month."""
    written = {}
    for attribute, table in REVIEW_TABLES.items():
        frame = getattr(result, attribute).copy()
        for column in _VALUE_COLUMNS:
            if column in frame.columns:
                frame[column] = [None if pd.isna(v) else str(v) for v in frame[column]]
        written[table] = warehouse.replace_partition(table, frame, partition_column, month)
    return written
