"""Population stability index and tier churn between two snapshots."""

import math

import pandas as pd
import pytest

from segmentation_pipeline.core.drift import (
    composite_bins,
    drift_level,
    measure_drift,
    psi,
    tier_change_share,
)


def snapshot(
    segments: list[str], scores: list[float], ids: list[str] | None = None
) -> pd.DataFrame:
    ids = ids or [f"A{i}" for i in range(len(segments))]
    return pd.DataFrame({"account_id": ids, "segment": segments, "composite_score": scores})


def test_psi_by_hand():
    # (0.25-0.5)*ln(0.25/0.5) + (0.75-0.5)*ln(0.75/0.5)
    expected = 0.25 * math.log(2) + 0.25 * math.log(1.5)
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.25, "b": 0.75}) == pytest.approx(expected)
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0.0


def test_a_bin_that_appears_gives_a_large_finite_psi():
    value = psi({"a": 1.0}, {"a": 0.5, "b": 0.5})
    assert math.isfinite(value) and value > 0.25


@pytest.mark.parametrize(
    ("value", "level"), [(0.1, "stable"), (0.1001, "warning"), (0.25, "warning"), (0.2501, "alert")]
)
def test_levels_warn_above_0_1_and_alert_above_0_25(framework, value, level):
    assert drift_level(value, framework.monitoring.drift) == level


def test_composite_bins_are_half_open_with_open_outer_bins():
    bins = composite_bins(pd.Series([1.0, 2.5, 2.49, 4.9]), [2.5, 4.0])
    assert bins.tolist() == ["[-inf, 2.5)", "[2.5, 4)", "[-inf, 2.5)", "[4, inf)"]


def test_tier_change_share_counts_accounts_present_in_both_months():
    previous = snapshot(["Tier 1", "Tier 2", "Tier 2", "Tier 3"], [4, 3, 3, 2])
    current = snapshot(
        ["Tier 1", "Tier 3", "Tier 2", "Tier 3", "Tier 1"],
        [4, 2, 3, 2, 5],
        ["A0", "A1", "A2", "A3", "NEW"],
    )
    assert tier_change_share(previous, current) == (0.25, 4)


def test_measure_drift_of_an_unchanged_month_is_stable(framework):
    month = snapshot(["Tier 1", "Tier 2", "Tier 3", "Unsegmented"], [4.2, 3.0, 1.5, None])
    report = measure_drift(month, month.copy(), framework.monitoring.drift)
    assert (report.tier_psi, report.composite_psi, report.level) == (0.0, 0.0, "stable")


def test_measure_drift_flags_a_shifted_distribution(framework):
    previous = snapshot(["Tier 2"] * 8 + ["Tier 3"] * 2, [3.0] * 8 + [2.0] * 2)
    current = snapshot(["Tier 2"] * 4 + ["Tier 3"] * 6, [3.0] * 4 + [2.0] * 6)
    report = measure_drift(previous, current, framework.monitoring.drift)
    # Tier PSI: (0.4-0.8)ln(0.4/0.8) + (0.6-0.2)ln(0.6/0.2) = 0.2773 + 0.4394
    assert report.tier_psi == pytest.approx(0.4 * math.log(2) + 0.4 * math.log(3))
    assert report.level == "alert"
    assert report.tier_change_share == 0.4
