"""Enrich: fill firmographic gaps through the framework's provider waterfall."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.defs.assets._metadata import frame_metadata
from segmentation_pipeline.defs.enrichment import (
    enrichment_metadata,
    run_enrichment,
    write_review_tables,
)
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import (
    FirmographicsFileResource,
    FrameworkResource,
    WarehouseResource,
)

SNAPSHOT_COLUMN = "snapshot_month"


@dg.asset(
    group_name="enrich",
    kinds={"pandas", "sql"},
    partitions_def=monthly_partitions,
    description="Deduplicated accounts with empty firmographic fields filled by the provider "
    "waterfall, provenance next to every filled value; CRM values win. Writes the "
    "enrichment_cache, enrichment_conflicts, enrichment_non_matches and "
    "enrichment_provenance warehouse tables.",
)
def accounts_enriched(
    context: dg.AssetExecutionContext,
    accounts_deduplicated: pd.DataFrame,
    framework: FrameworkResource,
    firmographics: FirmographicsFileResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    client = warehouse.client()
    result = run_enrichment(firmographics, accounts_deduplicated, framework.load(), client)
    written = write_review_tables(result, client, SNAPSHOT_COLUMN, context.partition_key)
    metadata = frame_metadata(
        result.accounts,
        ["account_id", "domain", "industry", "industry_source", "employees", "country_code"],
    )
    metadata.update(enrichment_metadata(result))
    metadata["review_tables"] = dg.MetadataValue.json(written)
    return dg.MaterializeResult(value=result.accounts, metadata=metadata)
