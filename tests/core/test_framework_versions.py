"""Framework versions compare as numbers when they are numbers, else only as different."""

import pytest

from segmentation_pipeline.core.framework_versions import framework_mismatch, version_order


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


def test_one_version_is_one_framework_and_the_bundled_file_never_hides_a_newer_adopted_one():
    applied = {"2026.1": {"digest": "aaa"}, "2026.2": {"digest": "bbb"}}
    assert framework_mismatch(applied, "2026.2", "bbb", bundled=False) is None
    assert framework_mismatch(applied, "2026.3", "ccc", bundled=False) is None  # new: fine
    edited = framework_mismatch(applied, "2026.2", "zzz", bundled=False)
    assert edited.startswith("framework version 2026.2 was applied before with other settings")
    lost = framework_mismatch(applied, "2026.1", "aaa", bundled=True)
    assert lost.startswith("the bundled framework 2026.1 is loaded, but earlier nights applied")
    assert "2026.2" in lost
    # Rolling back on purpose is an adopted file, not the bundled one.
    assert framework_mismatch(applied, "2026.1", "aaa", bundled=False) is None
    # A release whose bundled framework is newer than every applied one is no mismatch.
    assert framework_mismatch(applied, "2026.4", "ddd", bundled=True) is None
