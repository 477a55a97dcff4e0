"""The segmentation framework: versioned YAML validated into pydantic models."""

from segmentation_pipeline.framework.loader import (
    DEFAULT_FRAMEWORK_PATH,
    FrameworkError,
    load_framework,
    parse_framework,
)
from segmentation_pipeline.framework.models import Framework

__all__ = [
    "DEFAULT_FRAMEWORK_PATH",
    "Framework",
    "FrameworkError",
    "load_framework",
    "parse_framework",
]
