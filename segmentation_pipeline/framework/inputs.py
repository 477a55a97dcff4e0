"""The `inputs` section of the framework: which input feeds a deployment has, and how far
past the present a CRM timestamp may lie before the record carrying it is rejected.

Kept in its own module so the input contract adds one field to `Framework`; the defaults
here equal the bundled YAML's `inputs` section (a test holds them together).
"""

from __future__ import annotations

from pydantic import Field

from segmentation_pipeline.framework.section import Section


class InputsConfig(Section):
    usage_feed: bool = True
    """A product usage feed is expected (product_usage.csv on the file CRM). A missing,
    empty or header-only feed then fails the run; false says the deployment has none and
    behavioral scores take their unknown points."""
    future_tolerance_minutes: int = Field(default=60, ge=0)
    """A CreatedDate or SystemModstamp later than now plus this (clock skew between the
    CRM and this machine) is not believed: the record is rejected and its stamp never
    advances the high-water mark."""
