"""The quarterly segment review pack: distribution, migrations, drift and threshold fit.

Input is the stored monthly snapshots (one row per account and month, with
`snapshot_month`); nothing here reads a CRM.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.core.drift import DriftReport, measure_drift
from segmentation_pipeline.core.impact import paired_segments
from segmentation_pipeline.core.schema import UNSEGMENTED
from segmentation_pipeline.framework.models import Framework

MONTH = "snapshot_month"
SCORED_STATUSES = ("segmented", "provisional")


@dataclass(frozen=True)
class ReviewPack:
    months: list[str]
    distribution: pd.DataFrame  # snapshot_month, segment, accounts, share
    migrations: pd.DataFrame  # before, after, accounts (all pairs, staying included)
    drift: DriftReport | None  # None when there is no earlier snapshot to compare with
    threshold_fit: pd.DataFrame  # tier, min_score, share, band_min, band_max, in_band, ...
    compared: tuple[str | None, str]  # (previous quarter's last month, this quarter's last)


def distribution_by_month(snapshots: pd.DataFrame) -> pd.DataFrame:
    counts = (
        snapshots.assign(segment=snapshots["segment"].fillna(UNSEGMENTED))
        .groupby([MONTH, "segment"])
        .size()
        .rename("accounts")
        .reset_index()
    )
    counts["share"] = counts["accounts"] / counts.groupby(MONTH)["accounts"].transform("sum")
    return counts.sort_values([MONTH, "segment"]).reset_index(drop=True)


def threshold_fit(assignments: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Each tier's share of scored accounts against its band, and the composite cut-off
    that would put the tier at the middle of its band given this quarter's scores."""
    scored = assignments[
        assignments["status"].isin(SCORED_STATUSES) & assignments["composite_score"].notna()
    ]
    composite = scored["composite_score"].astype(float)
    shares = scored["segment"].value_counts(normalize=True)
    bands = framework.governance.tier_distribution
    rows, cumulative = [], 0.0
    for position, tier in enumerate(framework.tiers):
        band = bands.get(tier.name)
        share = float(shares.get(tier.name, 0.0))
        suggested = None
        if band is not None and position < len(framework.tiers) - 1 and len(composite):
            cumulative += (band.min + band.max) / 2
            suggested = round(float(composite.quantile(max(0.0, 1 - cumulative))), 2)
        rows.append(
            {
                "tier": tier.name,
                "min_score": tier.min_score,
                "share": round(share, 4),
                "band_min": band.min if band else None,
                "band_max": band.max if band else None,
                "in_band": bool(band and band.min <= share <= band.max),
                "suggested_min_score": suggested,
            }
        )
    return pd.DataFrame(rows)


def review_pack(
    snapshots: pd.DataFrame, quarter_months: list[str], framework: Framework
) -> ReviewPack:
    """`snapshots` holds this quarter's months and, when stored, earlier ones; the last
    stored month before the quarter is the baseline for migrations and drift."""
    in_quarter = snapshots[snapshots[MONTH].isin(quarter_months)]
    if in_quarter.empty:
        raise ValueError(f"no stored snapshot for any of {', '.join(quarter_months)}")
    months = sorted(in_quarter[MONTH].unique())
    last = in_quarter[in_quarter[MONTH] == months[-1]]
    earlier = sorted(m for m in snapshots[MONTH].unique() if m < min(quarter_months))
    baseline_month = earlier[-1] if earlier else None
    if baseline_month is None:
        baseline, drift = last.iloc[0:0], None
    else:
        baseline = snapshots[snapshots[MONTH] == baseline_month]
        drift = measure_drift(baseline, last, framework.monitoring.drift)
    migrations = (
        paired_segments(baseline, last)
        .groupby(["segment_before", "segment_after"])
        .size()
        .rename("accounts")
        .reset_index()
        .rename(columns={"segment_before": "before", "segment_after": "after"})
    )
    return ReviewPack(
        months=months,
        distribution=distribution_by_month(in_quarter),
        migrations=migrations,
        drift=drift,
        threshold_fit=threshold_fit(last, framework),
        compared=(baseline_month, months[-1]),
    )
