"""Hand-worked scores with the default framework's points (docs/data-preparation.md):
names: 100 -> 5.0, >=95 -> 4.5, >=90 -> 4.0, >=85 -> 2.5, >=75 -> 0.5, >=65 -> -1, else -4;
domain +5/-6 (same label on another suffix -3), phone +4/-1.5, country +0.5/-5,
city +1/-1.5, industry +0.5/-1, different numbers in the names -3, threshold 5."""

import numpy as np
import pytest

from segmentation_pipeline.core.dedup.keys import match_keys
from segmentation_pipeline.core.dedup.scoring import (
    AGREE,
    CONFLICT,
    MISSING,
    SAME_LABEL,
    name_points,
    rule_labels,
    score_pairs,
)


def score(standardize, framework, first: dict, second: dict, threshold: float | None = None):
    """The scored pair; with a threshold, under that threshold (a low one keeps pairs the
    default threshold would leave out as hopeless)."""
    config = framework.dedup
    if threshold is not None:
        config = config.model_copy(update={"match_threshold": threshold})
    accounts = standardize([first, second])
    return score_pairs(match_keys(accounts), np.array([0]), np.array([1]), config)


def test_same_domain_and_name(standardize, framework):
    pairs = score(
        standardize,
        framework,
        {"Name": "Zentrix Inc", "Website": "zentrix.com", "BillingCountry": "US"},
        {"Name": "ZENTRIX, INC.", "Website": "https://www.zentrix.com", "BillingCountry": "USA"},
    )
    assert pairs.domain[0] == AGREE and pairs.country[0] == AGREE
    assert pairs.score[0] == pytest.approx(5.0 + 5.0 + 0.5)
    assert rule_labels(pairs).tolist() == ["domain+name=100+country"]


def test_two_different_domains_count_against_a_same_named_pair(standardize, framework):
    pairs = score(
        standardize,
        framework,
        {"Name": "Summit Logistics", "Website": "summitlogistics.com", "BillingCity": "Denver"},
        {"Name": "Summit Logistics", "Website": "summit-freight.com", "BillingCity": "Denver"},
        threshold=-100,
    )
    # two domains under one name: two companies, so the name loses 1.5 * log2(2)
    assert pairs.domain[0] == CONFLICT
    assert pairs.score[0] == pytest.approx(5.0 - 1.5 - 6.0 + 1.0)
    assert pairs.score[0] < framework.dedup.match_threshold


def test_same_label_on_another_suffix_is_a_weaker_conflict(standardize, framework):
    pairs = score(
        standardize,
        framework,
        {"Name": "Zentrix", "Website": "zentrix.com", "Phone": "+1 650 253 0000"},
        {"Name": "Zentrix", "Website": "zentrix.de", "Phone": "+16502530000"},
    )
    assert pairs.domain[0] == SAME_LABEL
    # the shared phone makes both domains one identity: the name is not shared
    assert pairs.score[0] == pytest.approx(5.0 - 3.0 + 4.0)


def test_typo_plus_city_and_country_matches(standardize, framework):
    pairs = score(
        standardize,
        framework,
        {"Name": "Quorabel Analytics", "BillingCity": "Lyon", "BillingCountry": "FR"},
        {"Name": "Quorabel Analytcs", "BillingCity": "LYON", "BillingCountry": "France"},
    )
    assert 95 <= pairs.name_similarity[0] < 100
    assert pairs.score[0] == pytest.approx(4.5 + 1.0 + 0.5)


def test_city_spellings_close_enough_agree(standardize, framework):
    pairs = score(
        standardize,
        framework,
        {"Name": "Quorabel", "BillingCity": "München", "BillingCountry": "DE"},
        {"Name": "Quorabel", "BillingCity": "Munchenn", "BillingCountry": "DE"},
    )
    assert pairs.city[0] == AGREE


def test_numbers_in_names_tell_companies_apart(standardize, framework):
    pairs = score(
        standardize,
        framework,
        {"Name": "Harbor Fund 2 LP", "BillingCity": "Boston", "BillingCountry": "US"},
        {"Name": "Harbor Fund 3 LP", "BillingCity": "Boston", "BillingCountry": "US"},
        threshold=-100,
    )
    assert pairs.numbers[0] == CONFLICT
    assert 90 <= pairs.name_similarity[0] < 95
    assert pairs.score[0] == pytest.approx(4.0 - 3.0 + 1.0 + 0.5)


def test_pairs_that_cannot_reach_the_threshold_are_left_out(standardize, framework):
    pairs = score(
        standardize,
        framework,
        {"Name": "Zentrix", "Website": "zentrix.com", "BillingCountry": "US"},
        {"Name": "Zentrix", "Website": "other.com", "BillingCountry": "DE"},
    )
    assert len(pairs) == 0


def test_missing_values_are_no_evidence(standardize, framework):
    pairs = score(standardize, framework, {"Name": "Quorabel"}, {"Name": "Quorabel"})
    assert (pairs.domain[0], pairs.phone[0], pairs.city[0]) == (MISSING, MISSING, MISSING)
    assert pairs.score[0] == pytest.approx(5.0)


def test_name_points_bands_and_shared_name_penalty(framework):
    similarity = np.array([100, 96, 91, 86, 80, 70, 10, np.nan], dtype=np.float32)
    points = name_points(similarity, np.ones(8), framework.dedup)
    assert points.tolist() == [5.0, 4.5, 4.0, 2.5, 0.5, -1.0, -4.0, 0.0]
    shared = name_points(similarity[:1], np.array([4]), framework.dedup)
    assert shared.tolist() == [5.0 - 1.5 * 2]
