"""Enrich: fill firmographic gaps through the framework's provider waterfall."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.change_set import full_pass_reason
from segmentation_pipeline.defs.assets._metadata import frame_metadata
from segmentation_pipeline.defs.enrichment import (
    enrich_changed_accounts,
    enrichment_metadata,
    keep_enrichment,
    write_review_tables,
)
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import (
    FirmographicsFileResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)

SNAPSHOT_COLUMN = "snapshot_month"


@dg.asset(
    group_name="inputs",
    kinds={"pandas", "sql"},
    partitions_def=monthly_partitions,
    description="Deduplicated accounts with empty firmographic fields filled by the provider "
    "waterfall, provenance next to every filled value; CRM values win. Writes the "
    "enrichment_cache, enrichment_conflicts, enrichment_non_matches and "
    "enrichment_provenance warehouse tables. Accounts whose row, cache answers and stale "
    "state are what the last run saw keep that run's result.",
)
def accounts_enriched(
    context: dg.AssetExecutionContext,
    accounts_deduplicated: pd.DataFrame,
    account_changes: pd.DataFrame,
    framework: FrameworkResource,
    firmographics: FirmographicsFileResource,
    warehouse: WarehouseResource,
    snapshots: SnapshotStoreResource,
) -> dg.MaterializeResult:
    client, store = warehouse.client(), snapshots.store()
    run = enrich_changed_accounts(
        firmographics, accounts_deduplicated, framework.load(), client, store,
        context.partition_key, full_pass=full_pass_reason(account_changes, True),
    )  # fmt: skip
    result = run.result
    written = write_review_tables(
        result, client, SNAPSHOT_COLUMN, context.partition_key,
        None if run.full else run.changed_ids,
    )  # fmt: skip
    keep_enrichment(store, run)
    context.log.info(
        "enriched %d accounts, carried %d over from the last run", run.enriched, run.carried_over
    )
    metadata = frame_metadata(
        result.accounts,
        ["account_id", "domain", "industry", "industry_source", "employees", "country_code"],
    )
    metadata.update(enrichment_metadata(result))
    metadata["rows_recomputed"] = dg.MetadataValue.int(run.enriched)
    metadata["full_pass_reason"] = run.full_pass_reason
    metadata["accounts_carried_over"] = dg.MetadataValue.int(run.carried_over)
    metadata["review_tables"] = dg.MetadataValue.json(written)
    metadata["review_tables_write"] = "replaced" if run.full else "changed accounts only"
    return dg.MaterializeResult(value=result.accounts, metadata=metadata)
