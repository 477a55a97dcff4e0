"""The base of the framework sections kept in their own modules (standardization, dedup):
strict like the rest of the framework (an unknown key fails the load) and frozen; and the
bundled framework file, where a default too long to write as a literal is read from."""

import copy
import functools
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

BUNDLED_FILE = Path(__file__).with_name("default_framework.yaml")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.cache
def _bundled() -> dict:
    return yaml.safe_load(BUNDLED_FILE.read_text(encoding="utf-8"))


def bundled(*path: str):
    """A field whose default is the bundled file's value at `path`: one copy of the
    default, which a file that leaves the setting out gets (validated like any value)."""

    def default() -> object:
        node = _bundled()
        for key in path:
            node = node[key]
        return copy.deepcopy(node)

    return Field(default_factory=default, validate_default=True)
