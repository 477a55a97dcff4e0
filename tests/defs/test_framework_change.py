"""Adoption writes the candidate where the code location loads its framework, and only a
candidate that says it is another version."""

from pathlib import Path

import pytest
from framework_releases import BUNDLED_VERSION, NEXT_VERSION, bundled_framework_as

from segmentation_pipeline.defs.framework_change import adopt_file, adoption_target
from segmentation_pipeline.framework.loader import FrameworkError


def candidate(folder: Path, version: str) -> Path:
    path = folder / f"framework_{version}.yaml"
    path.write_text(bundled_framework_as(version))
    return path


def test_the_bundled_default_is_never_overwritten_the_home_file_is_written_instead(tmp_path):
    home = {"SEGMENTATION_HOME": str(tmp_path / "home")}
    assert adoption_target(home) == tmp_path / "home" / "framework.yaml"
    named = {**home, "SEGMENTATION_FRAMEWORK": str(tmp_path / "deployed.yaml")}
    assert adoption_target(named) == tmp_path / "deployed.yaml"


def test_a_new_version_replaces_the_deployed_file(tmp_path):
    target = tmp_path / "home" / "framework.yaml"
    adopted = adopt_file(candidate(tmp_path, NEXT_VERSION), BUNDLED_VERSION, target)
    assert adopted.version == NEXT_VERSION
    assert target.read_text() == candidate(tmp_path, NEXT_VERSION).read_text()
    assert [p.name for p in target.parent.iterdir()] == ["framework.yaml"]  # no partial file


def test_the_deployed_version_again_is_refused_and_nothing_is_written(tmp_path):
    target = tmp_path / "framework.yaml"
    with pytest.raises(FrameworkError, match="bump `version`"):
        adopt_file(candidate(tmp_path, BUNDLED_VERSION), BUNDLED_VERSION, target)
    assert not target.exists()
