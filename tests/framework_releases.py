"""The bundled framework's versions, for tests of a framework change.

Tests name the versions through these, not as literals: a test that replaces a literal
`version` line keeps the bundled version, unnoticed, once the bundled file moves on, and
its "candidate" is the deployed framework itself. A module of its own, not conftest: a
test that imports from `conftest` gets whichever conftest pytest imported last (the one
in tests/reliability has the same module name).
"""

from segmentation_pipeline.framework import load_framework
from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

BUNDLED_VERSION = load_framework().version
# Every bundled framework a release has shipped: version -> the settings digest a deployment
# that ran it recorded (pipeline_state `applied_frameworks`). Changing the bundled file's
# settings means a new version, added here (docs/governance.md, "Bundled framework
# versions"): under its old version, every deployment on the bundled file would stop its
# next night as "applied before with other settings".
RELEASED_BUNDLED_FRAMEWORKS = {
    "2026.1": "0b3eca9d7145fb7e",
    "2026.2": "5638b97fca5aa9f1",  # the methodology's own picklist labels
}
_head, _, _last = BUNDLED_VERSION.rpartition(".")
NEXT_VERSION = f"{_head}.{int(_last) + 1}"  # newer than the bundled one, as numbers


def bundled_framework_as(version: str) -> str:
    """The bundled framework file's text with `version` in place of its own."""
    text = DEFAULT_FRAMEWORK_PATH.read_text()
    line = f'version: "{BUNDLED_VERSION}"\n'
    assert text.count(line) == 1, f"the bundled file has no line {line!r}"
    return text.replace(line, f'version: "{version}"\n')
