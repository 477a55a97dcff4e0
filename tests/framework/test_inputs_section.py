"""The framework's inputs section: defaults equal the bundled YAML, bad values fail."""

import pytest
import yaml

from segmentation_pipeline.framework import (
    DEFAULT_FRAMEWORK_PATH,
    FrameworkError,
    load_framework,
    parse_framework,
)
from segmentation_pipeline.framework.inputs import InputsConfig


def bundled() -> dict:
    return yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())


def test_the_bundled_framework_expects_a_usage_feed_and_an_hour_of_clock_skew():
    inputs = load_framework().inputs
    assert inputs == InputsConfig()
    assert inputs.usage_feed is True
    assert inputs.future_tolerance_minutes == 60


def test_a_framework_file_without_an_inputs_section_gets_the_defaults():
    data = bundled()
    del data["inputs"]
    assert parse_framework(data).inputs == InputsConfig()


def test_a_deployment_can_say_it_has_no_usage_feed():
    data = bundled()
    data["inputs"]["usage_feed"] = False
    assert parse_framework(data).inputs.usage_feed is False


@pytest.mark.parametrize(
    "inputs",
    [{"future_tolerance_minutes": -1}, {"usage_feeds": True}],
)
def test_a_bad_inputs_section_fails_the_load(inputs):
    data = bundled()
    data["inputs"] = inputs
    with pytest.raises(FrameworkError, match="inputs"):
        parse_framework(data)
