"""Which of two framework versions is newer, when their text says so.

Versions are free text in the framework file ("2026.1", "acme-7"). Dotted or dashed
numbers compare as numbers (2026.10 is newer than 2026.9, where text order says older);
anything else is only "another" version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

Order = Literal["older", "same", "newer", "other"]


def _numbers(version: str) -> tuple[int, ...] | None:
    parts = re.split(r"[.\-_]", version.strip().lstrip("vV"))
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def version_order(version: str, reference: str) -> Order:
    """How `version` stands against `reference`: older, same, newer, or other (no order)."""
    if version == reference:
        return "same"
    mine, theirs = _numbers(version), _numbers(reference)
    if mine is None or theirs is None:
        return "other"
    return "older" if mine < theirs else "newer" if mine > theirs else "same"


def framework_mismatch(
    applied: Mapping[str, Mapping[str, str]], version: str, digest: str, bundled: bool
) -> str | None:
    """Why a night cannot apply this framework beside what earlier nights applied
    (`applied`: version -> {"digest": ...}), or None. One version is one content: else the
    months, history and runs tagged with it mean two different frameworks. And the bundled
    file is not loaded behind the back of a newer adopted one (its file lost or unmounted):
    the nights would quietly step back to the bundled framework."""
    earlier = applied.get(version)
    if earlier is not None and earlier.get("digest") != digest:
        return (
            f"framework version {version} was applied before with other settings; bump "
            "`version` so runs, snapshots and history tell the two frameworks apart"
        )
    newer = sorted(v for v in applied if version_order(v, version) == "newer")
    if bundled and newer:
        return (
            f"the bundled framework {version} is loaded, but earlier nights applied "
            f"{', '.join(newer)}: the adopted framework file is missing; restore it, or "
            "adopt the framework to apply (segmentation-pipeline framework adopt)"
        )
    return None
