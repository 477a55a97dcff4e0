"""Match probabilities of candidate pairs from weights learned on this run's base.

1. Every candidate pair gets its cheap evidence (integer comparisons of domain, phone,
   city, country, industry and the numbers in the names).
2. A random sample of the pairs (`em_sample_pairs`, fixed seed: a re-run learns the same)
   gets its full comparison vector, name similarity included, and EM learns m and u of
   every level from it (`fellegi_sunter.estimate`).
3. Pairs that could not reach the review band even with an exact, rare name are dropped
   without computing their name similarity; the rest get their levels, their weights
   plus the term-frequency bits of an exact name and a shared city, and a probability.

Levels, per comparison (no value on either side: no evidence, weight 0):
name exact / high / mid / low / differ (similarity cut-offs from the framework);
name_numbers same / differ; domain exact / same_label / similar / differ;
phone, city, country, industry exact / differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from segmentation_pipeline.core.dedup.fellegi_sunter import (
    MatchWeights,
    estimate,
    term_frequency_bits,
)
from segmentation_pipeline.core.dedup.keys import MatchKeys, combined_codes
from segmentation_pipeline.core.dedup.scoring import (
    AGREE,
    CONFLICT,
    MISSING,
    SAME_LABEL,
    SIMILAR,
    ScoredPairs,
    close_values,
    compare_codes,
    domain_agreement,
    name_similarity,
    nested_names,
)

if TYPE_CHECKING:
    from segmentation_pipeline.framework.dedup import DedupConfig, FellegiSunter

# The levels the framework gives starting values for.
BASE_LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "high", "mid", "nested", "low", "differ"),
    "name_numbers": ("same", "differ"),
    "domain": ("exact", "same_label", "similar", "differ"),
    "phone": ("exact", "differ"),
    "city": ("exact", "differ"),
    "country": ("exact", "differ"),
    "industry": ("exact", "differ"),
}
# Some comparisons are learned apart per group of another's level, because they depend on
# it: namesakes' domains are built from one name (acme.com / acme.io) and subsidiaries
# share a stem and a switchboard, so domain and phone agree more often among non-matches
# of similar names than the product of the separate rates says; one phone line is in one
# city, so a shared phone already says the city agrees; and similar names crowd together
# in one city, so a shared city says less once the names are only similar.
# comparison -> (the comparison it depends on, its groups, group per its level (-1 last))
# A nested name ("acme" / "acme freight": a dropped descriptor, or a parent and its
# subsidiary, which often share a switchboard) is a group of its own.
_NAME_GROUPS = ("name same", "name similar", "name nested", "name differs")
_NAME_GROUP = np.array([0, 0, 1, 2, 1, 3, 3])
# The name levels by similarity, best first (a nested name is found apart).
_BY_SIMILARITY = (0, 1, 2, 4, 5)
_NESTED = 3
CONDITIONS: dict[str, tuple] = {
    "domain": ("name", _NAME_GROUPS, _NAME_GROUP),
    "phone": ("name", _NAME_GROUPS, _NAME_GROUP),
    "city": (
        ("name", "phone"),
        tuple(f"{n}, {p}" for n in _NAME_GROUPS for p in ("phone same", "phone not same")),
        (_NAME_GROUP, np.array([0, 1, 1])),
    ),
}
LEVELS: dict[str, tuple[str, ...]] = {
    comparison: (
        tuple(f"{level} | {group}" for group in CONDITIONS[comparison][1] for level in levels)
        if comparison in CONDITIONS
        else levels
    )
    for comparison, levels in BASE_LEVELS.items()
}
GROUPS = {
    c: np.repeat(np.arange(len(groups)), len(BASE_LEVELS[c]))
    for c, (_, groups, _) in CONDITIONS.items()
}


# Learned from EM's posteriors, without shaping them (see `fellegi_sunter.estimate`).
PASSIVE: tuple[str, ...] = ()
_SAMPLE_SEED = 20261204


def _state_levels(state: np.ndarray, order: tuple[np.int8, ...]) -> np.ndarray:
    """Evidence states -> level index (position in `order`), -1 for MISSING."""
    table = np.full(6, -1, dtype=np.int8)
    for i, value in enumerate(order):
        table[int(value) + 1] = i
    return table[state.astype(np.int64) + 1]


def name_levels(similarity: np.ndarray, fs: FellegiSunter, nested: np.ndarray) -> np.ndarray:
    """Name level per pair: by similarity, nested where a name no more than `mid`
    similar holds all the other's words; -1 without a name on either side."""
    cuts = [100.0, *(fs.name_similarity_levels[k] for k in ("high", "mid", "low"))]
    level = np.full(len(similarity), _BY_SIMILARITY[len(cuts)], dtype=np.int8)
    for i in reversed(range(len(cuts))):
        level[similarity >= cuts[i]] = _BY_SIMILARITY[i]
    level[nested & (level > _NESTED)] = _NESTED
    level[np.isnan(similarity)] = -1
    return level


