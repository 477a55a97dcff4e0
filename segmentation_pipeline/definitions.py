"""The code location's single entry point."""

import os

import dagster as dg

from segmentation_pipeline.defs.assets import ALL_ASSETS
from segmentation_pipeline.defs.checks import key_field_completeness_check, segment_coverage_check
from segmentation_pipeline.defs.jobs import segmentation_job
from segmentation_pipeline.defs.resources import (
    DEFAULT_WAREHOUSE_URL,
    SAMPLE_CRM_FOLDER,
    FileCrmResource,
    FirmographicsFileResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)


def default_resources() -> dict:
    """Embedded defaults: bundled sample CRM, offline firmographics, SQLite warehouse.
    Environment variables point each at an operator's own files or database."""
    crm_folder = os.environ.get("SEGMENTATION_CRM_FOLDER", SAMPLE_CRM_FOLDER)
    return {
        "framework": FrameworkResource(path=os.environ.get("SEGMENTATION_FRAMEWORK", "")),
        "crm": FileCrmResource(folder=crm_folder),
        "firmographics": FirmographicsFileResource(
            path=os.environ.get(
                "SEGMENTATION_FIRMOGRAPHICS_FILE", os.path.join(crm_folder, "firmographics.csv")
            )
        ),
        "warehouse": WarehouseResource(
            url=os.environ.get("SEGMENTATION_WAREHOUSE_URL", DEFAULT_WAREHOUSE_URL)
        ),
        "snapshots": SnapshotStoreResource(
            base_dir=os.environ.get("SEGMENTATION_SNAPSHOT_DIR", SnapshotStoreResource().base_dir)
        ),
    }


defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=[segment_coverage_check, key_field_completeness_check],
    jobs=[segmentation_job],
    resources=default_resources(),
)
