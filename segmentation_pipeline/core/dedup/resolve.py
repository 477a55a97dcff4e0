"""Duplicate resolution: standardized accounts -> one survivor per real-world company,
plus an audit row for every folded account.

Duplicate rates (both are shares of records that are redundant copies):
* duplicate_rate_before = (accounts - clusters) / accounts: how many input accounts are
  duplicates of another input account, as this stage found them.
* duplicate_rate_after = (survivors - groups) / survivors, where a group joins survivors
  still linked by a match the chaining guard refused to merge: the duplicates left in
  the output that this stage could not resolve on its own (for human review).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from segmentation_pipeline.core.changes import SOURCE_HASH, group_hashes
from segmentation_pipeline.core.dedup.blocking import candidate_pairs
from segmentation_pipeline.core.dedup.clustering import (
    Clusters,
    WeighedPairs,
    connected_components,
    guarded_clusters,
)
from segmentation_pipeline.core.dedup.fellegi_sunter import MatchWeights
from segmentation_pipeline.core.dedup.keys import MatchKeys, match_keys
from segmentation_pipeline.core.dedup.probabilistic import (
    evidence_text,
    pair_weights,
    score_pairs_learned,
)
from segmentation_pipeline.core.dedup.scoring import (
    EVIDENCE_LABELS,
    ScoredPairs,
    rule_labels,
    score_pairs,
)
from segmentation_pipeline.core.dedup.survivorship import Merge, merge_clusters

if TYPE_CHECKING:
    from segmentation_pipeline.framework.dedup import DedupConfig
    from segmentation_pipeline.framework.models import Framework

AUDIT_COLUMNS = (
    "account_id",
    "survivor_id",
    "cluster_id",
    "match_score",
    "rule",
    "matched_to",
    "name_similarity",
    "domain_evidence",
    "phone_evidence",
    "city_evidence",
    "country_evidence",
    "fields_filled",
    "name",
    "match_probability",
    "evidence",
)
REVIEW_COLUMNS = (
    "account_id",
    "other_account_id",
    "match_probability",
    "match_score",
    "rule",
    "evidence",
    "reason",
)
IN_BAND = "review band"  # a probability between review_probability and merge_probability
KEPT_APART = "kept apart by the cluster guard"  # a match the guard refused to merge


# Exclusive field -> the key the guard compares. A domain is compared by its label, so a
# company seen on acme.com and acme.de can form one cluster when a pair proves it.
_EXCLUSIVE_KEYS = {"domain": "domain_label", "phone_e164": "phone", "country_code": "country"}
_APART_KEYS = {"domain": "domain", "phone_e164": "phone"}  # exact values: a typo differs too


@dataclass(frozen=True)
class ClusterFinding:
    """What matching found: the clusters and the matched pairs they came from. It
    depends only on the match inputs (`MATCH_INPUTS`) row by row and on the dedup
    config, so a run whose rows match as before can take it over (`core.dedup.reuse`)."""

    clusters: Clusters
    matched: ScoredPairs
    candidate_pairs: int
    scored_pairs: int
    band: ScoredPairs | None = None  # pairs in the review band (learned weights)
    weights: MatchWeights | None = None  # the weights learned this run

    def __len__(self) -> int:
        return len(self.clusters.labels)


def find_clusters(frame: pd.DataFrame, config: DedupConfig) -> ClusterFinding:
    """Blocking, pair scoring and guarded clustering of rows in positional order."""
    keys = match_keys(frame)
    left, right = candidate_pairs(keys, config.window, config.block_size)
    candidates = len(left)
    weights, band, apart = None, None, None
    if config.engine == "fellegi_sunter":
        scored, weights = score_pairs_learned(keys, left, right, config)
        fields = config.fellegi_sunter.apart_on_conflict
        apart = _weighed_apart([getattr(keys, _APART_KEYS[f]) for f in fields], left, right, scored)
        merge = np.log2(config.fellegi_sunter.merge_probability)
        merge -= np.log2(1 - config.fellegi_sunter.merge_probability)
        is_match = scored.score >= merge
        band = scored.take(np.flatnonzero(~is_match))
    else:
        scored = score_pairs(keys, left, right, config)
        is_match = scored.score >= config.match_threshold
    del left, right
    matched = scored.take(np.flatnonzero(is_match))
    fields = config.exclusive_fields
    if config.engine == "fellegi_sunter":
        fields = config.fellegi_sunter.exclusive_fields
    exclusive = [getattr(keys, _EXCLUSIVE_KEYS[f]) for f in fields]
    weighed = None
    if weights is not None:
        weighed = _weighed_inside(keys, matched, band, apart, merge, config, weights)
    clusters = guarded_clusters(
        len(frame), matched.left, matched.right, matched.score, exclusive,
        config.max_cluster_size, apart, weighed,
    )  # fmt: skip
    return ClusterFinding(clusters, matched, candidates, len(scored), band, weights)


def _weighed_inside(
    keys: MatchKeys,
    matched: ScoredPairs,
    band: ScoredPairs,
    apart: tuple[np.ndarray, np.ndarray],
    merge: float,
    config: DedupConfig,
    weights: MatchWeights,
) -> WeighedPairs:
    """The weights of the pairs below the merge bar that lie inside one component of
    matches (the only ones a chain could join): the band's as scored, the pairs weighed
    apart in full. A chain across pairs weighed apart joins two clusters only when the
    pairs weighed between them reach the merge bar on average: a moved office's record
    (same name, other phone and city) weighs a little against its company's first
    record, and much more for its matches with the company's later records."""
    component = connected_components(len(keys), matched.left, matched.right)
    a, b = apart
    inside = np.flatnonzero(component[a] == component[b])
    apart_weight = pair_weights(keys, a[inside], b[inside], config, weights)
    near = np.flatnonzero(component[band.left] == component[band.right])
    return WeighedPairs(
        np.concatenate([a[inside], band.left[near]]),
        np.concatenate([b[inside], band.right[near]]),
        np.concatenate([apart_weight, band.score[near].astype(np.float64)]),
        merge,
    )


