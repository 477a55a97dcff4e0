"""The code location's single entry point."""

import os

import dagster as dg

from segmentation_pipeline.defs.assets import ALL_ASSETS
from segmentation_pipeline.defs.checks import key_field_completeness_check, segment_coverage_check
from segmentation_pipeline.defs.enrichment import EnrichmentResource
from segmentation_pipeline.defs.enrichment_check import enrichment_coverage_check
from segmentation_pipeline.defs.jobs import segmentation_job
from segmentation_pipeline.defs.resources import (
    DEFAULT_WAREHOUSE_URL,
    SAMPLE_CRM_FOLDER,
    FileCrmResource,
    FirmographicsFileResource,
    FrameworkResource,
    WarehouseResource,
)
from segmentation_pipeline.defs.salesforce import (
    SalesforceCrmResource,
    crm_segment_sync,
    salesforce_resource_from_env,
)


def default_resources() -> dict:
    """Embedded defaults: bundled sample CRM, offline firmographics, SQLite warehouse.
    Environment variables point each at an operator's own files or database."""
    crm_folder = os.environ.get("SEGMENTATION_CRM_FOLDER", SAMPLE_CRM_FOLDER)
    warehouse = WarehouseResource(
        url=os.environ.get("SEGMENTATION_WAREHOUSE_URL", DEFAULT_WAREHOUSE_URL)
    )
    salesforce = salesforce_resource_from_env()
    crm = FileCrmResource(folder=crm_folder)
    if os.environ.get("SEGMENTATION_CRM") == "salesforce":
        usage_folder = os.environ.get("SEGMENTATION_USAGE_FOLDER", "")
        crm = SalesforceCrmResource(
            salesforce=salesforce, warehouse=warehouse, usage_folder=usage_folder
        )
    return {
        "framework": FrameworkResource(path=os.environ.get("SEGMENTATION_FRAMEWORK", "")),
        "crm": crm,
        "salesforce": salesforce,
        "firmographics": FirmographicsFileResource(
            path=os.environ.get(
                "SEGMENTATION_FIRMOGRAPHICS_FILE", os.path.join(crm_folder, "firmographics.csv")
            )
        ),
        "enrichment": EnrichmentResource.from_environment(),
        "warehouse": warehouse,
    }


defs = dg.Definitions(
    assets=[*ALL_ASSETS, crm_segment_sync],
    asset_checks=[segment_coverage_check, key_field_completeness_check, enrichment_coverage_check],
    jobs=[segmentation_job],
    resources=default_resources(),
)
