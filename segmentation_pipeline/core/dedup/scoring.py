"""Pairwise evidence and the match score of each candidate pair.

Each pair earns the points of its name-similarity band (less a penalty when several
companies go by that name), plus, per identifier (domain, phone, country, city,
industry), the `agree` points when both accounts hold the same value or the `conflict`
points (negative) when both hold different values; a value missing on either side is
no evidence either way. Two different domains therefore pull a pair of same-named
companies apart instead of chaining them together.

The identifier evidence is integer comparisons and cheap; the name similarity is the
expensive part, so it is computed only for pairs that could still reach the match
threshold with a perfect name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from segmentation_pipeline.core.dedup.keys import MatchKeys
from segmentation_pipeline.core.dedup.similarity_bound import (
    CharCounts,
    bounded_ratio,
    may_reach_by_length,
)

if TYPE_CHECKING:
    from segmentation_pipeline.framework.dedup import DedupConfig

AGREE, MISSING, CONFLICT, SAME_LABEL = np.int8(1), np.int8(0), np.int8(-1), np.int8(2)
SIMILAR = np.int8(3)  # two domain labels a typo apart (acme.com / acmee.com)
EVIDENCE_LABELS = {1: "agree", 0: "missing", -1: "conflict", 2: "same_label", 3: "similar"}
# Below this similarity a word-order-insensitive comparison is also tried, where another
# identifier already agrees ("Logistics Acme" / "Acme Logistics").
_TOKEN_ORDER_BELOW = 95


@dataclass(frozen=True)
class ScoredPairs:
    left: np.ndarray
    right: np.ndarray
    name_similarity: np.ndarray  # 0-100; NaN when a name key is missing
    domain: np.ndarray  # AGREE / MISSING / CONFLICT / SAME_LABEL (acme.com ~ acme.de)
    phone: np.ndarray
    country: np.ndarray
    city: np.ndarray
    industry: np.ndarray
    numbers: np.ndarray  # the numbers in the two names: AGREE (same, or none) / CONFLICT
    score: np.ndarray  # points, or with learned weights the match weight (log2 odds)
    probability: np.ndarray  # match probability (NaN under the points engine)
    name_tf: np.ndarray  # term-frequency bits added for an exact name (learned weights)
    city_tf: np.ndarray  # ... for the same city
    name_nested: np.ndarray  # one name's words all in the other's: "acme" / "acme freight"

    def take(self, rows: np.ndarray) -> ScoredPairs:
        return ScoredPairs(**{k: v[rows] for k, v in self.__dict__.items()})

    def __len__(self) -> int:
        return len(self.left)


def compare_codes(codes: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """AGREE / CONFLICT where both accounts hold a value, MISSING otherwise."""
    a, b = codes[left], codes[right]
    state = (a == b).astype(np.int8) * 2 - 1
    state[(a < 0) | (b < 0)] = MISSING
    return state


def name_similarity(
    keys: MatchKeys,
    left: np.ndarray,
    right: np.ndarray,
    other_agrees: np.ndarray,
    needed: np.ndarray | None = None,
) -> np.ndarray:
    """rapidfuzz similarity of the name keys (spaces ignored); word order ignored where
    another identifier agrees; NaN where either key is missing. With `needed` (per pair),
    a similarity below what the pair needs to match is reported as 0 (it is not worth
    computing exactly; np.inf: the pair cannot match at all)."""
    a, b = keys.name_code[left], keys.name_code[right]
    both = (a >= 0) & (b >= 0)
    result = np.full(len(left), np.nan, dtype=np.float32)
    result[both & (a == b)] = 100.0
    fuzzy = both & (a != b)
    needed = np.zeros(len(left)) if needed is None else needed
    result[fuzzy & ~np.isfinite(needed)] = 0.0
    for cutoff in np.unique(needed[fuzzy & np.isfinite(needed)]):
        rows = np.flatnonzero(fuzzy & (needed == cutoff))
        result[rows] = bounded_ratio(
            keys.compact, keys.compact_counts, left[rows], right[rows], fuzz.ratio, cutoff
        )
        reorder = rows[(result[rows] < _TOKEN_ORDER_BELOW) & other_agrees[rows]]
        by_tokens = bounded_ratio(
            keys.name, keys.name_counts, left[reorder], right[reorder],
            fuzz.token_sort_ratio, cutoff,
        )  # fmt: skip
        result[reorder] = np.maximum(result[reorder], by_tokens)
    return result


def nested_names(keys: MatchKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Are all the words of one name key among the other's ("acme" / "acme freight")?
    A dropped descriptor, or a parent and its subsidiary: evidence the learned weights
    judge. (token_set_ratio is 100 exactly when one word set holds the other.)"""
    if not len(left):
        return np.zeros(0, dtype=bool)
    nested = process.cpdist(
        keys.name[left], keys.name[right], scorer=fuzz.token_set_ratio, score_cutoff=100,
        workers=-1,
    )  # fmt: skip
    return nested >= 100


def similarity_needed(points_needed: np.ndarray, config: DedupConfig) -> np.ndarray:
    """The lowest name similarity whose band earns the points a pair still needs
    (np.inf where no band does)."""
    needed = np.full(len(points_needed), np.inf)
    for band in sorted(config.name_points, key=lambda b: b.min_similarity):
        reach = np.isinf(needed) & (band.points >= points_needed)
        needed[reach] = band.min_similarity
    return needed


def name_points(similarity: np.ndarray, companies: np.ndarray, config: DedupConfig) -> np.ndarray:
    """Points of the similarity band, less the shared-name penalty; 0 without a name."""
    points = np.zeros(len(similarity), dtype=np.float32)
    assigned = np.isnan(similarity)
    for band in config.name_points:
        hit = ~assigned & (similarity >= band.min_similarity)
        points[hit] = band.points
        assigned |= hit
    shared = config.shared_name_penalty * np.log2(np.maximum(companies, 1))
    return points - np.where(np.isnan(similarity), 0.0, shared).astype(np.float32)