def _weighed_apart(
    fields: list[np.ndarray], left: np.ndarray, right: np.ndarray, scored: ScoredPairs
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs the learned weights put below the review band while they hold two
    different values of one of `fields` (by default domain, phone): two companies by the
    model's own reckoning, so no chain of matches may join them (A~B and B~C do not make
    A and C one when A and C were weighed and found apart)."""
    conflict = np.zeros(len(left), dtype=bool)
    for codes in fields:
        a, b = codes[left], codes[right]
        conflict |= (a >= 0) & (b >= 0) & (a != b)
    n = np.int64(max(len(fields[0]) if fields else 1, 1))
    rows = np.flatnonzero(conflict)
    kept = np.sort(scored.left.astype(np.int64) * n + scored.right)
    pair = left[rows].astype(np.int64) * n + right[rows]
    at = np.minimum(np.searchsorted(kept, pair), max(len(kept) - 1, 0))
    weighed = kept[at] == pair if len(kept) else np.zeros(len(pair), dtype=bool)
    rows = rows[~weighed]  # np.isin(pair, kept), without sorting the many candidates
    return left[rows], right[rows]


@dataclass(frozen=True)
class DedupResult:
    """survivors: the input columns plus duplicate_count, one row per cluster, in input
    order; audit: one row per folded account (see AUDIT_COLUMNS and `<field>_added` for
    each summed field); review: pairs for a person to decide (REVIEW_COLUMNS): those in
    the review band and the matches the chaining guard kept apart; weights: what EM
    learned this run (empty under the points engine)."""

    survivors: pd.DataFrame
    audit: pd.DataFrame
    duplicate_rate_before: float
    duplicate_rate_after: float
    review: pd.DataFrame = field(default_factory=pd.DataFrame)  # REVIEW_COLUMNS
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)  # comparison, level, m, u, weight
    stats: dict = field(default_factory=dict)
    finding: ClusterFinding | None = None


def _best_edge(pairs: ScoredPairs, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per account: the strongest merged pair it belongs to (-1 where none)."""
    rows = np.concatenate([pairs.left, pairs.right])
    others = np.concatenate([pairs.right, pairs.left])
    edge = np.concatenate([np.arange(len(pairs))] * 2)
    order = np.lexsort((-np.concatenate([pairs.score] * 2), rows))
    first = np.r_[True, rows[order][1:] != rows[order][:-1]] if len(order) else order
    best_edge = np.full(n, -1, dtype=np.int64)
    best_other = np.full(n, -1, dtype=np.int64)
    best_edge[rows[order][first]] = edge[order][first]
    best_other[rows[order][first]] = others[order][first]
    return best_edge, best_other


