"""The code location's single entry point."""

import os

import dagster as dg

from segmentation_pipeline.defs.alerts import alert_sink_from_env
from segmentation_pipeline.defs.assets import ALL_ASSETS
from segmentation_pipeline.defs.assets.impact import framework_change_impact
from segmentation_pipeline.defs.assets.notifications import owner_notifications
from segmentation_pipeline.defs.assets.review import segment_review
from segmentation_pipeline.defs.backfill import rescore_job
from segmentation_pipeline.defs.checks import all_checks
from segmentation_pipeline.defs.enrichment import FirmographicsResource
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.jobs import segmentation_job
from segmentation_pipeline.defs.notification_sensors import at_risk_account_sensor
from segmentation_pipeline.defs.resources import (
    SAMPLE_CRM_FOLDER,
    FileCrmResource,
    FrameworkResource,
    SnapshotStoreResource,
    crm_kind,
    warehouse_resource,
)
from segmentation_pipeline.defs.review_jobs import review_decisions_job
from segmentation_pipeline.defs.salesforce import (
    SalesforceCrmResource,
    crm_duplicate_sync,
    crm_enrichment_sync,
    crm_segment_sync,
    merge_candidates,
    salesforce_resource_from_env,
)
from segmentation_pipeline.defs.schedules import ALL_SCHEDULES, GOVERNANCE_JOBS
from segmentation_pipeline.defs.sensors import ALL_SENSORS


def default_resources() -> dict:
    """Embedded defaults: bundled sample CRM, offline firmographics, SQLite warehouse.
    Environment variables point each at an operator's own files or database."""
    crm_folder = os.environ.get("SEGMENTATION_CRM_FOLDER", SAMPLE_CRM_FOLDER)
    warehouse = warehouse_resource()
    salesforce = salesforce_resource_from_env()
    crm = FileCrmResource(folder=crm_folder)
    if crm_kind() == "salesforce":
        usage_folder = os.environ.get("SEGMENTATION_USAGE_FOLDER", "")
        crm = SalesforceCrmResource(
            salesforce=salesforce,
            usage_folder=usage_folder,
            framework_path=os.environ.get("SEGMENTATION_FRAMEWORK", ""),
        )
    return {
        "io_manager": FrameFilesystemIOManager(),
        "framework": FrameworkResource(path=os.environ.get("SEGMENTATION_FRAMEWORK", "")),
        "crm": crm,
        "salesforce": salesforce,
        "firmographics": FirmographicsResource.from_environment(
            path=os.environ.get(
                "SEGMENTATION_FIRMOGRAPHICS_FILE", os.path.join(crm_folder, "firmographics.csv")
            )
        ),
        "warehouse": warehouse,
        "alerts": alert_sink_from_env(warehouse),
        "snapshots": SnapshotStoreResource(
            base_dir=os.environ.get("SEGMENTATION_SNAPSHOT_DIR", SnapshotStoreResource().base_dir)
        ),
    }


defs = dg.Definitions(
    assets=[
        *ALL_ASSETS,
        crm_segment_sync,
        crm_duplicate_sync,
        crm_enrichment_sync,
        merge_candidates,
        framework_change_impact,
        segment_review,
        owner_notifications,
    ],
    asset_checks=all_checks(),
    jobs=[segmentation_job, rescore_job, review_decisions_job, *GOVERNANCE_JOBS],
    schedules=ALL_SCHEDULES,
    sensors=[*ALL_SENSORS, at_risk_account_sensor],
    resources=default_resources(),
)
