"""The Dagster layer: assets, checks, resources, jobs, schedules, sensors."""
