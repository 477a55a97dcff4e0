"""Plain, offline HTML pages: one stylesheet, escaped cells, a sortable table script.

Everything the report pages show comes from CRM data, so every cell is escaped; no page
loads anything from the network.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;
background:#f7f8fa}
main{max-width:1440px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem}
nav a{margin-right:1rem}
table{border-collapse:collapse;margin:.8rem 0;background:#fff;font-size:.9rem}
th,td{border:1px solid #d9dee5;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[data-dir=asc]::after{content:" \\25B2"}
table.sortable th[data-dir=desc]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.sortable td:last-child{min-width:16rem}
.muted{color:#616e7c;font-size:.85rem}
.flag{color:#b42318;font-weight:600}
"""

# Click a header to sort by it; numbers (also "$1,200" and "40%") sort as numbers,
# empty cells last.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var dir = th.dataset.dir === "asc" ? "desc" : "asc";
      table.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
      th.dataset.dir = dir;
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) {
        var cell = row.cells[col];
        var raw = cell.textContent.trim();
        var n = Number(raw.replace(/[$,%]/g, ""));
        return raw === "" ? null : (isNaN(n) ? raw.toLowerCase() : n);
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null) return 1;
        if (y === null) return -1;
        var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0)
                                        : (typeof x === "number" ? -1 : 1);
        return dir === "asc" ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


ENTITIES: tuple[tuple[str, str], ...] = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("'", "&#x27;"),
)


def escape(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def characters_in(text: pa.Array | pa.ChunkedArray, characters: str) -> set[str]:
    """Which of the (ASCII) `characters` occur in `text`: one memchr-speed search of the
    raw UTF-8 buffer per character; a compute kernel scanning strings for a character
    that is absent costs several times more on long text such as the explanations."""
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    found: set[str] = set()
    for chunk in chunks:
        if not len(chunk) or chunk.buffers()[2] is None:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        lo, hi = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
        data = memoryview(chunk.buffers()[2])[lo:hi].tobytes()
        found |= {c for c in characters if c.encode("ascii") in data}
    return found


def _escape_text(text: pa.Array) -> pa.Array:
    """Escape a large_string Arrow array, replacing only the entities present (most report
    columns hold none)."""
    present = characters_in(text, "".join(raw for raw, _ in ENTITIES))
    for raw, entity in ENTITIES:
        if raw in present:
            text = pc.replace_substring(text, raw, entity)
    return text


def escape_column(values: pd.Series) -> pa.Array:
    """`escape` over a whole column at once (missing values become empty text), as an
    Arrow large_string array to join with other columns."""
    return _escape_text(pc.fill_null(_arrow_text(values.astype("string")), ""))


def page(title: str, body: str, *, head: str = "", script: str = "") -> str:
    """A complete HTML document; `body` and `head` are trusted markup, `title` is text."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n{head}</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n"
        + (f"<script>{script}</script>\n" if script else "")
        + "</body>\n</html>\n"
    )


def _arrow_text(values: pd.Series) -> pa.Array:
    return pa.array(values, from_pandas=True).cast(pa.large_string())


def table_html(headers: Sequence[str], body_rows: str, *, sortable: bool = False) -> str:
    """A table around already rendered `<tr>` rows."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    css = ' class="sortable"' if sortable else ""
    return f"<table{css}><thead><tr>{head}</tr></thead><tbody>{body_rows}</tbody></table>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    sortable: bool = False,
    numeric: Iterable[int] = (),
) -> str:
    """An HTML table of escaped text cells; column positions in `numeric` align right.
    For small tables (docs)."""
    numeric = set(numeric)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(v)}</td>' if i in numeric else f"<td>{escape(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return table_html(headers, body, sortable=sortable)
