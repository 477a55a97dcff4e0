from typing import get_args

import pytest
import yaml

from segmentation_pipeline.core.products import USAGE_COLUMNS
from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH, FrameworkError, parse_framework
from segmentation_pipeline.framework.dedup import DedupConfig, UsageSignal


def framework_with(**section) -> dict:
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())
    data["dedup"] = {**data["dedup"], **section}
    return data


def test_yaml_defaults_equal_the_model_defaults():
    assert parse_framework(framework_with()).dedup == DedupConfig()


def test_name_points_pick_the_first_band_reached():
    config = DedupConfig()
    assert [config.name_points_for(s) for s in (100, 99, 90, 12)] == [5.0, 4.5, 4.0, -4.0]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {
                "name_points": [
                    {"min_similarity": 80, "points": 1},
                    {"min_similarity": 90, "points": 2},
                    {"min_similarity": 0, "points": -1},
                ]
            },
            "must strictly fall",
        ),  # fmt: skip
        ({"name_points": [{"min_similarity": 90, "points": 2}]}, "must start at min_similarity 0"),
        ({"survivorship": ["oldest", "oldest"]}, "listed once"),
        ({"survivorship": ["loudest"]}, "dedup.survivorship.0"),
        ({"exclusive_fields": ["owner_id"]}, "dedup.exclusive_fields.0"),
        ({"domain": {"agree": 5, "conflict": 2}}, "dedup.domain.conflict"),
        ({"window": 0}, "dedup.window"),
        ({"merged_usage": {"nps": {"how": "weighted_mean"}}}, "required by weighted_mean"),
        ({"merged_usage": {"nps": {"how": "sum", "weight": "active_users"}}}, "only by it"),
        ({"merged_usage": {"nps": {"how": "median"}}}, "dedup.merged_usage.nps.how"),
        ({"latest_fields": ["created_date"]}, "dedup.latest_fields.0"),
    ],
)
def test_bad_sections_are_rejected_naming_the_field(section, message):
    with pytest.raises(FrameworkError, match=message):
        parse_framework(framework_with(**section))


def test_a_merged_usage_without_a_rule_for_every_usage_column_is_rejected():
    rules = DedupConfig().model_dump()["merged_usage"]
    del rules["open_tickets"]
    with pytest.raises(FrameworkError, match="merged_usage: no rule for open_tickets"):
        parse_framework(framework_with(merged_usage=rules))


def test_merged_usage_rules_name_exactly_the_numeric_usage_columns():
    assert set(get_args(UsageSignal)) == set(USAGE_COLUMNS) - {"account_id", "product"}
