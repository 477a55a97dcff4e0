"""Name and domain similarity skip the pairs whose character counts prove they cannot
reach the cutoff (core/dedup/similarity_bound.py). Skipping must change no number: the
scores equal rapidfuzz's own with the same cutoff, on strings of every kind, and the
matcher finds the same pairs and clusters with the bound as with every pair compared."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rapidfuzz import fuzz, process

from segmentation_pipeline.core.dedup import resolve, scoring, similarity_bound
from segmentation_pipeline.core.dedup.similarity_bound import CharCounts, bounded_ratio
from segmentation_pipeline.core.standardize import standardize_accounts
from segmentation_pipeline.framework import load_framework

# Letters, digits, spaces (single, double, leading), punctuation, accents, other scripts.
ALPHABET = list("abcdeeeilnorstAB0123  -.'") + ["é", "ß", "ø", "東", "京", "ж", "\u00a0", "\t"]


WORDS = ["acme", "nord", "tech", "group", "holdings", "东京", "müller", "a1", "b", "data"]


def random_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """Half any characters at all, half name keys: words one space apart."""
    lengths = rng.integers(0, 14, n)
    lengths[rng.random(n) < 0.01] = 300  # longer than the uint8 counts hold
    strings = ["".join(rng.choice(ALPHABET, size)) for size in lengths[: n // 2]]
    strings += [" ".join(rng.choice(WORDS, 1 + size % 4)) for size in lengths[n // 2 :]]
    return np.array(strings, dtype=object)


def related_strings(rng: np.random.Generator, base: np.ndarray) -> np.ndarray:
    """Each string with a few edits: pairs near every cutoff, not only far apart."""
    edited = []
    for text in base:
        chars = list(text)
        for _ in range(rng.integers(0, 3)):
            at = int(rng.integers(0, len(chars) + 1))
            if chars and rng.random() < 0.5:
                del chars[min(at, len(chars) - 1)]
            else:
                chars.insert(at, str(rng.choice(ALPHABET)))
        edited.append("".join(chars))
    return np.array(edited, dtype=object)


@pytest.mark.parametrize("cutoff", [0, 50, 78, 85, 88, 95, 100])
@pytest.mark.parametrize("scorer", [fuzz.ratio, fuzz.token_sort_ratio])
def test_bounded_ratio_equals_rapidfuzz(cutoff, scorer):
    rng = np.random.default_rng(cutoff)
    base = random_strings(rng, 1500)
    strings = np.concatenate([base, related_strings(rng, base)])
    a = np.concatenate([np.arange(1500), rng.integers(0, 3000, 3000)])
    b = np.concatenate([np.arange(1500, 3000), rng.integers(0, 3000, 3000)])
    counts = CharCounts.of(strings, words=scorer is fuzz.token_sort_ratio)

    bounded = bounded_ratio(strings, counts, a, b, scorer, cutoff)

    expected = process.cpdist(strings[a], strings[b], scorer=scorer, score_cutoff=cutoff)
    np.testing.assert_array_equal(bounded, expected.astype(np.float32))
    if cutoff >= 85:  # and the bound does skip work: most random pairs are far apart
        countable = counts.countable[a] & counts.countable[b]
        assert similarity_bound.may_reach(counts, a, b, cutoff)[countable].mean() < 0.5


def test_counts_are_an_upper_bound_per_pair():
    rng = np.random.default_rng(1)
    strings = np.concatenate([random_strings(rng, 2000), np.array(["", None], dtype=object)])
    a, b = rng.integers(0, len(strings), 20000), rng.integers(0, len(strings), 20000)
    counts = CharCounts.of(strings)
    text = np.array([s or "" for s in strings], dtype=object)
    true_ratio = process.cpdist(text[a], text[b], scorer=fuzz.ratio)
    for cutoff in (60, 90):
        reachable = similarity_bound.may_reach(counts, a, b, cutoff)
        assert not (~reachable & (true_ratio >= cutoff)).any()


def _generated_accounts(n: int) -> pd.DataFrame:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from independent_accounts import generate as independent
    from messy_accounts import generate as messy

    half = n // 2
    return pd.concat(
        [messy(half, seed=5).accounts, independent(half, seed=6).accounts], ignore_index=True
    ).astype("str")


@pytest.mark.parametrize("engine", ["points", "fellegi_sunter"])
def test_matching_is_the_same_with_every_pair_compared(engine, monkeypatch):
    framework = load_framework(None)
    dedup = framework.dedup.model_copy(update={"engine": engine})
    accounts = standardize_accounts(_generated_accounts(6000), framework).reset_index(drop=True)

    bounded = resolve.find_clusters(accounts, dedup)

    def every_pair(counts, a, b, cutoff):
        return np.ones(len(a), dtype=bool)

    monkeypatch.setattr(similarity_bound, "may_reach", every_pair)
    monkeypatch.setattr(similarity_bound, "may_reach_by_length", every_pair)
    monkeypatch.setattr(scoring, "may_reach_by_length", every_pair)
    compared = resolve.find_clusters(accounts, dedup)

    np.testing.assert_array_equal(bounded.clusters.labels, compared.clusters.labels)
    assert len(bounded.matched) > 100  # the data has duplicates to find
    for name, values in compared.matched.__dict__.items():
        np.testing.assert_array_equal(getattr(bounded.matched, name), values, err_msg=name)
    assert bounded.scored_pairs == compared.scored_pairs
    if compared.band is not None:
        for name, values in compared.band.__dict__.items():
            np.testing.assert_array_equal(getattr(bounded.band, name), values, err_msg=name)
