"""Governance metrics graded against the methodology's bands, on small hand-built frames."""

import pandas as pd
import pytest

from segmentation_pipeline.core.governance import (
    assess_concentration,
    assess_duplicate_rate,
    assess_enrichment_coverage,
    assess_folded_share,
    assess_key_field_completeness,
    assess_min_accounts_per_segment,
    assess_operationalized_segments,
    assess_segment_coverage,
    assess_tier_distribution,
    field_completeness,
    grade_falling,
    grade_rising,
)


def assignments(segments: list[str], service: dict | None = None) -> pd.DataFrame:
    service = service or {"Tier 1": "high_touch", "Tier 2": "low_touch", "Tier 3": "tech_touch"}
    return pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(len(segments))],
            "segment": segments,
            "service_model": [service.get(s) for s in segments],
            "unsegmented_reason": ["missing_arr" if s == "Unsegmented" else None for s in segments],
        }
    )


def test_unknown_industry_counts_as_empty(framework):
    accounts = pd.DataFrame(
        {"industry": ["Software", "Unknown", None, "Retail"], "arr": [1, 2, 3, None]}
    )
    assert field_completeness(accounts, ["industry", "arr"]) == {"industry": 0.5, "arr": 0.75}


@pytest.mark.parametrize(
    ("value", "level"), [(0.59, "red"), (0.60, "warning"), (0.79, "warning"), (0.80, "good")]
)
def test_rising_bands_follow_minimum_viable_and_target(framework, value, level):
    assert grade_rising(value, framework.governance.key_field_completeness).level == level


@pytest.mark.parametrize(
    ("value", "level"), [(0.10, "red"), (0.099, "warning"), (0.05, "warning"), (0.049, "good")]
)
def test_duplicate_rate_is_lower_is_better(framework, value, level):
    assert grade_falling(value, framework.governance.duplicate_rate).level == level


def test_key_field_completeness_is_decided_by_the_worst_field(framework):
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4", "A5"],
            "name": ["a", "b", "c", "d", "e"],
            "industry": ["Software", None, None, "Retail", "Media"],  # 60%: warning
            "employees": [10, 20, 30, 40, 50],
            "arr": [1, 2, 3, 4, 5],
            "country_code": ["US", "US", "US", "US", None],  # 80%: good
        }
    )
    result = assess_key_field_completeness(accounts, framework.governance)
    assert result.grade.level == "warning"
    assert result.grade.value == 0.6
    assert result.details["worst_field"] == "industry"
    assert result.offenders[0] == {
        "field": "industry",
        "completeness": 0.6,
        "missing": 2,
        "sample": ["A2 b", "A3 c"],
    }


def test_enrichment_coverage_is_the_share_of_gapped_accounts_completed(framework):
    fields = ["industry", "employees"]
    before = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "name": ["a", "b", "c", "d"],
            "industry": ["Software", None, "Retail", None],
            "employees": [10, 20, None, None],
        }
    )
    after = before.assign(
        industry=["Software", "Media", "Retail", "Energy"], employees=[10, 20, None, None]
    )
    result = assess_enrichment_coverage(
        before, after, fields, framework.governance.enrichment_coverage
    )
    # B, C, D needed enrichment; only B left complete: 1/3, below minimum viable 70%.
    assert result.grade.level == "red"
    assert result.grade.value == pytest.approx(1 / 3)
    assert result.offenders == [
        {"account": "C c", "missing": ["employees"]},
        {"account": "D d", "missing": ["employees"]},
    ]


def test_a_gap_our_write_back_filled_in_the_crm_still_counts_as_a_vendor_match(framework):
    fields = ["industry", "employees"]
    # A and B reach enrichment complete, but only because last night's write-back filled
    # A's employees (and B's industry) in the CRM; C is gapped and stays so.
    before = pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "name": ["a", "b", "c"],
            "industry": ["Software", "Media", None],
            "employees": [10, 20, None],
        }
    )
    graded = framework.governance.enrichment_coverage
    alone = assess_enrichment_coverage(before, before, fields, graded)
    counted = assess_enrichment_coverage(before, before, fields, graded, filled=["A", "B", "X"])
    assert alone.grade.value == 0.0  # only C counted: the matched accounts dropped out
    assert counted.grade.value == pytest.approx(2 / 3)  # A and B of A, B, C
    assert counted.details["accounts_needing_enrichment"] == 3


