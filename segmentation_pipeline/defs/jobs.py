"""Jobs operators run."""

import dagster as dg

segmentation_job = dg.define_asset_job(
    "segmentation_job",
    selection=dg.AssetSelection.groups(
        "extract", "prepare", "enrich", "segment", "warehouse", "report", "governance"
    ),
    description="The nightly run: extract, prepare, enrich, score, assign, store, report.",
)
