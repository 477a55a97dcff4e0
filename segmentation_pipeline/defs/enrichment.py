"""Dagster wiring of the enrichment stage: the firmographics resource (offline file,
vendor credentials), the run, its metadata and review tables. Coverage is graded by the
governance check `enrichment_coverage` in `defs/checks.py`. Which vendors run, in what
order, at what price is the framework's `enrichment` section; this module only supplies
secrets and addresses.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
from pydantic import Field

from segmentation_pipeline.core.change_set import CONTENT_HASH
from segmentation_pipeline.core.changes import SOURCE_HASH, row_hashes
from segmentation_pipeline.core.clock import as_utc
from segmentation_pipeline.core.columns import absent_from
from segmentation_pipeline.core.enrich import EnrichmentResult
from segmentation_pipeline.core.enrich.carry_over import (
    INPUT_HASH,
    LOOKUP_DOMAIN,
    LastEnrichment,
    carry_over,
    night_of,
    rows_to_enrich,
    uniquely_identified,
)
from segmentation_pipeline.core.enrich.derived import refresh_derived
from segmentation_pipeline.defs.assets._metadata import share_table
from segmentation_pipeline.defs.resources import FirmographicsFileResource
from segmentation_pipeline.framework import Framework
from segmentation_pipeline.io.enrichment import enrich_accounts
from segmentation_pipeline.io.enrichment_cache import EnrichmentCache
from segmentation_pipeline.io.state_store import StateStore, state_stamp
from segmentation_pipeline.io.vendors import Provider, build_providers
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


MEMO_NAME = "accounts_enriched"


def _providers(firmographics: FirmographicsFileResource, framework: Framework):
    settings = framework.enrichment
    keys, urls = {}, {}
    for name, provider in settings.providers.items():
        if provider.kind == "file":
            continue
        keys[name] = getattr(firmographics, f"{provider.kind}_api_key", None)
        url = getattr(firmographics, f"{provider.kind}_base_url", "")
        if url:
            urls[name] = url
    return build_providers(settings, keys, base_urls=urls, file_path=firmographics.path)


def _enrich(
    accounts: pd.DataFrame,
    providers: dict[str, Provider],
    framework: Framework,
    warehouse: Warehouse,
    now: datetime,
) -> EnrichmentResult:
    cache = EnrichmentCache(warehouse.engine)
    result = enrich_accounts(accounts, providers, cache, framework.enrichment, now)
    return replace(
        result,
        accounts=refresh_derived(result.accounts, framework),
        **{name: _values_as_text(getattr(result, name)) for name in REVIEW_TABLES},
    )


def enrichment_fingerprint(
    framework: Framework, firmographics: FirmographicsFileResource, providers: dict
) -> str:
    """What an enrichment result depends on besides its input rows, the cache, the code
    and the framework (the state store's stamp has those): the standardization tables
    (input rows are known by the hash of the CRM records they came from), the offline
    file (its size and modification time) and which vendors can be asked, at which address
    (never their keys)."""
    digest = hashlib.sha256(framework.standardization.tables_digest().encode())
    path = Path(firmographics.path) if firmographics.path else None
    if path is not None and path.exists():
        stat = path.stat()
        digest.update(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for name in sorted(providers):
        digest.update(f"{name}:{type(providers[name]).__name__}".encode())
    for kind in ("pdl", "apollo"):
        digest.update(str(getattr(firmographics, f"{kind}_base_url", "")).encode())
    return digest.hexdigest()[:16]


def input_hashes(accounts: pd.DataFrame) -> np.ndarray:
    """What identifies an input row's content: the hash dedup derived from the CRM
    records behind it (SOURCE_HASH), or, without one, a hash of the row itself."""
    if SOURCE_HASH in accounts.columns:
        return accounts[SOURCE_HASH].to_numpy(dtype=np.uint64)
    return row_hashes(accounts).to_numpy()


@dataclass(frozen=True)
class IncrementalEnrichment:
    result: EnrichmentResult
    night: LastEnrichment  # to keep once the review tables hold this result
    enriched: int  # accounts enriched this run
    carried_over: int  # accounts whose last result still held
    changed_ids: list[str]  # accounts whose review rows may differ (enriched or gone)
    full: bool  # the review tables' partition must be replaced whole
    stamp: dict  # the state store stamp the night is kept under
    full_pass_reason: str = ""  # why every account was enriched afresh ("" when carried)


_FRAMES = ("accounts", "provenance", "conflicts", "non_matches", "fetched")


def _load_last(store: StateStore, stamp: dict) -> LastEnrichment | None:
    """Last night's enrichment kept under tonight's stamp, or None."""
    run = store.load(f"{MEMO_NAME}/run", stamp, key="partition")
    frames = {name: store.load(f"{MEMO_NAME}/{name}", stamp) for name in _FRAMES}
    if run is None or run.empty or any(frame is None for frame in frames.values()):
        return None
    return LastEnrichment(
        enriched_at=as_utc(pd.Timestamp(run["enriched_at"].iloc[0]).to_pydatetime()),
        partition=run["partition"].iloc[0],
        retry_domains=tuple(json.loads(run["retry_domains"].iloc[0])),
        **frames,
    )


def keep_enrichment(store: StateStore, run: IncrementalEnrichment) -> None:
    """Keep tonight's result for tomorrow: the enriched rows of the accounts enriched again
    (or gone), the review rows and the night's details; nothing when every account was
    carried over and none left."""
    if not run.full and not run.changed_ids:
        return
    # The night's details go first and come back last: a night stopped between two saves
    # leaves no details, so the next night enriches afresh instead of carrying this
    # night's accounts with the last night's provenance.
    store.forget(f"{MEMO_NAME}/run")
    night = run.night
    changed = None if run.full else run.changed_ids
    for name in _FRAMES[:-1]:
        store.save(f"{MEMO_NAME}/{name}", run.stamp, getattr(night, name), changed)
    store.save(f"{MEMO_NAME}/fetched", run.stamp, night.fetched)
    details = {
        "enriched_at": [night.enriched_at.isoformat()],
        "partition": [night.partition],
        "retry_domains": [json.dumps(list(night.retry_domains))],
    }
    store.save(f"{MEMO_NAME}/run", run.stamp, pd.DataFrame(details), key="partition")


def _values_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Review rows with the values of any field as text (how the warehouse keeps them)."""
    frame = frame.copy()
    for column in _VALUE_COLUMNS:
        if column in frame.columns:
            frame[column] = [None if pd.isna(v) else str(v) for v in frame[column]]
    return frame


def enrich_changed_accounts(
    firmographics: FirmographicsFileResource,
    accounts: pd.DataFrame,
    framework: Framework,
    warehouse: Warehouse,
    store: StateStore,
    partition: str,
    now: datetime | None = None,
    full_pass: str | None = None,
) -> IncrementalEnrichment:
    """Enrich the accounts (the cache and credit ledger live in the warehouse), carrying
    over last night's result for every account whose row, cache answers and stale state
    are what that night saw (`core.enrich.carry_over`). Keep the night with
    `keep_enrichment` once the review tables are written."""
    now = as_utc(now or datetime.now(UTC))
    settings = framework.enrichment
    providers = _providers(firmographics, framework)
    stamp = state_stamp(
        framework, enrichment=enrichment_fingerprint(framework, firmographics, providers)
    )
    last = None if full_pass else _load_last(store, stamp)
    hashes = input_hashes(accounts)
    changed: set[str] = set()
    if last is not None:
        changed = EnrichmentCache(warehouse.engine).domains_changed(
            list(providers), last.enriched_at, now, settings.cache, last.fetched
        )
    reuse = rows_to_enrich(accounts, hashes, last, settings, now, changed)
    subset = accounts[reuse.enrich].reset_index(drop=True)
    fresh = _enrich(subset, providers, framework, warehouse, now)
    kept_columns = (
        [c for c in last.accounts if c not in (INPUT_HASH, LOOKUP_DOMAIN, CONTENT_HASH)]
        if last
        else []
    )
    if last is not None and list(fresh.accounts.columns) != kept_columns:
        # The accounts gained or lost a column: nothing of last night fits.
        last = None
        reuse = rows_to_enrich(accounts, hashes, None, settings, now, changed)
        subset, fresh = accounts, _enrich(accounts, providers, framework, warehouse, now)
    result, rows = carry_over(accounts, hashes, reuse, last, fresh, settings.filled_fields)
    changed_ids = list(subset["account_id"].astype(str))
    if last is not None:  # accounts that left since
        changed_ids += absent_from(
            last.accounts["account_id"].astype(str), accounts["account_id"].astype(str)
        )
    # Review rows are replaced by account id: without one id per account, replace them all.
    full = last is None or last.partition != partition or not uniquely_identified(accounts).all()
    if last is None:
        full_pass = full_pass or "no state under tonight's code and framework versions"
    return IncrementalEnrichment(
        result,
        night_of(result, rows, now, partition),
        int(reuse.enrich.sum()),
        reuse.carried,
        changed_ids,
        full,
        stamp,
        full_pass or "",
    )


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
    result: EnrichmentResult,
    warehouse: Warehouse,
    partition_column: str,
    month: str,
    changed_ids: list[str] | None = None,
) -> dict[str, int]:
    """Conflicts, the non-match queue and provenance for the month, in one transaction:
    replaced whole, or, given `changed_ids`, only those accounts' rows."""
    written = {}
    with warehouse.transaction() as tx:
        for attribute, table in REVIEW_TABLES.items():
            frame = getattr(result, attribute)
            if changed_ids is not None:
                frame = frame[frame["account_id"].isin(set(changed_ids))]
            if changed_ids is None:
                written[table] = tx.replace_partition(
                    table, frame, partition_column, month, key_column="account_id"
                )
            else:
                written[table] = tx.replace_partition_keys(
                    table, frame, partition_column, month, "account_id", changed_ids
                )
    return written
