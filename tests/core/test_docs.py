"""Framework docs are generated from the config: every setting shows, changes show."""

from pathlib import Path

import pytest
from pydantic import BaseModel

from segmentation_pipeline.core import docs
from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH, load_framework


def _leaves(node, path=()):
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _leaves(getattr(node, name), (*path, name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path, node


def _replaced(node, path, value):
    """A copy of the (frozen) framework with one leaf swapped, without validation, so
    any leaf can carry a value that shows up unmistakably in the text."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, BaseModel):
        return node.model_copy(update={head: _replaced(getattr(node, head), rest, value)})
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[head] = _replaced(node[head], rest, value)
    return copy


def _sentinel(value, i):
    """A stand-in value and every way the docs may print it."""
    if isinstance(value, str):
        text = f"Zyxq{i}w"
        return text, {text}
    if isinstance(value, int):
        return 4321, {"4321", "4,321"}
    if abs(value) <= 1:
        return 0.4321, {"0.4321", "43.21%"}
    return 43215.0, {"43215", "43,215"}


def _text(framework) -> str:
    return "\n".join(docs.render_documents(framework).values())


def test_every_setting_of_the_framework_file_appears_in_the_docs(framework):
    baseline = _text(framework)
    missing = []
    for i, (path, value) in enumerate(_leaves(framework)):
        if value is None or isinstance(value, bool):
            continue
        sentinel, renderings = _sentinel(value, i)
        assert not any(r in baseline for r in renderings), f"sentinel of {path} not unique"
        changed = _text(_replaced(framework, path, sentinel))
        if not any(r in changed for r in renderings):
            missing.append(".".join(map(str, path)))
    assert missing == []


def test_a_threshold_changed_in_the_framework_file_shows_in_the_regenerated_docs(tmp_path):
    text = DEFAULT_FRAMEWORK_PATH.read_text()
    text = text.replace("concentration_max: 0.60", "concentration_max: 0.65")
    text = text.replace(
        "min_score: 4.0, service_model: high_touch", "min_score: 3.8, service_model: high_touch"
    )
    changed_file = Path(tmp_path / "framework.yaml")
    changed_file.write_text(text)
    before = docs.render_documents(load_framework())
    after = docs.render_documents(load_framework(changed_file))

    assert "at most 60%" in before["business-rules.md"]
    assert "at most 65%" in after["business-rules.md"]
    assert "at most 60%" not in after["business-rules.md"]
    assert "| Tier 1 | Enterprise | 3.8 | 3.8 or more |" in after["business-rules.md"]
    assert "2.5 to under 3.8" in after["csm-quick-reference.md"]
    assert "2.5 to under 3.8" in after["segment-definitions.html"]


def test_settings_the_docs_do_not_describe_yet_are_listed_under_other_settings(
    framework, monkeypatch
):
    monkeypatch.setitem(docs.CURATED, "governance", frozenset({"key_fields"}))
    rules = docs.render_documents(framework)["business-rules.md"]
    assert "## Other settings" in rules
    assert "| governance.concentration_max | 0.6 |" in rules
    assert "| governance.key_fields.0 |" not in rules


def test_nothing_is_left_for_other_settings_in_the_default_framework(framework):
    assert docs.uncurated_settings(framework) == []


def test_rubric_tables_put_each_band_under_its_points(framework):
    rules = docs.render_documents(framework)["business-rules.md"]
    assert (
        "| Company size (employees) | 1,000 or more | 500 to under 1,000 | 100 to under 500 "
        "| 50 to under 100 | 0 to under 50 |"
    ) in rules
    assert "| Current ARR | $100,000 or more | $50,000 to under $100,000 |" in rules


def test_the_quick_reference_example_follows_the_configured_weights(framework):
    # Methodology worked example: 4 x 0.25 + 2 x 0.40 + 5 x 0.35 = 3.55 -> Tier 2.
    page = docs.render_documents(framework)["csm-quick-reference.md"]
    assert "'Tier 2 (composite 3.55) because ARR of $150K" in page
    assert "(0.25xF + 0.4xB + 0.35xV)" in page


@pytest.mark.parametrize(
    "slug",
    [
        "index",
        "segment-definitions",
        "business-rules",
        "csm-quick-reference",
        "faq",
        "data-sources",
    ],
)
def test_each_document_exists_as_markdown_and_self_contained_html(framework, slug):
    files = docs.render_documents(framework)
    assert files[f"{slug}.md"].startswith("# ")
    page = files[f"{slug}.html"]
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    assert f'<a href="{slug}.html">' in page


def test_html_escapes_config_text(framework):
    hostile = framework.model_copy(update={"version": "<script>x</script>"})
    page = docs.render_documents(hostile)["faq.html"]
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_the_index_links_every_document_in_its_own_format(framework):
    files = docs.render_documents(framework)
    markdown, html = files["index.md"], files["index.html"]
    assert "- [Segment definitions](segment-definitions.md)" in markdown
    assert '<li><a href="faq.html">' in html
    linked = [name for name in files if name != "index.md" and name.endswith(".md")]
    for name in linked:
        assert f"]({name})" in markdown, name
        assert f'<li><a href="{name[:-3]}.html">' in html, name
