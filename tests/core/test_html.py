"""The HTML helpers: escaping, and the two table renderers agreeing on markup."""

import pandas as pd

from segmentation_pipeline.core import html


def test_escape_column_matches_escape():
    values = pd.Series(['<b>"Tom\'s" & co</b>', None, 3.5])
    assert html.escape_column(values).to_pylist() == [
        html.escape('<b>"Tom\'s" & co</b>'),
        "",
        "3.5",
    ]


def test_pages_have_no_external_reference():
    page = html.page("t", html.table(["x"], [["y"]], sortable=True), script=html.SORT_SCRIPT)
    assert "http" not in page
