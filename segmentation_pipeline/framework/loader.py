"""Load and validate a framework file into a `Framework`."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from segmentation_pipeline.framework.models import Framework

DEFAULT_FRAMEWORK_PATH = Path(str(resources.files("segmentation_pipeline.framework"))) / (
    "default_framework.yaml"
)


ADOPTED_FILE_NAME = "framework.yaml"


class FrameworkError(ValueError):
    """A framework file that cannot be used; the message names the file and the field."""


def deployed_framework_path(environ: Mapping[str, str] = os.environ) -> Path:
    """The deployment's framework file, the one the code location loads: the file
    SEGMENTATION_FRAMEWORK names, else the file `segmentation-pipeline framework adopt`
    put under SEGMENTATION_HOME, else the bundled default."""
    if environ.get("SEGMENTATION_FRAMEWORK"):
        return Path(environ["SEGMENTATION_FRAMEWORK"])
    adopted = Path(environ.get("SEGMENTATION_HOME", ".segmentation")) / ADOPTED_FILE_NAME
    return adopted if adopted.exists() else DEFAULT_FRAMEWORK_PATH


def _dotted(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _describe(error: dict) -> str:
    field = _dotted(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{field}: unknown key"
    if kind == "missing":
        return f"{field}: required field is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"


def parse_framework(data: object, source: str = "<framework>") -> Framework:
    if not isinstance(data, dict):
        raise FrameworkError(f"{source}: the framework must be a mapping of keys, got {data!r:.60}")
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(e) for e in exc.errors()]
        raise FrameworkError(f"{source}: invalid framework: " + "; ".join(problems)) from None


def load_framework(path: str | Path | None = None) -> Framework:
    """Read a framework YAML file; `None` means the bundled default."""
    file = Path(path) if path else DEFAULT_FRAMEWORK_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrameworkError(f"{file}: cannot read framework file ({exc.strerror})") from None
    return _parse_text(text, str(file))


def settings_digest(path: str | Path) -> str:
    """A fingerprint of the settings a framework file writes down (not its comments or
    layout, and not the defaults a release fills in for keys it leaves out): a new release
    adding a setting does not make an unchanged file a different framework."""
    return _settings_digest_of(Path(path).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def _settings_digest_of(text: str) -> str:
    """Parsing the file is a tenth of a second, every night; the same text once."""
    data = yaml.load(text, Loader=_UniqueKeyLoader)
    canonical = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _parse_text(text: str, source: str) -> Framework:
    """Every asset of a run loads the framework; parsing and validating it once per
    distinct text saves a fifth of a second each time. Frameworks are frozen, so sharing
    one is safe; a file that fails raises every time (errors are not cached)."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{source}: not valid YAML: {_one_line(exc)}") from None
    return parse_framework(data, source)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping: otherwise the last
    one wins unsaid (a second `scoring:` section replaces the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _one_line(error: yaml.YAMLError) -> str:
    """What is wrong and where, without PyYAML's quoted excerpt of the file."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(error).split())
