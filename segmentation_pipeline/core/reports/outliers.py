"""Outliers by rule: accounts whose ARR or composite score sits far from their segment's
band, so someone looks at them before the segment decides how they are served (a $100K+
account in Tier 3 gets automated emails only).

The ARR limits and the score margin are the framework's `reporting.outliers`; a segment's
score band is [its tier's min_score, the next higher tier's min_score).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from segmentation_pipeline.core.explanations import display_scores
from segmentation_pipeline.core.reports.capacity import owner_labels
from segmentation_pipeline.core.reports.grouping import ACCOUNTS_AND_ARR, totals_by
from segmentation_pipeline.core.reports.texts import formatted_once, money_texts
from segmentation_pipeline.framework.models import Tier
from segmentation_pipeline.framework.reporting import Outliers

OUTLIER_COLUMNS: tuple[str, ...] = (
    "account_id",
    "name",
    "owner_id",
    "owner",
    "segment",
    "tier_label",
    "arr",
    "composite_score",
    "rule",
    "limit",
    "detail",
)
# What `outliers` reads of the assignments: the table's own columns and the owner's name.
OUTLIER_INPUT_COLUMNS: tuple[str, ...] = (*OUTLIER_COLUMNS, "owner_name")
ARR_HIGH = "arr_high_for_segment"
ARR_LOW = "arr_low_for_segment"
SCORE_OUTSIDE = "score_outside_band"


def score_bands(tiers: Sequence[Tier]) -> dict[str, tuple[float, float]]:
    """Segment -> (lowest score, score where the next tier up starts; inf for the top)."""
    ordered = sorted(tiers, key=lambda t: t.min_score)
    uppers = [t.min_score for t in ordered[1:]] + [np.inf]
    return {t.name: (t.min_score, upper) for t, upper in zip(ordered, uppers, strict=True)}


def outliers(assignments: pd.DataFrame, tiers: Sequence[Tier], rules: Outliers) -> pd.DataFrame:
    """One row per (account, rule it breaks): an account can break an ARR rule and the
    score rule at once. Accounts without ARR or score break no rule on that measure."""
    arr = pd.to_numeric(assignments["arr"], errors="coerce")
    score = pd.to_numeric(assignments["composite_score"], errors="coerce")
    # Looked up per segment, not per row: a map over a million texts costs seconds.
    segment = assignments["segment"].astype("category")
    bands = score_bands(tiers)
    lower = segment.map({s: b[0] for s, b in bands.items()}).astype("float64")
    upper = segment.map({s: b[1] for s, b in bands.items()}).astype("float64")
    below = lower - score > rules.score_margin
    high = segment.map(rules.arr_at_least).astype("float64")
    low = segment.map(rules.arr_below).astype("float64")
    band_texts = {
        s: f" outside {s} band [{lo:g}, {hi:g}) by more than {rules.score_margin:g}"
        for s, (lo, hi) in bands.items()
    }

    def arr_detail(sign: str) -> Callable[[pd.DataFrame], pd.Series]:
        return lambda hit: (
            "ARR " + money_texts(hit["arr"], millions=False) + f" {sign} "
            + money_texts(hit["limit"], millions=False) + " in " + hit["segment"].astype(str)
        )  # fmt: skip

    def score_detail(hit: pd.DataFrame) -> pd.Series:
        score_text = formatted_once(display_scores(hit["composite_score"]), "{:.2f}".format)
        return "score " + score_text + hit["segment"].map(band_texts).astype(object)

    # (rule, which accounts break it, their limit, their detail)
    found = [
        (ARR_HIGH, arr >= high, high, arr_detail(">=")),
        (ARR_LOW, arr < low, low, arr_detail("<")),
        (SCORE_OUTSIDE, below | (score - upper > rules.score_margin), lower.where(below, upper),
         score_detail),
    ]  # fmt: skip
    # The table's columns only: the assignments carry four times as many.
    taken = [c for c in OUTLIER_INPUT_COLUMNS if c in assignments]
    measures = assignments[taken].assign(arr=arr, composite_score=score)
    parts = []
    for rule, mask, limit, describe in found:
        hit = measures[mask.to_numpy(dtype=bool)]
        hit = hit.assign(rule=rule, limit=limit[hit.index])
        parts.append(hit.assign(detail=describe(hit).to_numpy(dtype=object)))
    table = pd.concat(parts, ignore_index=True).assign(owner=lambda t: owner_labels(t))
    table = table.reindex(columns=list(OUTLIER_COLUMNS))
    return table.sort_values(["rule", "segment", "arr"], ascending=[True, True, False]).reset_index(
        drop=True
    )


COUNTED_COLUMNS = ("rule", "segment", *dict.fromkeys(c for c, _ in ACCOUNTS_AND_ARR.values()))


def outlier_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Accounts and ARR per (rule, segment): the dashboard panel and metadata preview. It
    reads COUNTED_COLUMNS of the table alone."""
    return totals_by(table, ["rule", "segment"], **ACCOUNTS_AND_ARR)
