"""segmentation-pipeline: a Dagster code location that keeps a B2B customer base segmented."""
