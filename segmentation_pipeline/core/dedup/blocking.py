"""Candidate pairs: which accounts are compared at all.

All pairs of a million accounts are 5 * 10^11 comparisons. Instead:
* exact keys (domain, E.164 phone, name key): every pair of accounts sharing the key while
  it is held by at most `block_size` accounts; beyond that (a shared switchboard number,
  "Global Solutions") each account meets its `block_size` nearest, sorted by name, or
  for the name key by country and city;
* sorted neighbourhoods for typos: each account meets its `window` nearest neighbours by
  name key (spaces removed), and by the same key read backwards (a typo early in the
  name), both over all accounts and within the account's own city, where the
  neighbourhood is far less crowded. The city alone, not country and city: a duplicate
  often lacks its country (it is filled from the phone, or not at all), and a city name
  shared by two countries only adds a few neighbours.
So the pairs grow linearly with the accounts: at most (3 * block_size + 4 * window) each.
"""

from __future__ import annotations

import numpy as np

from segmentation_pipeline.core.dedup.keys import MatchKeys


def neighbours(
    order: np.ndarray, window: int, block: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows at most `window` apart in `order`; inside one block when given."""
    lefts, rights = [], []
    ordered_block = None if block is None else block[order]
    for distance in range(1, min(window, len(order) - 1) + 1):
        left, right = order[:-distance], order[distance:]
        if ordered_block is not None:
            same = ordered_block[:-distance] == ordered_block[distance:]
            if not same.any():
                break
            left, right = left[same], right[same]
        lefts.append(left)
        rights.append(right)
    if not lefts:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(lefts), np.concatenate(rights)


def _exact_key_pairs(key: np.ndarray, *then: np.ndarray, size: int):
    present = np.flatnonzero(key >= 0).astype(np.int32)
    sort_keys = tuple(k[present] for k in reversed(then)) + (key[present],)
    return neighbours(present[np.lexsort(sort_keys)], size - 1, key)


def _sorted_pairs(*sort_keys: np.ndarray, window: int):
    """Neighbours in the order of the given keys (first is primary); -1 = missing."""
    present = np.flatnonzero(sort_keys[-1] >= 0).astype(np.int32)
    order = present[np.lexsort(tuple(k[present] for k in reversed(sort_keys)))]
    return neighbours(order, window)


def candidate_pairs(keys: MatchKeys, window: int, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairs (left < right) of row positions worth scoring."""
    parts = [
        _exact_key_pairs(keys.domain, keys.compact_rank, size=block_size),
        _exact_key_pairs(keys.phone, keys.compact_rank, size=block_size),
        _exact_key_pairs(keys.name_code, keys.country, keys.city, size=block_size),
        _sorted_pairs(keys.compact_rank, window=window),
        _sorted_pairs(keys.reversed_rank, window=window),
        _sorted_pairs(keys.city, keys.compact_rank, window=window),
        _sorted_pairs(keys.city, keys.reversed_rank, window=window),
    ]
    left = np.concatenate([p[0] for p in parts]).astype(np.int64)
    right = np.concatenate([p[1] for p in parts]).astype(np.int64)
    n = np.int64(max(len(keys), 1))
    pair_ids = np.minimum(left, right) * n + np.maximum(left, right)
    del left, right
    pair_ids.sort()
    pair_ids = pair_ids[np.r_[True, pair_ids[1:] != pair_ids[:-1]]] if len(pair_ids) else pair_ids
    return (pair_ids // n).astype(np.int32), (pair_ids % n).astype(np.int32)