def _fields_filled(filled_from: dict[str, np.ndarray], folded: np.ndarray) -> np.ndarray:
    """Per folded account: the survivor's field groups it filled, comma-separated."""
    position = pd.Series(np.arange(len(folded)), index=folded)
    filled = np.full(len(folded), "", dtype=object)
    for group, sources in filled_from.items():
        at = position.reindex(sources).to_numpy()
        filled[at] = [f"{f},{group}" if f else group for f in filled[at]]
    return filled


def _rate_after(labels: np.ndarray, refused: ScoredPairs, clusters: int) -> float:
    if not clusters:
        return 0.0
    a, b = labels[refused.left], labels[refused.right]
    groups = connected_components(len(labels), a, b)
    still_linked = np.unique(np.concatenate([a, b]))
    unresolved = len(still_linked) - len(np.unique(groups[still_linked]))
    return unresolved / clusters


def _evidence(states: np.ndarray) -> np.ndarray:
    labels = np.array([EVIDENCE_LABELS[s] for s in (-1, 0, 1, 2, 3)], dtype=object)
    return labels[states.astype(np.int64) + 1]


def _audit(
    frame: pd.DataFrame,
    merge: Merge,
    clusters: Clusters,
    matched: ScoredPairs,
    config: DedupConfig,
    weights: MatchWeights | None,
) -> pd.DataFrame:
    """One row per folded account: its survivor, the strongest merged pair it is in, the
    evidence of that pair, and what it gave the survivor."""
    n = len(frame)
    survivor_rows = merge.survivors.index.to_numpy()
    cluster_ids = np.full(n, -1, dtype=np.int64)
    cluster_ids[clusters.labels[survivor_rows]] = np.arange(len(survivor_rows))
    edges = matched.take(np.flatnonzero(clusters.merged))
    best_edge, best_other = _best_edge(edges, n)
    folded = np.flatnonzero(merge.survivor_of != np.arange(n))
    edge = edges.take(best_edge[folded])
    account_id = frame["account_id"].to_numpy(dtype=object)
    audit = pd.DataFrame(
        {
            "account_id": account_id[folded],
            "survivor_id": account_id[merge.survivor_of[folded]],
            "cluster_id": cluster_ids[clusters.labels[folded]],
            "match_score": edge.score.astype(float),
            "rule": rule_labels(edge),
            "matched_to": account_id[best_other[folded]],
            "name_similarity": edge.name_similarity.astype(float),
            "domain_evidence": _evidence(edge.domain),
            "phone_evidence": _evidence(edge.phone),
            "city_evidence": _evidence(edge.city),
            "country_evidence": _evidence(edge.country),
            "fields_filled": _fields_filled(merge.filled_from, folded),
            "name": frame["name"].to_numpy(dtype=object)[folded],
            "match_probability": edge.probability.astype(float),
            "evidence": evidence_text(edge, weights, config.fellegi_sunter),
        }
    )
    for name in config.sum_fields:
        if name in frame:
            audit[f"{name}_added"] = pd.to_numeric(frame[name], errors="coerce").to_numpy()[folded]
    return audit


