"""EM counts the distinct comparison vectors of the sampled pairs (fellegi_sunter._patterns)
by reading each vector as one integer. The vectors and counts must be those of
np.unique over the rows, in the same order (EM sums over them in that order)."""

import numpy as np
import pytest

from segmentation_pipeline.core.dedup.fellegi_sunter import _patterns


@pytest.mark.parametrize("pairs", [0, 1, 5000])
def test_patterns_equal_unique_rows(pairs):
    rng = np.random.default_rng(pairs)
    levels = {
        "name": rng.integers(-1, 5, pairs),
        "domain": rng.integers(-1, 12, pairs),
        "city": rng.integers(-1, 18, pairs),
        "phone": rng.integers(-1, 2, pairs),
        "_offset": rng.integers(-48, 49, pairs),  # term-frequency quarter bits, signed
    }

    distinct, counts = _patterns(levels)

    matrix = np.column_stack([v.astype(np.int16) for v in levels.values()])
    expected, expected_counts = np.unique(matrix, axis=0, return_counts=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(counts, expected_counts.astype(np.float64))
    assert distinct.dtype == expected.dtype and counts.sum() == pairs


def test_patterns_of_wide_levels_fall_back_to_row_unique():
    rng = np.random.default_rng(3)
    levels = {f"c{i}": rng.integers(-30000, 30000, 300) for i in range(6)}  # 60000^6 > 2^62

    distinct, counts = _patterns(levels)

    matrix = np.column_stack([v.astype(np.int16) for v in levels.values()])
    expected, expected_counts = np.unique(matrix, axis=0, return_counts=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(counts, expected_counts)
