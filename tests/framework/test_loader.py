"""The framework file: the bundled default loads; each kind of mistake fails at load with
one error that names the field."""

import copy
from pathlib import Path

import pytest
import yaml
from framework_releases import RELEASED_BUNDLED_FRAMEWORKS

from segmentation_pipeline.core.framework_versions import framework_mismatch
from segmentation_pipeline.framework import (
    DEFAULT_FRAMEWORK_PATH,
    FrameworkError,
    load_framework,
    parse_framework,
)
from segmentation_pipeline.framework.loader import settings_digest


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())


def test_default_framework_carries_the_methodology_numbers():
    fw = load_framework()
    w = fw.scoring.weights
    assert (w.firmographic, w.behavioral, w.value) == (0.25, 0.40, 0.35)
    assert [(t.name, t.min_score, t.service_model) for t in fw.tiers] == [
        ("Tier 1", 4.0, "high_touch"),
        ("Tier 2", 2.5, "low_touch"),
        ("Tier 3", 0.0, "tech_touch"),
    ]
    assert fw.firmographic.rubric_tiers.tier_1_min_points == 16
    assert fw.firmographic.rubric_tiers.tier_2_min_points == 10
    assert [(b.name, b.min, b.max) for b in fw.arr_tiers] == [
        ("SMB", 0, 25000),
        ("Mid-Market", 25000, 100000),
        ("Enterprise", 100000, None),
    ]
    gov = fw.governance
    assert (gov.key_field_completeness.minimum_viable, gov.key_field_completeness.target) == (
        0.60,
        0.80,
    )
    assert gov.key_field_completeness.ideal == 0.95
    assert (gov.segment_coverage.good, gov.segment_coverage.warning) == (0.95, 0.80)
    assert gov.concentration_max == 0.60
    assert (gov.duplicate_rate.minimum_viable, gov.duplicate_rate.target) == (0.10, 0.05)
    assert gov.duplicate_rate.ideal == 0.02
    assert gov.min_accounts_per_segment == 10
    assert fw.service_models["high_touch"].csm_ratio.min == 15
    assert fw.version


def test_a_user_file_is_loaded_from_its_path(tmp_path: Path, raw: dict):
    raw["version"] = "acme-7"
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert load_framework(path).version == "acme-7"


def test_an_edited_file_is_read_afresh_and_a_broken_edit_fails_every_time(
    tmp_path: Path, raw: dict
):
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert load_framework(path).version == raw["version"]
    raw["version"] = "acme-8"
    path.write_text(yaml.safe_dump(raw))
    assert load_framework(path).version == "acme-8"
    raw["scoring"]["weights"]["value"] = 0.9
    path.write_text(yaml.safe_dump(raw))
    for _ in range(2):
        with pytest.raises(FrameworkError, match="weights"):
            load_framework(path)


def _error(data: dict) -> str:
    with pytest.raises(FrameworkError) as info:
        parse_framework(data, "my.yaml")
    return str(info.value)


def test_weights_not_summing_to_one_name_the_weights(raw: dict):
    raw["scoring"]["weights"]["value"] = 0.45
    message = _error(raw)
    assert "scoring.weights" in message
    assert "sum to 1.0" in message and "1.1" in message


def test_overlapping_bands_name_the_criterion(raw: dict):
    raw["firmographic"]["company_size"]["bands"][1]["max"] = 1200  # 500-1200 overlaps 1000+
    message = _error(raw)
    assert "firmographic.company_size" in message
    assert "overlap" in message


def test_a_gap_between_bands_is_named(raw: dict):
    raw["value"]["current_arr"]["bands"][2]["max"] = 45000  # 25K-45K then 50K-100K
    message = _error(raw)
    assert "value.current_arr" in message and "gap" in message


def test_non_monotonic_points_name_the_criterion(raw: dict):
    raw["behavioral"]["nps"]["bands"][1]["points"] = 5  # 5, 5, 3, ... does not strictly fall
    message = _error(raw)
    assert "behavioral.nps" in message and "strictly" in message


def test_tier_cutoffs_out_of_order_are_named(raw: dict):
    raw["tiers"][1]["min_score"] = 4.5
    message = _error(raw)
    assert "tiers" in message and "min_score" in message


def test_a_last_tier_that_does_not_start_at_zero_is_named(raw: dict):
    """Scores below it would still land in it: the cut-off would be ignored unsaid."""
    raw["tiers"][2]["min_score"] = 1.5
    assert "tiers.2.min_score" in _error(raw) and "must be 0, got 1.5" in _error(raw)


