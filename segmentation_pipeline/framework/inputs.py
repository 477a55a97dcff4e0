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
    usage_min_matched_share: float = Field(default=0.5, ge=0, le=1)
    """At least this share of the usage feed's rows must name an account of the accounts
    export (or a duplicate merged into one), in either form of its Salesforce Id. A feed
    keyed by other ids (a product's own customer key) would match nothing and turn every
    behavioral score into the unknown default: the run fails instead, naming the feed."""
    future_tolerance_minutes: int = Field(default=60, ge=0)
    """A CreatedDate or SystemModstamp later than now plus this (clock skew between the
    CRM and this machine) is not believed: the record is rejected and its stamp never
    advances the high-water mark."""