def pair_levels(pairs: ScoredPairs, fs: FellegiSunter) -> dict[str, np.ndarray]:
    """The comparison vector of each pair: a level index per comparison (-1: no value)."""
    two = (AGREE, CONFLICT)
    name = name_levels(pairs.name_similarity, fs, pairs.name_nested)
    levels = {
        "name": name,
        "name_numbers": _state_levels(pairs.numbers, two),
        "domain": _state_levels(pairs.domain, (AGREE, SAME_LABEL, SIMILAR, CONFLICT)),
        "phone": _state_levels(pairs.phone, two),
        "city": _state_levels(pairs.city, two),
        "country": _state_levels(pairs.country, two),
        "industry": _state_levels(pairs.industry, two),
    }
    base = dict(levels)
    for comparison, (on, _, group_of) in CONDITIONS.items():
        level = levels[comparison]
        if isinstance(on, tuple):  # groups of two comparisons: first major
            first, second = group_of
            group = first[base[on[0]]] * (second.max() + 1) + second[base[on[1]]]
        else:
            group = group_of[base[on]]
        offset = group * len(BASE_LEVELS[comparison])
        levels[comparison] = np.where(level >= 0, level + offset, -1).astype(np.int8)
    return levels


def related_pairs(levels: dict[str, np.ndarray], fs: FellegiSunter) -> np.ndarray:
    """Pairs with something of a company's identity in common: a name at least `mid`
    similar or nested, a domain at least similar, or the phone with a name at least
    `low` similar; and, under `numbered_names_apart`, names holding the same numbers.
    Only these are weighed: a shared city or industry alone is no reason to compare two
    accounts (with such pairs EM splits the pairs by place instead of by company), and a
    shared switchboard alone does not make "Norvex Capital" and "Acme Freight" one."""
    name = levels["name"]
    name_like = (name >= 0) & (name < _NESTED)
    domain_like = (levels["domain"] >= 0) & (levels["domain"] % len(BASE_LEVELS["domain"]) < 3)
    phone_like = (levels["phone"] >= 0) & (levels["phone"] % len(BASE_LEVELS["phone"]) == 0)
    related = name_like | domain_like | (phone_like & (name >= 0) & (name <= _BY_SIMILARITY[3]))
    if fs.numbered_names_apart:
        related &= levels["name_numbers"] != BASE_LEVELS["name_numbers"].index("differ")
    return related


def _priors(fs: FellegiSunter) -> tuple[dict, dict]:
    missing = set(BASE_LEVELS) ^ set(fs.levels)
    for comparison, names in BASE_LEVELS.items():
        if comparison in fs.levels and set(fs.levels[comparison]) != set(names):
            missing.add(f"{comparison} (levels {', '.join(names)})")
    if missing:
        raise ValueError(f"dedup.fellegi_sunter.levels: give exactly {sorted(missing)}")
    m, u = {}, {}
    for c, names in BASE_LEVELS.items():
        repeat = len(CONDITIONS[c][1]) if c in CONDITIONS else 1
        m[c] = np.tile([fs.levels[c][level].m for level in names], repeat)
        u[c] = np.tile([fs.levels[c][level].u for level in names], repeat)
    return m, u


