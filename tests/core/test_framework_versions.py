"""Framework versions compare as numbers when they are numbers, else only as different."""

import pytest

from segmentation_pipeline.core.framework_versions import version_order


@pytest.mark.parametrize(
    ("version", "reference", "order"),
    [
        ("2026.1", "2026.2", "older"),
        ("2026.2", "2026.1", "newer"),  # the stale-framework alert once called this "older"
        ("2026.10", "2026.9", "newer"),  # as numbers, not as text
        ("2026.1", "2026.1", "same"),
        ("v3", "2", "newer"),
        ("acme-7", "2026.1", "other"),
    ],
)
def test_version_order(version, reference, order):
    assert version_order(version, reference) == order
