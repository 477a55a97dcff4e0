"""Distribution drift between two monthly snapshots.

The population stability index compares two distributions over the same bins:
PSI = sum((actual - expected) * ln(actual / expected)). Empty bins are floored at a tiny
share so a tier that appears or vanishes gives a large, finite PSI instead of infinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation_pipeline.core.schema import UNSEGMENTED
from segmentation_pipeline.framework.models import Drift

EMPTY_BIN_SHARE = 1e-4


def psi(expected: dict[str, float], actual: dict[str, float]) -> float:
    """PSI of two share distributions keyed by bin; bins missing on one side count as empty."""
    total = 0.0
    for key in sorted(set(expected) | set(actual)):
        e = max(expected.get(key, 0.0), EMPTY_BIN_SHARE)
        a = max(actual.get(key, 0.0), EMPTY_BIN_SHARE)
        total += (a - e) * math.log(a / e)
    return total


def _shares(values: pd.Series) -> dict[str, float]:
    if values.empty:
        return {}
    return {str(k): float(v) for k, v in values.value_counts(normalize=True).items()}


def _tiers(assignments: pd.DataFrame) -> pd.Series:
    """The computed tier where the snapshot has one: an account held at its tier while its
    move waits in the review queue (segment_transitions) has drifted all the same."""
    column = "computed_segment" if "computed_segment" in assignments else "segment"
    return assignments[column].fillna(UNSEGMENTED)


def tier_shares(assignments: pd.DataFrame) -> dict[str, float]:
    """Share of every segment, Unsegmented included: losing coverage is drift too."""
    return _shares(_tiers(assignments))


def composite_bins(scores: pd.Series, edges: list[float]) -> pd.Series:
    """Bin labels such as '[2.5, 3.0)'; the outer bins are open-ended."""
    bounds = [-np.inf, *edges, np.inf]
    labels = [f"[{lo:g}, {hi:g})" for lo, hi in zip(bounds, bounds[1:], strict=False)]
    numbers = pd.to_numeric(scores, errors="coerce").dropna()
    return pd.cut(numbers, bins=bounds, labels=labels, right=False).astype(str)


def tier_change_share(previous: pd.DataFrame, current: pd.DataFrame) -> tuple[float, int]:
    """Of the accounts present in both snapshots, the share whose segment changed."""
    joined = (
        previous[["account_id"]]
        .assign(segment=_tiers(previous))
        .merge(
            current[["account_id"]].assign(segment=_tiers(current)),
            on="account_id",
            suffixes=("_prev", "_curr"),
        )
    )
    if joined.empty:
        return 0.0, 0
    changed = joined["segment_prev"] != joined["segment_curr"]
    return float(changed.mean()), len(joined)


def drift_level(value: float, config: Drift) -> str:
    """'stable' up to the warn threshold, 'warning' up to the alert threshold, then 'alert'."""
    if value > config.psi_alert:
        return "alert"
    if value > config.psi_warn:
        return "warning"
    return "stable"


@dataclass(frozen=True)
class DriftReport:
    tier_psi: float
    composite_psi: float
    tier_change_share: float
    accounts_compared: int
    level: str  # the worse of the two PSI levels
    previous_tiers: dict[str, float]
    current_tiers: dict[str, float]

    def as_dict(self) -> dict:
        return {
            "tier_psi": round(self.tier_psi, 4),
            "composite_psi": round(self.composite_psi, 4),
            "tier_change_share": round(self.tier_change_share, 4),
            "accounts_compared": self.accounts_compared,
            "level": self.level,
            "previous_tiers": {k: round(v, 4) for k, v in sorted(self.previous_tiers.items())},
            "current_tiers": {k: round(v, 4) for k, v in sorted(self.current_tiers.items())},
        }


_ORDER = {"stable": 0, "warning": 1, "alert": 2}


def measure_drift(previous: pd.DataFrame, current: pd.DataFrame, config: Drift) -> DriftReport:
    """Tier PSI, composite-score PSI and tier churn of `current` against `previous`."""
    prev_tiers, curr_tiers = tier_shares(previous), tier_shares(current)
    tier_value = psi(prev_tiers, curr_tiers)
    edges = list(config.composite_bin_edges)
    score_value = psi(
        _shares(composite_bins(previous["composite_score"], edges)),
        _shares(composite_bins(current["composite_score"], edges)),
    )
    changed, compared = tier_change_share(previous, current)
    level = max(drift_level(tier_value, config), drift_level(score_value, config), key=_ORDER.get)
    return DriftReport(tier_value, score_value, changed, compared, level, prev_tiers, curr_tiers)
