"""Enrich: fill firmographic gaps from the configured provider."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.enrich import enrich_from_table
from segmentation_pipeline.defs.assets._metadata import frame_metadata, share_table
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import FirmographicsFileResource, FrameworkResource


@dg.asset(
    group_name="enrich",
    kinds={"pandas"},
    partitions_def=monthly_partitions,
    description="Deduplicated accounts with empty firmographic fields filled by the provider; "
    "CRM values always win.",
)
def accounts_enriched(
    context: dg.AssetExecutionContext,
    accounts_deduplicated: pd.DataFrame,
    framework: FrameworkResource,
    firmographics: FirmographicsFileResource,
) -> dg.MaterializeResult:
    result = enrich_from_table(accounts_deduplicated, firmographics.read(), framework.load())
    metadata = frame_metadata(
        result.accounts, ["account_id", "domain", "industry", "employees", "country_code"]
    )
    metadata["coverage_before"] = share_table(result.stats["coverage_before"])
    metadata["coverage_after"] = share_table(result.stats["coverage_after"])
    metadata["fields_filled"] = dg.MetadataValue.json(result.stats["fields_filled"])
    return dg.MaterializeResult(value=result.accounts, metadata=metadata)
