"""The framework's reporting section: defaults equal the bundled YAML, bad values fail."""

import pytest
import yaml

from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH, FrameworkError, parse_framework
from segmentation_pipeline.framework.reporting import Reporting


def _data() -> dict:
    return yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())


def test_model_defaults_equal_the_bundled_yaml(framework):
    assert framework.reporting == Reporting()


def test_a_framework_file_without_a_reporting_section_gets_the_defaults():
    data = _data()
    del data["reporting"]
    assert parse_framework(data).reporting == Reporting()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"breakdowns": ["industry", "shoe_size"]}, "reporting.breakdowns.1"),
        ({"migration_lookback_months": 0}, "reporting.migration_lookback_months"),
        ({"dashboard_month": 12}, "reporting.dashboard_month: unknown key"),
        ({"outliers": {"arr_below": {"Tier 9": 1}}}, "reporting.outliers.arr_below.Tier 9"),
        (
            {"sub_segments": [{"segment": "Gold", "name": "Gold+", "min_arr": 1}]},
            "reporting.sub_segments.0.segment: 'Gold' is not a tier name",
        ),
        ({"dashboard_copies": {"keep_months": 0}}, "reporting.dashboard_copies.keep_months"),
    ],
)
def test_bad_reporting_settings_fail_at_load_naming_the_field(change, message):
    data = _data()
    data["reporting"].update(change)
    with pytest.raises(FrameworkError, match=message):
        parse_framework(data)
