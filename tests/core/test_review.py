"""The quarterly review pack from stored monthly snapshots."""

import pandas as pd
import pytest

from segmentation_pipeline.core.review import review_pack, threshold_fit

QUARTER = ["2025-04-01", "2025-05-01", "2025-06-01"]


def month(key: str, segments: list[str], scores: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "snapshot_month": key,
            "account_id": [f"A{i}" for i in range(len(segments))],
            "name": "x",
            "segment": segments,
            "composite_score": scores,
            "status": "segmented",
        }
    )


def test_threshold_fit_suggests_cut_offs_that_centre_each_tier_in_its_band(framework):
    scores = [i * 0.5 for i in range(11)]  # 0.0 .. 5.0: the q-quantile is 5q
    tiers = ["Tier 1" if s >= 4 else "Tier 2" if s >= 2.5 else "Tier 3" for s in scores]
    fit = threshold_fit(month("2025-06-01", tiers, scores), framework).set_index("tier")
    # Tier 1 band 15-25%: middle 20% -> 80th percentile = 4.0.
    assert fit.loc["Tier 1", "suggested_min_score"] == 4.0
    # Tier 1 + Tier 2 middle shares 20% + 47.5% -> 32.5th percentile = 1.625.
    assert fit.loc["Tier 2", "suggested_min_score"] == pytest.approx(1.62, abs=0.01)
    assert fit.loc["Tier 1", "share"] == round(3 / 11, 4)
    assert not fit.loc["Tier 1", "in_band"]


def test_review_pack_compares_the_quarter_end_with_the_previous_quarter_end(framework):
    snapshots = pd.concat(
        [
            month("2025-03-01", ["Tier 1", "Tier 2", "Tier 2", "Tier 3"], [4.5, 3, 3, 2]),
            month("2025-04-01", ["Tier 1", "Tier 2", "Tier 2", "Tier 3"], [4.5, 3, 3, 2]),
            month("2025-06-01", ["Tier 1", "Tier 1", "Tier 2", "Tier 3"], [4.5, 4.2, 3, 2]),
        ]
    )
    pack = review_pack(snapshots, QUARTER, framework)
    assert pack.months == ["2025-04-01", "2025-06-01"]
    assert pack.compared == ("2025-03-01", "2025-06-01")
    assert {(r.before, r.after): r.accounts for r in pack.migrations.itertuples()} == {
        ("Tier 1", "Tier 1"): 1,
        ("Tier 2", "Tier 1"): 1,
        ("Tier 2", "Tier 2"): 1,
        ("Tier 3", "Tier 3"): 1,
    }
    assert pack.drift.tier_change_share == 0.25
    june = pack.distribution[pack.distribution["snapshot_month"] == "2025-06-01"]
    assert dict(zip(june["segment"], june["accounts"], strict=True)) == {
        "Tier 1": 2,
        "Tier 2": 1,
        "Tier 3": 1,
    }


def test_the_first_quarter_has_no_baseline(framework):
    pack = review_pack(month("2025-04-01", ["Tier 2"], [3.0]), QUARTER, framework)
    assert pack.drift is None and pack.compared == (None, "2025-04-01")
    assert pack.migrations.to_dict("records") == [
        {"before": "(absent)", "after": "Tier 2", "accounts": 1}
    ]
