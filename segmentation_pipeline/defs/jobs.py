"""Jobs operators run."""

import dagster as dg

from segmentation_pipeline.defs.partitions import FRAMEWORK_VERSION_TAGS
from segmentation_pipeline.defs.resources import crm_kind

PIPELINE_GROUPS = ["inputs", "segmentation", "reports", "csm_and_revops"]
# The write-back only has somewhere to go when Salesforce is the CRM; on the embedded file
# CRM the nightly run stops at the warehouse and the reports.
WRITES_BACK = crm_kind() == "salesforce"
WRITE_BACKS = ["crm_segment_sync", "crm_duplicate_sync", "crm_enrichment_sync"]

# Runs carrying this tag are limited to one in progress by the instance (dagster.yaml).
WRITES_WAREHOUSE_TAG = {"segmentation/writes_warehouse": "true"}

segmentation_job = dg.define_asset_job(
    "segmentation_job",
    tags={**WRITES_WAREHOUSE_TAG, **FRAMEWORK_VERSION_TAGS},
    selection=dg.AssetSelection.groups(*PIPELINE_GROUPS)
    # The owners' digests go out through the alert sinks, whichever the CRM.
    | dg.AssetSelection.assets("owner_notifications")
    | dg.AssetSelection.assets(*(WRITE_BACKS if WRITES_BACK else [])),
    description="The nightly run: extract, prepare, enrich, score, assign, store, report"
    + (", write segment fields back to Salesforce." if WRITES_BACK else "."),
)
