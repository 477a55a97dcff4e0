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


def test_vectorized_rows_render_the_same_markup_as_the_small_table():
    rows = [["a<1", "10"], ["b&2", ""]]
    small = html.table(["Name", "Value"], rows, numeric=[1])
    cells = pd.DataFrame(rows, columns=[0, 1])
    large = html.table_html(
        ["Name", "Value"], "".join(html.table_rows_array(cells, numeric=[1]).to_pylist())
    )
    assert small == large
    assert '<td class="num">10</td>' in small and "<td>a&lt;1</td>" in small


def test_pages_have_no_external_reference():
    page = html.page("t", html.table(["x"], [["y"]], sortable=True), script=html.SORT_SCRIPT)
    assert "http" not in page