class _Evidence:
    """The cheap evidence of candidate pairs, refined (typos in domains, city spellings,
    name similarity) only where asked."""

    def __init__(self, keys: MatchKeys, left: np.ndarray, right: np.ndarray, config):
        self.keys, self.left, self.right, self.config = keys, left, right, config
        self.domain = domain_agreement(keys, left, right)
        self.phone = compare_codes(keys.phone, left, right)
        self.country = compare_codes(keys.country, left, right)
        self.city = compare_codes(keys.city, left, right)
        self.industry = compare_codes(keys.industry, left, right)
        self.numbers = compare_codes(keys.name_numbers, left, right)

    def refined(
        self, rows: np.ndarray, needed: np.ndarray | None = None, nested: np.ndarray | None = None
    ) -> ScoredPairs:
        """The full evidence of `rows`; name similarity only as far as `needed` (see
        `name_similarity`), names tested for nesting only where `nested` (all if None)."""
        keys, config = self.keys, self.config
        left, right = self.left[rows], self.right[rows]
        domain, city = self.domain[rows].copy(), self.city[rows].copy()
        differ = np.flatnonzero(domain == CONFLICT)
        close = close_values(
            keys.domain_label, keys.domain_label_names, left[differ], right[differ],
            config.fellegi_sunter.domain_similarity,
        )  # fmt: skip
        domain[differ[close]] = SIMILAR
        differ = np.flatnonzero(city == CONFLICT)
        close = close_values(
            keys.city, keys.city_names, left[differ], right[differ], config.city_min_similarity
        )
        city[differ[close]] = AGREE
        phone = self.phone[rows]
        if needed is not None:
            # Without a domain in common only a similar name relates the pair (see
            # `related_pairs`): a lower similarity need not be computed.
            cuts = config.fellegi_sunter.name_similarity_levels
            no_domain = (domain == MISSING) | (domain == CONFLICT)
            floor = np.where(phone == AGREE, cuts["low"], cuts["mid"])
            needed = np.where(no_domain, np.maximum(needed, floor), needed)
        other_agrees = (domain == AGREE) | (phone == AGREE) | (city == AGREE)
        similarity = name_similarity(keys, left, right, other_agrees, needed)
        mid = config.fellegi_sunter.name_similarity_levels["mid"]
        name_a, name_b = keys.name_code[left], keys.name_code[right]
        # A nested name relates a pair only with a phone or domain in common (see
        # `related_pairs`): elsewhere it is not worth testing.
        shared = (phone == AGREE) | ((domain != MISSING) & (domain != CONFLICT))
        test = (name_a >= 0) & (name_b >= 0) & (name_a != name_b) & ~(similarity >= mid) & shared
        test = np.flatnonzero(test if nested is None else test & nested)
        is_nested = np.zeros(len(rows), dtype=bool)
        is_nested[test] = nested_names(keys, left[test], right[test])
        nothing = np.zeros(len(rows), dtype=np.float32)
        return ScoredPairs(
            left, right, similarity, domain, phone, self.country[rows], city,
            self.industry[rows], self.numbers[rows], nothing, nothing, nothing, nothing,
            is_nested,
        )  # fmt: skip


