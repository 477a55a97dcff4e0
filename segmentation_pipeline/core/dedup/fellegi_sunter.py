"""Fellegi-Sunter match weights, estimated from the pairs being matched.

Each candidate pair is a vector of comparison levels (name exact / high / mid / low /
differ, phone exact / differ, ...; -1 where a side has no value: no evidence either way).
A level's weight is log2(m / u), m = P(level | the pair is one company) and
u = P(level | two companies); a pair's match weight is log2 of the prior odds plus the
weights of its levels, and its match probability 1 / (1 + 2^-weight).

m, u and the prior share of matches are not set by hand: expectation-maximization over
the candidate pairs finds them (unsupervised: the pairs carry no labels). The framework's
starting values are a prior worth `prior_pairs` pairs (a maximum a-posteriori estimate),
so a base of a few accounts keeps them and a large base overrides them. EM runs on the
distinct comparison vectors with their counts: a few thousand rows, whatever the base.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MatchWeights:
    """What EM learned: per comparison, its levels' m and u; the share of matches among
    the candidate pairs; and how the estimate went."""

    levels: dict[str, tuple[str, ...]]
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    match_share: float
    iterations: int
    converged: bool
    pairs: int

    def level_weights(self, comparison: str) -> np.ndarray:
        """log2(m/u) per level of one comparison."""
        return np.log2(self.m[comparison] / self.u[comparison])

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.match_share / (1 - self.match_share)))

    def weight(self, levels: dict[str, np.ndarray]) -> np.ndarray:
        """Match weight (log2 odds) of pairs given their level per comparison (-1 = none)."""
        total = np.full(len(next(iter(levels.values()))), self.prior_weight, dtype=np.float64)
        for comparison, level in levels.items():
            table = np.append(self.level_weights(comparison), 0.0)  # index -1: no evidence
            total += table[level]
        return total

    def table(self) -> pd.DataFrame:
        """comparison, level, m, u, weight: the learned weights, one row per level."""
        rows = [
            (comparison, level, self.m[comparison][i], self.u[comparison][i])
            for comparison, names in self.levels.items()
            for i, level in enumerate(names)
        ]
        frame = pd.DataFrame(rows, columns=["comparison", "level", "m", "u"])
        frame["weight"] = np.log2(frame["m"] / frame["u"])
        return frame


def _patterns(levels: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct comparison vectors (rows, one column per comparison, in sorted order) and
    their counts. Each row is read as one integer, its columns the digits (most
    significant first, each shifted to start at 0), so the distinct rows come from a
    unique over integers: the rows of np.unique(matrix, axis=0) in its order, in a
    fraction of its time."""
    matrix = np.column_stack([level.astype(np.int16) for level in levels.values()])
    if not len(matrix):
        return matrix, np.zeros(0)
    low = matrix.min(axis=0).astype(np.int64)
    spans = matrix.max(axis=0).astype(np.int64) - low + 1
    if np.prod(spans.astype(float)) >= 2.0**62:  # too many combinations for one int64
        distinct, counts = np.unique(matrix, axis=0, return_counts=True)
        return distinct, counts.astype(np.float64)
    code = np.zeros(len(matrix), dtype=np.int64)
    for column, span in enumerate(spans):
        code = code * span + (matrix[:, column] - low[column])
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    return matrix[first], counts.astype(np.float64)


