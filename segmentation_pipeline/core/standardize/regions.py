"""ISO country code -> sales region, from the framework's region map."""

from __future__ import annotations

from collections.abc import Mapping

from segmentation_pipeline.framework.standardization import StandardizationConfig


def region_for(code: object, region_by_country: Mapping[str, str] | None = None) -> str | None:
    """The region of one alpha-2 code (the bundled map unless one is given); None if unknown."""
    if not isinstance(code, str):
        return None
    table = region_by_country if region_by_country is not None else _default_regions()
    return table.get(code.strip().upper())


def _default_regions() -> Mapping[str, str]:
    return StandardizationConfig().tables().region_by_country