def test_duplicate_rate_counts_folded_records_over_all_extracted(framework):
    survivors = pd.DataFrame({"account_id": [f"S{i}" for i in range(18)], "name": "x"})
    audit = pd.DataFrame({"account_id": ["D1", "D2"], "survivor_id": ["S3", "S3"]})
    result = assess_duplicate_rate(survivors, audit, framework.governance.duplicate_rate)
    assert result.grade.value == pytest.approx(2 / 20)
    assert result.grade.level == "red"
    assert result.offenders == [{"survivor": "S3 x", "duplicates": 2}]


@pytest.mark.parametrize(("folded", "level"), [(10, "good"), (11, "red")])
def test_folding_more_than_the_ceiling_is_a_red_flag_however_the_bands_read(folded, level):
    # 20 records: 10 folded is half, at the ceiling; 11 is above it.
    survivors = pd.DataFrame({"account_id": [f"S{i}" for i in range(20 - folded)], "name": "x"})
    audit = pd.DataFrame(
        {"account_id": [f"D{i}" for i in range(folded)], "survivor_id": ["S0"] * folded}
    )
    result = assess_folded_share(survivors, audit, most=0.5)
    assert result.grade.value == pytest.approx(folded / 20)
    assert result.grade.level == level
    assert result.offenders == [{"survivor": "S0 x", "duplicates": folded}]


@pytest.mark.parametrize(("unsegmented", "level"), [(1, "good"), (2, "warning"), (5, "red")])
def test_segment_coverage_bands(framework, unsegmented, level):
    frame = assignments(["Tier 2"] * (20 - unsegmented) + ["Unsegmented"] * unsegmented)
    result = assess_segment_coverage(frame, framework.governance.segment_coverage)
    assert result.grade.level == level
    assert result.offenders == [{"reason": "missing_arr", "accounts": unsegmented}]


def test_concentration_above_the_maximum_is_a_warning(framework):
    frame = assignments(["Tier 2"] * 7 + ["Tier 1"] * 2 + ["Unsegmented"])
    result = assess_concentration(frame, framework.governance.concentration_max)
    assert result.grade.level == "warning"
    assert result.grade.value == 0.7
    assert result.offenders[0] == {"segment": "Tier 2", "accounts": 7, "share": 0.7}


def test_tier_distribution_reports_the_tiers_outside_their_bands(framework):
    inside = assignments(["Tier 1"] * 2 + ["Tier 2"] * 5 + ["Tier 3"] * 3)
    assert (
        assess_tier_distribution(inside, framework.governance.tier_distribution).grade.level
        == "good"
    )
    outside = assignments(["Tier 1"] * 1 + ["Tier 2"] * 6 + ["Tier 3"] * 3)
    result = assess_tier_distribution(outside, framework.governance.tier_distribution)
    assert result.grade.level == "warning"
    assert [o["tier"] for o in result.offenders] == ["Tier 1", "Tier 2"]
    assert result.offenders[0]["outside_by"] == 0.05  # 10% against a 15% minimum


def test_segments_below_the_minimum_size_are_named(framework):
    frame = assignments(["Tier 1"] * 3 + ["Tier 2"] * 12)
    result = assess_min_accounts_per_segment(frame, framework.governance.min_accounts_per_segment)
    assert result.grade.level == "warning"
    assert result.offenders == [{"segment": "Tier 1", "accounts": 3}]


@pytest.mark.parametrize(
    ("n", "level"), [(2, "red"), (3, "good"), (5, "good"), (9, "warning"), (16, "red")]
)
def test_operationalized_segment_bands(framework, n, level):
    segments = [f"S{i:02d}" for i in range(n)]
    frame = assignments(segments, {s: f"model_{s}" for s in segments})
    result = assess_operationalized_segments(frame, framework.governance.operationalized_segments)
    assert (result.grade.level, result.grade.value) == (level, n)


def test_three_segments_are_the_methodologys_low_benchmark_not_a_warning(framework):
    """Quick reference: good 4-8, red 1-2; the segment-count benchmark calls 3 "low"."""
    segments = ["Tier 1", "Tier 2", "Tier 3"]
    frame = assignments(segments, {s: f"model_{s}" for s in segments})
    result = assess_operationalized_segments(frame, framework.governance.operationalized_segments)
    assert result.grade.level == "good"
    assert "low benchmark (3)" in result.grade.rule


def test_segments_sharing_a_service_model_are_consolidation_candidates(framework):
    frame = assignments(["A", "B", "C", "D"], {"A": "m1", "B": "m1", "C": "m2", "D": "m3"})
    result = assess_operationalized_segments(frame, framework.governance.operationalized_segments)
    assert result.offenders == [{"service_model": "m1", "segments": ["A", "B"]}]
