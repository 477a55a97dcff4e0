"""One framework per run: the scoring assets' code_version is the version the code location
loaded, and the resource applies no framework of another version."""

from pathlib import Path

import pytest

from segmentation_pipeline.defs.alert_rules import run_failure_line
from segmentation_pipeline.defs.partitions import FRAMEWORK_PATH, FRAMEWORK_VERSION
from segmentation_pipeline.defs.resources import FrameworkResource
from segmentation_pipeline.framework.loader import (
    DEFAULT_FRAMEWORK_PATH,
    FrameworkError,
    deployed_framework_path,
)


def other_version(folder: Path, version: str = "2099.1") -> Path:
    path = folder / "framework_other.yaml"
    path.write_text(
        DEFAULT_FRAMEWORK_PATH.read_text().replace(
            f'version: "{FRAMEWORK_VERSION}"', f'version: "{version}"'
        )
    )
    return path


def test_the_resource_applies_the_code_locations_file_by_default():
    assert FrameworkResource().load().version == FRAMEWORK_VERSION
    assert deployed_framework_path() == FRAMEWORK_PATH


def test_a_file_of_another_version_is_refused_in_one_line(tmp_path):
    other = other_version(tmp_path)
    with pytest.raises(FrameworkError) as refused:
        FrameworkResource(path=str(other)).load()
    message = str(refused.value)
    assert "\n" not in message
    assert "framework version 2099.1, but this code location was loaded with " in message
    assert "framework adopt" in message


def test_a_run_configured_with_another_version_fails_naming_both(governance, tmp_path):
    governance.framework_path = str(other_version(tmp_path))
    result = governance.run("2025-01-01")
    assert not result.success
    line = run_failure_line(governance.instance, result.run_id)
    assert line.startswith("FAILURE in ")
    assert (
        f"framework version 2099.1, but this code location was loaded with {FRAMEWORK_VERSION}"
        in line
    )


def test_the_deployed_file_is_the_env_file_else_the_adopted_one_else_the_default(tmp_path):
    home = tmp_path / "home"
    assert deployed_framework_path({"SEGMENTATION_HOME": str(home)}) == DEFAULT_FRAMEWORK_PATH
    home.mkdir()
    (home / "framework.yaml").write_text("adopted")
    assert deployed_framework_path({"SEGMENTATION_HOME": str(home)}) == home / "framework.yaml"
    named = {"SEGMENTATION_HOME": str(home), "SEGMENTATION_FRAMEWORK": "/etc/fw.yaml"}
    assert deployed_framework_path(named) == Path("/etc/fw.yaml")
