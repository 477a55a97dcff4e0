"""The framework's enrichment section: defaults in code and YAML agree; bad wiring fails."""

import pytest
import yaml

from segmentation_pipeline.framework import (
    DEFAULT_FRAMEWORK_PATH,
    FrameworkError,
    load_framework,
    parse_framework,
)
from segmentation_pipeline.framework.enrichment import EnrichmentSettings


def raw() -> dict:
    return yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"))


def test_yaml_section_repeats_the_model_defaults():
    assert load_framework().enrichment == EnrichmentSettings()


def test_section_may_be_left_out():
    data = raw()
    del data["enrichment"]
    assert parse_framework(data).enrichment == EnrichmentSettings()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda e: e["field_groups"]["industry"]["providers"].append("zoominfo"),
            "field_groups.industry.providers: 'zoominfo' is not one of",
        ),
        (
            lambda e: e["field_groups"]["size"]["fields"].append("industry"),
            "field 'industry' already belongs to group industry",
        ),
        (
            lambda e: e["conflicts"]["overwrite"].update({"clearbit": ["industry"]}),
            "conflicts.overwrite: 'clearbit' is not a provider",
        ),
        (lambda e: e["cache"].update({"miss_days": 120}), "miss_days must not exceed hit_days"),
        (
            lambda e: e["providers"]["pdl"].update({"secret": "x"}),
            "enrichment.providers.pdl.secret: unknown key",
        ),
        (
            lambda e: e["field_groups"]["geography"].update({"min_confidence": 1.5}),
            "enrichment.field_groups.geography.min_confidence",
        ),
    ],
)
def test_bad_enrichment_config_is_refused_with_the_field_named(change, message):
    data = raw()
    change(data["enrichment"])
    with pytest.raises(FrameworkError) as error:
        parse_framework(data)
    assert message in str(error.value)


def test_a_key_field_must_have_a_waterfall():
    data = raw()
    data["enrichment"]["field_groups"].pop("geography")
    with pytest.raises(FrameworkError, match="key_fields: 'country_code' is in no field group"):
        parse_framework(data)
