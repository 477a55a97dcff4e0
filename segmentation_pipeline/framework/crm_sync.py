"""The `crm_sync` section of the framework: what the write-back to the CRM carries beyond
the segment fields, and by which policy.

* `duplicates`: a folded duplicate gets `Duplicate_Of__c` (its survivor's Id) and, under
  `survivor_segment`, the survivor's segment fields too, so no record shows a blank tier;
  under `none` only the link.
* `enriched_fields`: enriched firmographics written back, one entry per pipeline column:
  `fill_blank` writes only where the CRM field is empty (a person's value wins),
  `overwrite` replaces it; only values a provider supplied with at least
  `min_confidence` are written, and never a blank.

The enriched fields default to the bundled YAML's; the other defaults here equal its
`crm_sync` section (a test holds them together).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from segmentation_pipeline.framework.section import bundled

DuplicatePolicy = Literal["survivor_segment", "none"]
FieldPolicy = Literal["fill_blank", "overwrite"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnrichedField(_Strict):
    column: str = Field(min_length=1)
    crm_field: str = Field(min_length=1)
    policy: FieldPolicy = "fill_blank"
    min_confidence: float = Field(0.0, ge=0, le=1)


class CrmSyncPolicy(_Strict):
    duplicates: DuplicatePolicy = "survivor_segment"
    duplicate_of_field: str = "Duplicate_Of__c"
    enriched_fields: list[EnrichedField] = bundled("crm_sync", "enriched_fields")