def _normalized(counts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Shares within each group, kept off zero (a level never seen is not impossible)."""
    counts = counts + 1e-12
    shares = np.maximum(counts / np.bincount(group, counts)[group], 1e-6)
    return shares / np.bincount(group, shares)[group]


def estimate(
    levels: dict[str, np.ndarray],
    names: dict[str, tuple[str, ...]],
    prior_m: dict[str, np.ndarray],
    prior_u: dict[str, np.ndarray],
    prior_share: float,
    prior_pairs: float = 0.0,
    max_iterations: int = 60,
    tolerance: float = 1e-5,
    groups: dict[str, np.ndarray] | None = None,
    start: MatchWeights | None = None,
    passive: tuple[str, ...] = (),
    offsets: np.ndarray | None = None,
) -> MatchWeights:
    """m, u and the match share by EM over pairs' comparison levels (each array: one
    level index per pair, -1 for no evidence), starting from, and pulled towards, the
    priors with the weight of `prior_pairs` pairs.

    `groups` (per comparison, a group number per level) makes a comparison conditional:
    its m and u sum to one within each group, P(level | group, match). That is how a
    comparison that depends on another is modelled: two namesakes' domains are built
    from the same name, so a similar domain says little once the names agree.
    `start`: where EM starts instead of the priors (an earlier, coarser estimate).
    `passive` comparisons are estimated from the posteriors but do not shape them: the
    match class is found by the identity comparisons (name, domain, phone); left free,
    a comparison the blocking concentrates (the city of place-sorted neighbours) can pull
    EM to a split by place instead of by company.
    `offsets`: per pair, bits added to its weight and not estimated (the term-frequency
    bits: an exact name dozens of companies share in one city is no sign of a match, and
    EM must not learn that it is); counted to the nearest quarter bit."""
    comparisons = list(names)
    columns = {c: levels[c] for c in comparisons}
    if offsets is not None:
        columns["_offset"] = np.round(np.asarray(offsets) * 4).astype(np.int16)
    patterns, counts = _patterns(columns)
    offset = patterns[:, -1] * (np.log(2) / 4) if offsets is not None else 0.0
    initial = start or MatchWeights(names, prior_m, prior_u, prior_share, 0, False, 0)
    m = {c: np.asarray(initial.m[c], dtype=np.float64) for c in comparisons}
    u = {c: np.asarray(initial.u[c], dtype=np.float64) for c in comparisons}
    share = initial.match_share
    prior_matches, prior_non = prior_pairs * prior_share, prior_pairs * (1 - prior_share)
    converged, iterations = False, 0
    while iterations < max_iterations:
        iterations += 1
        # E: the probability that each distinct vector is a match.
        odds = np.log(share / (1 - share)) + offset
        for j, c in enumerate(comparisons):
            if c not in passive:
                odds += np.append(np.log(m[c] / u[c]), 0.0)[patterns[:, j]]
        p = 1 / (1 + np.exp(-odds))
        matches, non = counts * p, counts * (1 - p)
        # M: level shares among (expected) matches and non-matches, with the prior's pairs.
        change = 0.0
        for j, c in enumerate(comparisons):
            level, k = patterns[:, j], len(names[c])
            known = level >= 0
            m_new = np.bincount(level[known], matches[known], k) + prior_matches * prior_m[c]
            u_new = np.bincount(level[known], non[known], k) + prior_non * prior_u[c]
            group = (groups or {}).get(c, np.zeros(k, dtype=np.int64))
            m_new, u_new = _normalized(m_new, group), _normalized(u_new, group)
            change = max(change, np.abs(m_new - m[c]).max(), np.abs(u_new - u[c]).max())
            m[c], u[c] = m_new, u_new
        new_share = (matches.sum() + prior_matches) / (counts.sum() + prior_pairs)
        new_share = float(np.clip(new_share, 1e-9, 1 - 1e-9))
        change = max(change, abs(new_share - share))
        share = new_share
        if change < tolerance:
            converged = True
            break
    return MatchWeights(
        levels=dict(names),
        m=m,
        u=u,
        match_share=share,
        iterations=iterations,
        converged=converged,
        pairs=int(counts.sum()),
    )


def term_frequency_bits(
    codes: np.ndarray, bound: float, companies: np.ndarray | None = None
) -> np.ndarray:
    """Per value code: how much an exact agreement on that value is worth beyond the
    average exact agreement, in bits: log2(sum of tf^2 / tf(value)), tf = the value's
    share of the accounts holding a value. Two accounts agreeing on a name a hundred
    companies share are weak evidence; on a name only they hold, strong. (A random pair
    of non-matches agrees on a value with probability tf^2; a match's value is drawn with
    probability tf; hence the ratio, as in Splink's term-frequency adjustment.) Bounded
    to +-`bound`.

    `companies` (per account, how many companies go by its value): tf counts companies
    instead of accounts, so the duplicates of one company do not make its name look
    common: three records of one 'Zentrix' are one company, two 'Summit Group's two."""
    known = codes[codes >= 0]
    if not len(known):
        return np.zeros(0)
    if companies is None:
        tf = np.bincount(known).astype(np.float64)
    else:
        tf = np.zeros(int(known.max()) + 1)
        np.maximum.at(tf, known, companies[codes >= 0].astype(np.float64))
    tf = tf / tf.sum()
    with np.errstate(divide="ignore"):
        bits = np.log2(np.square(tf).sum() / tf)
    return np.clip(np.where(tf > 0, bits, 0.0), -bound, bound)
