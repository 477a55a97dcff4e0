"""Jobs operators run."""

import dagster as dg

from segmentation_pipeline.defs.partitions import monthly_partitions

segmentation_job = dg.define_asset_job(
    "segmentation_job",
    selection=dg.AssetSelection.groups(
        "extract", "prepare", "enrich", "segment", "warehouse", "report", "governance"
    ),
    partitions_def=monthly_partitions,
    description="The nightly run: extract, prepare, enrich, score, assign, store, report.",
)
