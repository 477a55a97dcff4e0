"""Governance metrics and their grading against the framework's thresholds.

Grades follow the methodology's Good / Warning / Red-flag bands; the Dagster layer
maps them to check severities (warning -> WARN, red -> ERROR).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.core.schema import UNKNOWN_INDUSTRY, UNSEGMENTED
from segmentation_pipeline.framework.models import Coverage, RisingBands


@dataclass(frozen=True)
class Grade:
    level: str  # "good" | "warning" | "red"
    value: float
    threshold: float
    rule: str

    @property
    def passed(self) -> bool:
        return self.level != "red"


def field_completeness(accounts: pd.DataFrame, fields: list[str]) -> dict[str, float]:
    """Share of accounts with a usable value; an 'Unknown' industry counts as empty."""
    n = len(accounts)
    result = {}
    for field in fields:
        present = accounts[field].notna()
        if field == "industry":
            present &= accounts[field].ne(UNKNOWN_INDUSTRY)
        result[field] = float(present.sum()) / n if n else 0.0
    return result


def grade_rising(value: float, bands: RisingBands) -> Grade:
    """Below minimum viable is red; below target is a warning."""
    if value < bands.minimum_viable:
        return Grade(
            "red", value, bands.minimum_viable, f"< minimum viable {bands.minimum_viable:.0%}"
        )
    if value < bands.target:
        return Grade("warning", value, bands.target, f"< target {bands.target:.0%}")
    return Grade("good", value, bands.target, f">= target {bands.target:.0%}")


def segment_coverage(assignments: pd.DataFrame) -> float:
    """Accounts with a segment assigned / all active accounts."""
    n = len(assignments)
    return float(assignments["segment"].ne(UNSEGMENTED).sum()) / n if n else 0.0


def grade_coverage(value: float, bands: Coverage) -> Grade:
    if value < bands.warning:
        return Grade("red", value, bands.warning, f"< {bands.warning:.0%}")
    if value < bands.good:
        return Grade("warning", value, bands.good, f"< {bands.good:.0%}")
    return Grade("good", value, bands.good, f">= {bands.good:.0%}")


def tier_distribution(assignments: pd.DataFrame) -> dict[str, float]:
    segmented = assignments[assignments["segment"].ne(UNSEGMENTED)]
    if segmented.empty:
        return {}
    return segmented["segment"].value_counts(normalize=True).sort_index().to_dict()
