"""CSM views: one sortable HTML page and one CSV per account owner, plus an index.

A CSM opens their own page and sees their book by segment, then every account with its
segment, service model, composite score, explanation, at-risk flag and any transition
waiting for review; clicking a column header sorts by it. The CSV carries the same rows
for a spreadsheet.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation_pipeline.core import html as page_html

ACCOUNT_HEADERS: tuple[tuple[str, str], ...] = (
    ("account_id", "Account"),
    ("name", "Name"),
    ("segment", "Segment"),
    ("tier_label", "Tier"),
    ("service_model_label", "Service model"),
    ("composite_score", "Composite"),
    ("arr", "ARR"),
    ("status", "Status"),
    ("at_risk", "At risk"),
    ("pending_transition", "Pending transition"),
    ("explanation", "Explanation"),
)
BOOK_HEADERS: tuple[tuple[str, str], ...] = (
    ("segment", "Segment"),
    ("tier_label", "Tier"),
    ("service_model_label", "Service model"),
    ("accounts", "Accounts"),
    ("arr", "ARR"),
    ("at_risk_accounts", "At risk"),
    ("provisional", "Provisional"),
    ("pending_transitions", "Pending transitions"),
    ("mean_composite", "Mean composite"),
)


def owner_slug(owner_id: str) -> str:
    """A file name for an owner: readable part plus a short hash, so two owner ids that
    clean up to the same text never share a file."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", str(owner_id)).strip("-")[:40] or "owner"
    digest = hashlib.sha1(str(owner_id).encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}"


NUMERIC_COLUMNS = frozenset(
    {
        "composite_score",
        "arr",
        "accounts",
        "at_risk_accounts",
        "provisional",
        "pending_transitions",
        "mean_composite",
    }
)


