"""Candidate pairs: which accounts are compared at all.

All pairs of a million accounts are 5 * 10^11 comparisons; instead each account is
compared with its `window` nearest neighbours in four sorted orders:
* by domain, then name: accounts sharing a domain (all pairs while a domain holds at
  most window + 1 accounts, nearest names beyond that);
* by phone, then name: the same for a shared E.164 number;
* by name key (spaces removed), then country and city: equal and near-equal names,
  typos late in the name;
* by the same key read backwards: typos early in the name ("Acme" / "Akme Logistics").
So the pairs grow linearly, at most 4 * window per account.
"""

from __future__ import annotations

import numpy as np

from segmentation_pipeline.core.dedup.keys import MatchKeys


def neighbours(
    order: np.ndarray, window: int, block: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows at most `window` apart in `order`; inside one block when given."""
    lefts, rights = [], []
    for distance in range(1, min(window, len(order) - 1) + 1):
        left, right = order[:-distance], order[distance:]
        if block is not None:
            same = block[left] == block[right]
            left, right = left[same], right[same]
        lefts.append(left)
        rights.append(right)
    if not lefts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


def _exact_key_pairs(key: np.ndarray, keys: MatchKeys, window: int):
    present = np.flatnonzero(key >= 0)
    order = present[np.lexsort((keys.compact_rank[present], key[present]))]
    return neighbours(order, window, key)


def _name_pairs(rank: np.ndarray, keys: MatchKeys, window: int):
    present = np.flatnonzero(rank >= 0)
    sort_keys = (keys.city[present], keys.country[present], rank[present])
    return neighbours(present[np.lexsort(sort_keys)], window)


def candidate_pairs(keys: MatchKeys, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairs (left < right) of row positions worth scoring."""
    parts = [
        _exact_key_pairs(keys.domain, keys, window),
        _exact_key_pairs(keys.phone, keys, window),
        _name_pairs(keys.compact_rank, keys, window),
        _name_pairs(keys.reversed_rank, keys, window),
    ]
    left = np.concatenate([p[0] for p in parts])
    right = np.concatenate([p[1] for p in parts])
    n = np.int64(max(len(keys), 1))
    pair_ids = np.sort(np.minimum(left, right) * n + np.maximum(left, right))
    pair_ids = pair_ids[np.r_[True, pair_ids[1:] != pair_ids[:-1]]] if len(pair_ids) else pair_ids
    return pair_ids // n, pair_ids % n