def _review(
    account_id: np.ndarray,
    pairs: ScoredPairs | None,
    config: DedupConfig,
    weights: MatchWeights | None,
    reason: str,
) -> pd.DataFrame:
    if pairs is None:
        return pd.DataFrame(columns=list(REVIEW_COLUMNS))
    return pd.DataFrame(
        {
            "account_id": account_id[pairs.left],
            "other_account_id": account_id[pairs.right],
            "match_probability": pairs.probability.astype(float),
            "match_score": pairs.score.astype(float),
            "rule": rule_labels(pairs),
            "evidence": evidence_text(pairs, weights, config.fellegi_sunter),
            "reason": reason,
        },
        columns=list(REVIEW_COLUMNS),
    )


def deduplicate(
    accounts: pd.DataFrame, framework: Framework, finding: ClusterFinding | None = None
) -> DedupResult:
    """Fold duplicate standardized accounts into survivors, with an audit of every fold.

    `finding` is an earlier run's matching of these same match inputs (see
    `core.dedup.reuse`); without it the accounts are matched afresh."""
    config = framework.dedup
    frame = accounts.reset_index(drop=True)
    n = len(frame)
    if finding is None:
        finding = find_clusters(frame, config)
    elif len(finding) != n:
        raise ValueError(f"a cluster finding of {len(finding)} rows given for {n} accounts")
    clusters, matched = finding.clusters, finding.matched
    merge = merge_clusters(frame, clusters.labels, config, framework.arr_tiers)

    survivors = merge.survivors
    sizes = np.bincount(clusters.labels, minlength=n)
    survivor_rows = survivors.index.to_numpy()
    survivors["duplicate_count"] = (sizes[clusters.labels[survivor_rows]] - 1).astype(int)
    if SOURCE_HASH in frame.columns:
        # A survivor is made of its cluster's rows: it is unchanged exactly when they are.
        members = frame[SOURCE_HASH].to_numpy(dtype=np.uint64)
        by_cluster = group_hashes(members, clusters.labels, n)
        survivors[SOURCE_HASH] = by_cluster[clusters.labels[survivor_rows]]
    audit = _audit(frame, merge, clusters, matched, config, finding.weights)
    account_id = frame["account_id"].to_numpy(dtype=object)

    refused = matched.take(np.flatnonzero(clusters.refused))
    band = finding.band
    if band is not None:  # a pair already joined through other matches needs no one
        band = band.take(np.flatnonzero(clusters.labels[band.left] != clusters.labels[band.right]))
    review = pd.concat(
        [
            _review(account_id, band, config, finding.weights, IN_BAND),
            _review(account_id, refused, config, finding.weights, KEPT_APART),
        ],
        ignore_index=True,
    )
    n_clusters = len(survivor_rows)
    learned = finding.weights
    em = {}
    if learned is not None:
        em = {
            "em_pairs": learned.pairs,
            "em_iterations": learned.iterations,
            "em_converged": learned.converged,
            "em_match_share": round(learned.match_share, 6),
        }
    return DedupResult(
        survivors=survivors.reset_index(drop=True),
        audit=audit,
        duplicate_rate_before=(n - n_clusters) / n if n else 0.0,
        duplicate_rate_after=_rate_after(clusters.labels, refused, n_clusters),
        review=review,
        weights=finding.weights.table() if finding.weights is not None else pd.DataFrame(),
        finding=finding,
        stats={
            "accounts": n,
            "candidate_pairs": finding.candidate_pairs,
            "scored_pairs": finding.scored_pairs,
            "matched_pairs": len(matched),
            "refused_pairs": len(refused),
            "review_band_pairs": len(band) if band is not None else 0,
            "clusters_with_duplicates": int((sizes > 1).sum()),
            "largest_cluster": int(sizes.max()) if n else 0,
            **em,
        },
    )
