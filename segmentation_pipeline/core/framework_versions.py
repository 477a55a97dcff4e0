"""Which of two framework versions is newer, when their text says so.

Versions are free text in the framework file ("2026.1", "acme-7"). Dotted or dashed
numbers compare as numbers (2026.10 is newer than 2026.9, where text order says older);
anything else is only "another" version.
"""

from __future__ import annotations

import re
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