def domain_agreement(keys: MatchKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    state = compare_codes(keys.domain, left, right)
    conflict = np.flatnonzero(state == CONFLICT)
    same_label = keys.domain_label[left[conflict]] == keys.domain_label[right[conflict]]
    state[conflict[same_label]] = SAME_LABEL
    return state


def close_values(
    codes: np.ndarray, names: np.ndarray, left, right, min_similarity: float
) -> np.ndarray:
    """Are two different spellings close ('Munchen' / 'München', 'acme' / 'acmee')?
    Compared once per distinct pair of spellings."""
    a, b = codes[left], codes[right]
    counts = CharCounts.of(names)
    # Pairs whose lengths alone rule the similarity out are not even told apart.
    close = np.flatnonzero(may_reach_by_length(counts, a, b, min_similarity))
    pair_code, distinct = pd.factorize(a[close].astype(np.int64) * (len(names) + 1) + b[close])
    first, second = np.divmod(distinct, len(names) + 1)
    similar = bounded_ratio(names, counts, first, second, fuzz.ratio, min_similarity)
    result = np.zeros(len(a), dtype=bool)
    result[close] = (similar >= min_similarity)[pair_code]
    return result


def _close_cities(keys: MatchKeys, left, right, min_similarity: float) -> np.ndarray:
    return close_values(keys.city, keys.city_names, left, right, min_similarity)


def _points(state: np.ndarray, agree: float, conflict: float, same_label: float = 0.0):
    """Points per evidence state (CONFLICT, MISSING, AGREE, SAME_LABEL)."""
    return np.array([conflict, 0.0, agree, same_label], dtype=np.float32)[state + 1]


def score_pairs(
    keys: MatchKeys, left: np.ndarray, right: np.ndarray, config: DedupConfig
) -> ScoredPairs:
    """Evidence and score of the candidate pairs that could reach the match threshold
    (the others cannot match even with identical names, and are left out)."""
    domain = domain_agreement(keys, left, right)
    phone = compare_codes(keys.phone, left, right)
    country = compare_codes(keys.country, left, right)
    city = compare_codes(keys.city, left, right)
    industry = compare_codes(keys.industry, left, right)
    numbers = compare_codes(keys.name_numbers, left, right)
    evidence = (
        _points(domain, config.domain.agree, config.domain.conflict, config.domain_same_label)
        + _points(phone, config.phone.agree, config.phone.conflict)
        + _points(country, config.country.agree, config.country.conflict)
        + _points(industry, config.industry.agree, config.industry.conflict)
        + _points(numbers, 0.0, config.name_number_conflict)
    )
    best_city = np.where(city == MISSING, 0.0, config.city.agree)
    best_name = max(band.points for band in config.name_points)
    viable = np.flatnonzero(evidence + best_city + best_name >= config.match_threshold)
    left, right, evidence = left[viable], right[viable], evidence[viable]
    domain, phone, country, city = domain[viable], phone[viable], country[viable], city[viable]
    industry, numbers = industry[viable], numbers[viable]

    differ = np.flatnonzero(city == CONFLICT)
    city[differ[_close_cities(keys, left[differ], right[differ], config.city_min_similarity)]] = (
        AGREE
    )
    evidence = evidence + _points(city, config.city.agree, config.city.conflict)
    companies = np.select(
        [city == AGREE, country == AGREE],
        [
            np.maximum(keys.place_companies[left], keys.place_companies[right]),
            np.maximum(keys.local_companies[left], keys.local_companies[right]),
        ],
        np.maximum(keys.name_companies[left], keys.name_companies[right]),
    )
    shared = config.shared_name_penalty * np.log2(np.maximum(companies, 1))
    needed = similarity_needed(config.match_threshold - evidence + shared, config)
    other_agrees = (domain == AGREE) | (phone == AGREE) | (city == AGREE)
    similarity = name_similarity(keys, left, right, other_agrees, needed)
    score = (evidence + name_points(similarity, companies, config)).astype(np.float32)
    nothing = np.zeros(len(left), dtype=np.float32)
    return ScoredPairs(
        left, right, similarity, domain, phone, country, city, industry, numbers, score,
        np.full(len(left), np.nan, dtype=np.float32), nothing, nothing,
        np.zeros(len(left), dtype=bool),
    )  # fmt: skip


def rule_labels(pairs: ScoredPairs) -> np.ndarray:
    """Which evidence agreed, strongest first: 'domain+phone+name=100+city+country+industry'
    (one label built per distinct combination of evidence)."""
    similarity = np.where(np.isnan(pairs.name_similarity), -1, pairs.name_similarity).astype(int)
    states = [pairs.domain, pairs.phone, pairs.city, pairs.country, pairs.industry]
    combination = similarity + 1
    for state in states:
        combination = combination * 2 + (state == AGREE)
    code, distinct = pd.factorize(combination)
    labels = []
    for value in distinct:
        agreed = []
        for name in ("industry", "country", "city", "phone", "domain"):
            value, bit = divmod(int(value), 2)
            agreed.append(name if bit else "")
        sim = value - 1
        name = "" if sim < 0 else ("name=100" if sim >= 100 else f"name~{sim}")
        domain, phone, city, country, industry = reversed(agreed)
        parts = (domain, phone, name, city, country, industry)
        labels.append("+".join(part for part in parts if part))
    return np.array(labels, dtype=object)[code] if len(code) else np.array([], dtype=object)
