"""Each failing check explains itself in one sentence: what was measured against what
threshold (in the methodology's words) and the first thing to check."""

import pandas as pd

from segmentation_pipeline.core.governance import (
    GUIDANCE,
    assess_duplicate_rate,
    assess_tier_distribution,
    explain,
    guidance_for,
)


def test_duplicate_rate_says_the_rate_the_target_and_where_to_look(framework):
    survivors = pd.DataFrame({"account_id": [f"S{i}" for i in range(15)], "name": "x"})
    audit = pd.DataFrame({"account_id": ["D1"], "survivor_id": ["S3"]})  # 1 of 16: 6.25%
    result = assess_duplicate_rate(survivors, audit, framework.governance.duplicate_rate)
    assert explain("duplicate_rate", result) == (
        "duplicate rate 6.2% >= target 5% (methodology: dedup before segmentation; dupes "
        "skew segment distribution): look at account_merge_audit's top rules and the "
        "survivors with the most duplicates"
    )


def test_tier_distribution_names_the_tier_outside_its_band(framework):
    # 3 / 20 Tier 1 (15%), 12 / 20 Tier 2 (60% > 55%), 5 / 20 Tier 3 (25%).
    segments = ["Tier 1"] * 3 + ["Tier 2"] * 12 + ["Tier 3"] * 5
    frame = pd.DataFrame({"account_id": range(20), "segment": segments})
    result = assess_tier_distribution(frame, framework.governance.tier_distribution)
    assert explain("tier_distribution", result).startswith(
        "Tier 2 at 60.0% outside 40%-55% (methodology: composite scores should spread"
    )


def test_per_field_checks_share_one_guidance_and_unknown_checks_have_none():
    assert guidance_for("key_field_completeness_arr") is GUIDANCE["key_field_completeness"]
    assert all(guidance_for(name) is guidance for name, guidance in GUIDANCE.items())
    assert guidance_for("record_accounting") is None
