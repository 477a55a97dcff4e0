"""The `crm_sync` framework section: defaults equal the bundled YAML; policies are checked."""

import pydantic
import pytest

from segmentation_pipeline.framework.crm_sync import CrmSyncPolicy, EnrichedField
from segmentation_pipeline.framework.loader import load_framework


def test_the_bundled_section_equals_the_defaults():
    assert load_framework().crm_sync == CrmSyncPolicy()


def test_an_unknown_policy_fails_the_load():
    with pytest.raises(pydantic.ValidationError, match="duplicates"):
        CrmSyncPolicy(duplicates="merge")
    with pytest.raises(pydantic.ValidationError, match="policy"):
        EnrichedField(column="industry", crm_field="Industry", policy="append")
