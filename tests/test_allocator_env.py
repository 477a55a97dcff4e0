"""The allocator settings are added to an environment without overriding an operator's."""

from segmentation_pipeline.allocator_env import ALLOCATOR_ENV, with_allocator_env


def test_every_setting_is_added_to_an_environment_that_has_none():
    assert with_allocator_env({"PATH": "/bin"}) == {"PATH": "/bin", **ALLOCATOR_ENV}


def test_a_setting_the_operator_made_is_kept():
    merged = with_allocator_env({"PYTHONMALLOC": "pymalloc"})
    assert merged["PYTHONMALLOC"] == "pymalloc"
    assert merged["GLIBC_TUNABLES"] == ALLOCATOR_ENV["GLIBC_TUNABLES"]
