"""Matched pairs -> clusters of accounts, with a guard against chaining.

Plain connected components chain: A~B and B~C put A and C together even when A and C
are two different companies. The guard merges pairs strongest first and refuses a merge
that would put two different values of an exclusive field (by default domain and
country) into one cluster, or two accounts the matcher weighed and found apart (`apart`:
with learned weights, candidate pairs below the review band) unless the pairs weighed
between the two clusters reach the merge bar on average (`weighed`), or grow it past
`max_cluster_size`. Components of two accounts need one check; only larger components
go through the ordered merge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (smallest member) of each of n nodes; numpy label propagation."""
    labels = np.arange(n, dtype=np.int64)
    while len(left):
        low = np.minimum(labels[left], labels[right])
        np.minimum.at(labels, labels[left], low)
        np.minimum.at(labels, labels[right], low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels[left], labels[right]):
            break
    return labels


@dataclass(frozen=True)
class Clusters:
    labels: np.ndarray  # cluster label per account (smallest member's position)
    merged: np.ndarray  # per matched pair: it joined two sub-clusters (an edge of the merge)
    refused: np.ndarray  # per matched pair: its accounts ended in different clusters


def _values_per_component(component: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Distinct non-null codes per component label."""
    known = codes >= 0
    keys = np.sort(
        component[known].astype(np.int64) * (int(codes.max(initial=0)) + 1) + codes[known]
    )
    distinct = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    return np.bincount(distinct // (int(codes.max(initial=0)) + 1), minlength=len(component))


def _conflict(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a >= 0) & (b >= 0) & (a != b)


@dataclass(frozen=True)
class WeighedPairs:
    """Pairs of accounts the model weighed below the merge bar (log2 odds of one
    company; -inf: not weighed, kept apart), and that bar: a chain joins two clusters
    across a pair weighed apart only when the pairs weighed between the two clusters
    (matches included) reach `join_at` on average."""

    left: np.ndarray
    right: np.ndarray
    weight: np.ndarray
    join_at: float


def _mean_across(weight_with: dict, members: list[int], root, other: int) -> float:
    """Mean weight of the weighed pairs between `members` and the cluster `other`
    (average linkage: one record matching five of a cluster's records on the same name
    is one piece of evidence, not five, so the weights are not summed)."""
    weights = [w for v in members for u, w in weight_with.get(v, {}).items() if root(u) == other]
    return sum(weights) / len(weights)


def _ordered_merge(
    nodes: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    exclusive: list[np.ndarray],
    max_size: int,
    apart: tuple[np.ndarray, np.ndarray] | None = None,
    weighed: WeighedPairs | None = None,
) -> np.ndarray:
    """Which pairs merge, by union-find over the pairs strongest first."""
    parent = {int(v): int(v) for v in nodes}
    size = dict.fromkeys(parent, 1)
    values = {v: [int(codes[v]) for codes in exclusive] for v in parent}
    members = {v: [v] for v in parent}
    not_with: dict[int, set[int]] = {}
    for a, b in zip(*(apart or ((), ())), strict=True):
        if int(a) in parent and int(b) in parent:
            not_with.setdefault(int(a), set()).add(int(b))
            not_with.setdefault(int(b), set()).add(int(a))

    weight_with: dict[int, dict[int, float]] = {}
    if weighed is not None:
        lefts = np.concatenate([left, weighed.left])
        rights = np.concatenate([right, weighed.right])
        weights = np.concatenate([score, weighed.weight])
        for a, b, w in zip(lefts, rights, weights, strict=True):
            if int(a) in parent and int(b) in parent:
                weight_with.setdefault(int(a), {})[int(b)] = float(w)
                weight_with.setdefault(int(b), {})[int(a)] = float(w)

    def root(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    def kept_apart(a: int, b: int) -> bool:
        """Clusters a and b hold two accounts weighed apart, and (with weights) the pairs
        weighed between them fall short of the merge bar on average."""
        if not any(root(other) == b for v in members[a] for other in not_with.get(v, ())):
            return False
        return weighed is None or _mean_across(weight_with, members[a], root, b) < weighed.join_at

    merged = np.zeros(len(left), dtype=bool)
    for k in np.lexsort((right, left, -score)):
        a, b = root(int(left[k])), root(int(right[k]))
        if a == b or size[a] + size[b] > max_size:
            continue
        va, vb = values[a], values[b]
        if any(x >= 0 and y >= 0 and x != y for x, y in zip(va, vb, strict=True)):
            continue
        if kept_apart(a, b):
            continue
        if size[a] < size[b]:
            a, b, va, vb = b, a, vb, va
        parent[b] = a
        size[a] += size[b]
        members[a] += members.pop(b)
        values[a] = [x if x >= 0 else y for x, y in zip(va, vb, strict=True)]
        merged[k] = True
    return merged


def guarded_clusters(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    exclusive: list[np.ndarray],
    max_size: int,
    apart: tuple[np.ndarray, np.ndarray] | None = None,
    weighed: WeighedPairs | None = None,
) -> Clusters:
    """Clusters of n accounts from matched pairs (left, right, score); `apart`: pairs of
    accounts that must not end in one cluster, unless `weighed` says the pairs between
    their clusters still reach the merge bar on average."""
    component = connected_components(n, left, right)
    sizes = np.bincount(component, minlength=n)
    in_pair_component = sizes[component[left]] == 2
    merged = np.zeros(len(left), dtype=bool)
    conflict = np.zeros(len(left), dtype=bool)
    for codes in exclusive:
        conflict |= _conflict(codes[left], codes[right])
    merged[in_pair_component] = ~conflict[in_pair_component]

    # A larger component whose accounts hold at most one value of each exclusive field
    # and that fits the size limit merges whole; only the others need the ordered merge.
    troubled = sizes > max_size
    for codes in exclusive:
        troubled |= _values_per_component(component, codes) > 1
    if apart is not None:
        inside = component[apart[0]] == component[apart[1]]
        troubled[component[apart[0][inside]]] = True
        apart = (apart[0][inside], apart[1][inside])
    whole = ~in_pair_component & ~troubled[component[left]]
    merged[whole] = True
    big = np.flatnonzero(~in_pair_component & ~whole)
    if len(big):
        nodes = np.unique(np.concatenate([left[big], right[big]]))
        merged[big] = _ordered_merge(
            nodes, left[big], right[big], score[big], exclusive, max_size, apart, weighed
        )
    edges = np.flatnonzero(merged)
    labels = connected_components(n, left[edges], right[edges])
    return Clusters(labels, merged, labels[left] != labels[right])