def learn_weights(
    evidence: _Evidence, fs: FellegiSunter, tf: _TermFrequencies | None = None
) -> MatchWeights:
    """EM over a fixed-seed sample of the candidate pairs."""
    n = len(evidence.left)
    rng = np.random.default_rng(_SAMPLE_SEED)
    sample = np.arange(n)
    if n > fs.em_sample_pairs:
        sample = np.sort(rng.choice(n, fs.em_sample_pairs, replace=False))
    # (needed 0: the similarity of a pair only a similar name could relate is cut off
    # below `mid`, where it no longer changes its level: unrelated either way.)
    levels = pair_levels(evidence.refined(sample, np.zeros(len(sample))), fs)
    related = np.flatnonzero(related_pairs(levels, fs))
    levels = {c: v[related] for c, v in levels.items()}
    offsets = None
    if tf is not None:
        offsets = np.add(*tf.bits(evidence.left[sample[related]], levels))
    prior_m, prior_u = _priors(fs)
    # First without the name conditioning (a coarse, stable split into matches and
    # non-matches), then conditioned, starting from there.
    tied = {c: len(BASE_LEVELS[c]) for c in CONDITIONS}
    base_levels = {
        c: np.where(v >= 0, v % tied[c], -1) if c in tied else v for c, v in levels.items()
    }
    base_m = {c: v[: tied.get(c, len(v))] for c, v in prior_m.items()}
    base_u = {c: v[: tied.get(c, len(v))] for c, v in prior_u.items()}
    settings = (fs.prior_match_share, fs.prior_pairs, fs.max_iterations, fs.tolerance)
    coarse = estimate(
        base_levels, BASE_LEVELS, base_m, base_u, *settings, passive=PASSIVE, offsets=offsets
    )
    start = MatchWeights(
        LEVELS,
        {c: np.tile(v, len(GROUPS[c]) // len(v)) if c in tied else v for c, v in coarse.m.items()},
        {c: np.tile(v, len(GROUPS[c]) // len(v)) if c in tied else v for c, v in coarse.u.items()},
        coarse.match_share, 0, False, 0,
    )  # fmt: skip
    return estimate(levels, LEVELS, prior_m, prior_u, *settings, GROUPS, start, PASSIVE, offsets)


class _TermFrequencies:
    """Term-frequency bits of exact names and of cities, and of a name within its city,
    counted in companies (see `term_frequency_bits`).

    A pair with the same name in the same city takes the lower of the name's and city's
    bits together and the bits of the name in that city: 'Summit Group' held by four
    companies in Denver is weak there though rare elsewhere; but most name-and-city
    combinations are held by the pair alone, which makes any of them look rare, so the
    combination may only lower the evidence, never lift a common name."""

    def __init__(self, keys: MatchKeys, fs: FellegiSunter):
        bound, wanted = fs.max_term_frequency_bits, fs.term_frequency
        self.keys = keys
        self.name = None
        if "name" in wanted:
            self.name = term_frequency_bits(keys.name_code, bound, keys.name_companies)
            # The formula centres on random pairs, where crowded names dominate the sum of
            # tf^2, so a name one company holds earns about a bit. Among candidate pairs,
            # two records of a name seen under one company, country and city only are
            # one company (97.6% of those the formula left for review, own generator at
            # 1M): such a name earns the full bound.
            self.name[keys.name_code[(keys.name_spread == 1) & (keys.name_code >= 0)]] = bound
        self.city = term_frequency_bits(keys.city, bound) if "city" in wanted else None
        self.name_city, self.joint = None, None
        if self.name is not None and self.city is not None:
            self.name_city = combined_codes(keys.name_code, keys.city)
            self.joint = term_frequency_bits(self.name_city, bound, keys.place_companies)

    def bits(self, left: np.ndarray, levels: dict[str, np.ndarray]) -> tuple:
        """(name bits, city bits) per pair: where the name is exact, where the city is."""
        keys = self.keys
        tf_name = np.where(levels["name"] == 0, _tf_of(self.name, keys.name_code, left), 0.0)
        same_city = (levels["city"] >= 0) & (levels["city"] % len(BASE_LEVELS["city"]) == 0)
        tf_city = np.where(same_city, _tf_of(self.city, keys.city, left), 0.0)
        if self.joint is not None:
            both = np.flatnonzero((levels["name"] == 0) & same_city & (self.name_city[left] >= 0))
            joint = self.joint[self.name_city[left[both]]]
            lower = joint < tf_name[both] + tf_city[both]
            tf_name[both[lower]], tf_city[both[lower]] = joint[lower], 0.0
        return tf_name, tf_city


def _tf_of(bits: np.ndarray | None, codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The term-frequency bits of each row's value (0 without a value or adjustment)."""
    if bits is None or not len(bits):
        return np.zeros(len(rows))
    code = codes[rows]
    return np.where(code >= 0, bits[np.maximum(code, 0)], 0.0)


def _logit2(p: float) -> float:
    return float(np.log2(p / (1 - p)))


def score_pairs_learned(
    keys: MatchKeys, left: np.ndarray, right: np.ndarray, config: DedupConfig
) -> tuple[ScoredPairs, MatchWeights]:
    """The candidate pairs that reach the review band, with weight and probability; and
    the weights learned."""
    fs = config.fellegi_sunter
    evidence = _Evidence(keys, left, right, config)
    tf = _TermFrequencies(keys, fs)
    weights = learn_weights(evidence, fs, tf)
    w = {c: weights.level_weights(c) for c in LEVELS}
    # Before the name is compared, a conditioned level may weigh its best over the groups.
    for c, (_, groups, _) in CONDITIONS.items():
        w[c] = w[c].reshape(len(groups), -1).max(axis=0)
    name_tf, city_tf = tf.name, tf.city

    # What each pair earns without its name, at best where a refinement is still to come
    # (float32 and in place: at a million accounts these arrays hold 20 M pairs).
    def earned(state: np.ndarray, table: np.ndarray, order) -> np.ndarray:
        lookup = np.full(6, 0.0, dtype=np.float32)
        for i, value in enumerate(order):
            lookup[int(value) + 1] = table[i]
        return lookup[state + 1]

    two = (AGREE, CONFLICT)
    partial = earned(evidence.phone, w["phone"], two)
    partial += np.float32(weights.prior_weight)
    partial += earned(evidence.country, w["country"], two)
    partial += earned(evidence.industry, w["industry"], two)
    partial += earned(evidence.numbers, w["name_numbers"], two)
    best_domain_conflict = max(w["domain"][2], w["domain"][3])
    partial += earned(
        evidence.domain, [*w["domain"][:2], best_domain_conflict], (AGREE, SAME_LABEL, CONFLICT)
    )
    best_city_tf = max(float(city_tf.max()), 0.0) if city_tf is not None and len(city_tf) else 0.0
    partial += earned(evidence.city, [0.0, max(w["city"][1], w["city"][0] + best_city_tf)], two)
    agree = np.flatnonzero(evidence.city == AGREE)
    partial[agree] += (w["city"][0] + _tf_of(city_tf, keys.city, left[agree])).astype(np.float32)
    del agree
    review = _logit2(fs.review_probability)
    # Only names of one length (spaces aside) can be exact, and the bits an exact name
    # earns are known before it is compared: the rest earn at best their next level.
    lengths = keys.compact_counts.lengths
    exact_gain = np.full(len(left), -np.inf, dtype=np.float32)
    rows = np.flatnonzero(lengths[left] == lengths[right])
    exact_gain[rows] = w["name"][0] + _tf_of(name_tf, keys.name_code, left[rows])
    del rows
    viable = np.flatnonzero(partial + np.maximum(exact_gain, max(w["name"][1:])) >= review)

    # The lowest name similarity whose level can still bring each viable pair to review:
    # below it, the exact similarity does not matter (the pair cannot reach the band).
    cuts = [100.0, *(fs.name_similarity_levels[k] for k in ("high", "mid", "low"))]
    needed = np.full(len(viable), np.inf)
    at, exact_gain = partial[viable], exact_gain[viable]
    del partial
    for i, level in enumerate(_BY_SIMILARITY):
        gain = exact_gain if i == 0 else w["name"][level]
        needed[at + gain >= review] = cuts[min(i, len(cuts) - 1)]
    pairs = evidence.refined(viable, needed, at + w["name"][_NESTED] >= review)
    levels = pair_levels(pairs, fs)
    score = weights.weight(levels)
    tf_name, tf_city = tf.bits(pairs.left, levels)
    score = np.where(related_pairs(levels, fs), score + tf_name + tf_city, -np.inf)
    probability = 1 / (1 + np.exp2(-score))
    pairs = ScoredPairs(
        pairs.left, pairs.right, pairs.name_similarity, pairs.domain, pairs.phone,
        pairs.country, pairs.city, pairs.industry, pairs.numbers, score.astype(np.float32),
        probability.astype(np.float32), tf_name.astype(np.float32), tf_city.astype(np.float32),
        pairs.name_nested,
    )  # fmt: skip
    return pairs.take(np.flatnonzero(score >= review)), weights


def pair_weights(
    keys: MatchKeys,
    left: np.ndarray,
    right: np.ndarray,
    config: DedupConfig,
    weights: MatchWeights,
) -> np.ndarray:
    """The match weight (log2 odds, term-frequency bits included) of given pairs, in
    full; -inf for pairs nothing of a company's identity relates (see `related_pairs`):
    the model does not weigh them, it keeps them apart."""
    fs = config.fellegi_sunter
    pairs = _Evidence(keys, left, right, config).refined(np.arange(len(left)))
    levels = pair_levels(pairs, fs)
    tf_name, tf_city = _TermFrequencies(keys, fs).bits(left, levels)
    score = weights.weight(levels) + tf_name + tf_city
    return np.where(related_pairs(levels, fs), score, -np.inf)


def evidence_text(
    pairs: ScoredPairs, weights: MatchWeights | None, fs: FellegiSunter
) -> np.ndarray:
    """Per pair, what each comparison said and weighed, for the audit and the review
    table: 'name exact +5.9 (tf -1.2); domain differ | name same -4.0; ...' (comparisons
    without a value on either side are left out). Empty without learned weights."""
    if weights is None or not len(pairs):
        return np.full(len(pairs), "", dtype=object)
    levels = pair_levels(pairs, fs)
    combined = np.zeros(len(pairs), dtype=np.int64)
    for comparison in LEVELS:
        combined = combined * (len(LEVELS[comparison]) + 1) + levels[comparison] + 1
    code, first = np.unique(combined, return_index=True)
    texts = {}
    for value, row in zip(code, first, strict=True):
        parts = []
        for comparison, names in LEVELS.items():
            level = int(levels[comparison][row])
            if level >= 0:
                weight = weights.level_weights(comparison)[level]
                parts.append(f"{comparison} {names[level]} {weight:+.1f}")
        texts[value] = "; ".join(parts)
    base = np.array([texts[v] for v in combined], dtype=object)
    tf = [
        f" (tf name {n:+.1f}, city {c:+.1f})" if n or c else ""
        for n, c in zip(pairs.name_tf.tolist(), pairs.city_tf.tolist(), strict=True)
    ]
    prior = f"prior {weights.prior_weight:+.1f}; "
    return np.array([prior + b + t for b, t in zip(base, tf, strict=True)], dtype=object)