def test_a_timezone_that_is_not_an_iana_zone_is_named(raw: dict):
    """Read as is, it crashed every run and every load of the definitions."""
    raw["timezone"] = "Mars/Olympus"
    assert "timezone: 'Mars/Olympus' is not an IANA time zone" in _error(raw)


def test_rubric_tier_points_out_of_order_are_named(raw: dict):
    raw["value"]["rubric_tiers"]["tier_2_min_points"] = 17
    assert "value.rubric_tiers" in _error(raw)


def test_unknown_key_is_named(raw: dict):
    raw["governance"]["concentration_maximum"] = 0.5
    message = _error(raw)
    assert "governance.concentration_maximum: unknown key" in message


def test_wrong_type_is_named(raw: dict):
    raw["governance"]["min_accounts_per_segment"] = "ten"
    message = _error(raw)
    assert "governance.min_accounts_per_segment" in message
    assert "integer" in message


def test_missing_field_is_named(raw: dict):
    del raw["scoring"]["weights"]["behavioral"]
    assert "scoring.weights.behavioral: required field is missing" in _error(raw)


def test_tier_pointing_at_an_unknown_service_model_is_named(raw: dict):
    raw["tiers"][0]["service_model"] = "white_glove"
    message = _error(raw)
    assert "tiers.0.service_model" in message and "white_glove" in message


def test_rising_governance_thresholds_must_rise(raw: dict):
    raw["governance"]["key_field_completeness"]["target"] = 0.99
    assert "governance.key_field_completeness" in _error(raw)


def test_error_is_one_line_naming_the_file(raw: dict):
    raw["scoring"]["weights"]["value"] = 0.5
    message = _error(raw)
    assert message.startswith("my.yaml: invalid framework:")
    assert "\n" not in message


def test_unreadable_and_non_yaml_files_fail_clearly(tmp_path: Path):
    with pytest.raises(FrameworkError, match="cannot read framework file"):
        load_framework(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("scoring: [unclosed")
    with pytest.raises(FrameworkError, match=r"not valid YAML: .* \(line 1, column 19\)$"):
        load_framework(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(FrameworkError, match="must be a mapping"):
        load_framework(listy)


def test_default_file_is_not_mutated_by_parsing(raw: dict):
    before = copy.deepcopy(raw)
    parse_framework(raw)
    assert raw == before


def test_a_key_given_twice_is_named_not_overwritten_by_the_second(tmp_path: Path):
    """The second `provisional_days` silently won: the file read as something else."""
    path = tmp_path / "twice.yaml"
    text = DEFAULT_FRAMEWORK_PATH.read_text()
    path.write_text(text.replace("  provisional_days: 30\n", "  provisional_days: 30\n" * 2))
    twice = r"not valid YAML: the key 'provisional_days' is given twice \(line \d+, column 3\)$"
    with pytest.raises(FrameworkError, match=twice):
        load_framework(path)


def test_the_settings_digest_follows_the_settings_written_not_comments_or_layout(tmp_path: Path):
    text = DEFAULT_FRAMEWORK_PATH.read_text()
    commented = tmp_path / "commented.yaml"
    commented.write_text("# a note for the reviewers\n" + text.replace(": ", ":   ", 3))
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("  provisional_days: 30\n", "  provisional_days: 45\n"))
    assert settings_digest(commented) == settings_digest(DEFAULT_FRAMEWORK_PATH)
    assert settings_digest(edited) != settings_digest(DEFAULT_FRAMEWORK_PATH)


def test_the_bundled_file_changes_its_settings_only_under_a_new_version():
    """A deployment on the bundled file recorded its settings under its version; a release
    that changed them under the same version stops every such deployment's next night.
    A new version starts the night, whichever released version came before it."""
    version = load_framework().version
    digest = settings_digest(DEFAULT_FRAMEWORK_PATH)
    assert RELEASED_BUNDLED_FRAMEWORKS.get(version) == digest, (
        f"the bundled framework {version} has the settings {digest}: bump `version` and "
        "add it to RELEASED_BUNDLED_FRAMEWORKS (docs/governance.md)"
    )
    applied = {v: {"digest": d} for v, d in RELEASED_BUNDLED_FRAMEWORKS.items()}
    assert framework_mismatch(applied, version, digest, bundled=True) is None
