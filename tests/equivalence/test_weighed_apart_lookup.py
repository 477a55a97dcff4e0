"""resolve._weighed_apart finds the conflicting candidate pairs that were not kept by a
binary search in the kept pairs instead of np.isin over every candidate; the pairs it
returns must be those np.isin gives."""

import numpy as np

from segmentation_pipeline.core.dedup.resolve import _weighed_apart
from segmentation_pipeline.core.dedup.scoring import ScoredPairs


def _scored(left: np.ndarray, right: np.ndarray) -> ScoredPairs:
    zeros = np.zeros(len(left), dtype=np.float32)
    states = np.zeros(len(left), dtype=np.int8)
    return ScoredPairs(
        left, right, zeros, *[states] * 6, zeros, zeros, zeros, zeros, np.zeros(len(left), bool)
    )


def _with_isin(fields, left, right, scored):
    conflict = np.zeros(len(left), dtype=bool)
    for codes in fields:
        a, b = codes[left], codes[right]
        conflict |= (a >= 0) & (b >= 0) & (a != b)
    n = np.int64(len(fields[0]))
    rows = np.flatnonzero(conflict)
    kept = scored.left.astype(np.int64) * n + scored.right
    rows = rows[~np.isin(left[rows].astype(np.int64) * n + right[rows], kept)]
    return left[rows], right[rows]


def test_same_pairs_as_isin():
    rng = np.random.default_rng(4)
    accounts = 500
    fields = [rng.integers(-1, 40, accounts), rng.integers(-1, 60, accounts)]
    left = rng.integers(0, accounts, 8000)
    right = rng.integers(0, accounts, 8000)
    for kept_rows in (rng.choice(8000, 900, replace=False), np.array([], dtype=np.int64)):
        scored = _scored(left[kept_rows], right[kept_rows])

        found = _weighed_apart(fields, left, right, scored)

        expected = _with_isin(fields, left, right, scored)
        np.testing.assert_array_equal(found[0], expected[0])
        np.testing.assert_array_equal(found[1], expected[1])
        assert len(expected[0]) > 100