def _money(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").map("${:,.0f}".format, na_action="ignore")


def _display(frame: pd.DataFrame, headers: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The text each cell shows, computed a column at a time."""
    cells = {}
    for column, _ in headers:
        values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        if column == "arr":
            text = _money(values)
        elif column in ("composite_score", "mean_composite"):
            numbers = pd.to_numeric(values, errors="coerce")
            text = numbers.map("{:.2f}".format, na_action="ignore")
        elif column == "at_risk":
            text = values.fillna(False).astype(bool).map({True: "AT RISK", False: ""})
        elif column in NUMERIC_COLUMNS:
            text = pd.to_numeric(values, errors="coerce").astype("Int64")
        else:
            text = values
        cells[column] = text
    return pd.DataFrame(cells, index=frame.index)


def _rows(frame: pd.DataFrame, headers: tuple[tuple[str, str], ...]) -> pd.Series:
    return page_html.table_rows(_display(frame, headers), NUMERIC_COLUMNS)


def _csv_lines(frame: pd.DataFrame) -> pd.Series:
    """Every row as one CSV line with every field quoted (RFC 4180), column-wise."""
    quoted = pd.DataFrame(
        {
            column: frame[column].astype("string").fillna("").str.replace('"', '""', regex=False)
            for column in frame.columns
        },
        index=frame.index,
    )
    pieces = []
    for i, column in enumerate(quoted.columns):
        pieces.append('"' if i == 0 else '","')
        pieces.append(pa.array(quoted[column], from_pandas=True).cast(pa.large_string()))
    pieces.append('"')
    scalars = [pa.scalar(p, type=pa.large_string()) if isinstance(p, str) else p for p in pieces]
    lines = pc.binary_join_element_wise(*scalars, pa.scalar("", type=pa.large_string()))
    return pd.Series(pd.arrays.ArrowExtensionArray(lines), index=frame.index)


def _per_owner(lines: pd.Series, owners: pd.Series, separator: str) -> dict[str, str]:
    """Join each owner's lines; the frame is sorted by owner, so each owner's lines are one
    contiguous run (cheaper than a groupby over a million strings)."""
    values = lines.tolist()
    keys = owners.to_numpy(dtype=object)
    if not len(keys):
        return {}
    cuts = [0, *(np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist(), len(keys)]
    return {keys[a]: separator.join(values[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)}


def _csv_header(columns) -> str:
    return ",".join('"' + str(c).replace('"', '""') + '"' for c in columns)


def owner_page(
    owner_id: str,
    book_rows: str,
    account_rows: str,
    counts: pd.Series,
    month: str,
) -> str:
    """One owner's page from their rendered book and account rows; `counts` holds their
    accounts, at_risk and pending totals."""
    esc = page_html.escape
    body = (
        '<nav><a href="index.html">All owners</a></nav>'
        f"<h1>Book of business: {esc(owner_id)}</h1>"
        f'<p class="muted">Snapshot {esc(month[:7])} · {int(counts["accounts"])} accounts · '
        f'<span class="flag">{int(counts["at_risk"])} at risk</span> · '
        f"{int(counts['pending'])} pending transitions · "
        "click a column header to sort</p>"
        "<h2>By segment</h2>"
        + page_html.table_html([h for _, h in BOOK_HEADERS], book_rows)
        + "<h2>Accounts</h2>"
        + page_html.table_html([h for _, h in ACCOUNT_HEADERS], account_rows, sortable=True)
    )
    return page_html.page(f"Book of business: {owner_id}", body, script=page_html.SORT_SCRIPT)


def index_page(book: pd.DataFrame, month: str) -> str:
    esc = page_html.escape
    totals = (
        book.groupby("owner_id", sort=True)
        .agg(
            accounts=("accounts", "sum"),
            arr=("arr", "sum"),
            at_risk=("at_risk", "sum"),
            pending=("pending_transitions", "sum"),
        )
        .reset_index()
    )
    rows = "".join(
        f'<tr><td><a href="{owner_slug(r.owner_id)}.html">{esc(r.owner_id)}</a></td>'
        f'<td class="num">{int(r.accounts)}</td><td class="num">${r.arr:,.0f}</td>'
        f'<td class="num">{int(r.at_risk)}</td><td class="num">{int(r.pending)}</td>'
        f'<td><a href="{owner_slug(r.owner_id)}.csv">CSV</a></td></tr>'
        for r in totals.itertuples(index=False)
    )
    body = (
        f'<h1>CSM views</h1><p class="muted">Snapshot {esc(month[:7])} · '
        f"{len(totals)} owners · click a column header to sort</p>"
        '<table class="sortable"><thead><tr><th>Owner</th><th>Accounts</th><th>ARR</th>'
        f"<th>At risk</th><th>Pending transitions</th><th>Download</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return page_html.page("CSM views", body, script=page_html.SORT_SCRIPT)


def csm_view_files(accounts: pd.DataFrame, book: pd.DataFrame, month: str) -> dict[str, str]:
    """File name -> content: index.html, and '<owner>.html' and '<owner>.csv' per owner.

    `accounts` and `book` are the `csm_accounts` and `csm_book` frames (accounts in the
    order the pages list them).
    """
    files = {"index.html": index_page(book, month)}
    accounts = accounts.sort_values("owner_id", kind="stable")
    owners = accounts["owner_id"]
    html_rows = _per_owner(_rows(accounts, ACCOUNT_HEADERS), owners, "")
    csv_rows = _per_owner(_csv_lines(accounts), owners, "\n")
    counts = (
        accounts.assign(pending=accounts["pending_transition"].notna())
        .groupby(owners)
        .agg(
            accounts=("account_id", "size"), at_risk=("at_risk", "sum"), pending=("pending", "sum")
        )
    )
    book_rows = (
        _rows(book.rename(columns={"at_risk": "at_risk_accounts"}), BOOK_HEADERS)
        .groupby(book["owner_id"], sort=False)
        .agg("".join)
    )
    header = _csv_header(accounts.columns)
    for owner_id, rows in sorted(html_rows.items()):
        slug = owner_slug(owner_id)
        files[f"{slug}.html"] = owner_page(
            owner_id, book_rows[owner_id], rows, counts.loc[owner_id], month
        )
        files[f"{slug}.csv"] = f"{header}\n{csv_rows[owner_id]}\n"
    return files
