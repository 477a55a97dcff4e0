"""CSM views: one sortable HTML page and one CSV per account owner, plus an index.

A CSM opens their own page and sees their book by segment, then every account with its
segment, service model, composite score, explanation, at-risk flag and any transition
waiting for review; clicking a column header sorts by it. The CSV carries the same rows
for a spreadsheet.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

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


def _cell(column: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column in ("arr",):
        return f"${float(value):,.0f}"
    if column in ("composite_score", "mean_composite"):
        return f"{float(value):.2f}"
    if column == "at_risk":
        return "AT RISK" if bool(value) else ""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return str(value)


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


def _table(frame: pd.DataFrame, headers, *, sortable: bool) -> str:
    columns = [c for c, _ in headers]
    numeric = [i for i, c in enumerate(columns) if c in NUMERIC_COLUMNS]
    rows = (
        [_cell(c, v) for c, v in zip(columns, row, strict=True)]
        for row in frame.reindex(columns=columns).itertuples(index=False, name=None)
    )
    return page_html.table([h for _, h in headers], rows, sortable=sortable, numeric=numeric)


def owner_page(owner_id: str, accounts: pd.DataFrame, book: pd.DataFrame, month: str) -> str:
    esc = page_html.escape
    at_risk = int(accounts["at_risk"].sum())
    pending = int(accounts["pending_transition"].notna().sum())
    body = (
        '<nav><a href="index.html">All owners</a></nav>'
        f"<h1>Book of business: {esc(owner_id)}</h1>"
        f'<p class="muted">Snapshot {esc(month[:7])} · {len(accounts)} accounts · '
        f'<span class="flag">{at_risk} at risk</span> · {pending} pending transitions · '
        "click a column header to sort</p>"
        "<h2>By segment</h2>"
        + _table(book.rename(columns={"at_risk": "at_risk_accounts"}), BOOK_HEADERS, sortable=False)
        + "<h2>Accounts</h2>"
        + _table(accounts, ACCOUNT_HEADERS, sortable=True)
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
        f'<td class="num">{int(r.accounts)}</td><td class="num">{_cell("arr", r.arr)}</td>'
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

    `accounts` and `book` are the `csm_accounts` and `csm_book` frames.
    """
    files = {"index.html": index_page(book, month)}
    books = dict(tuple(book.groupby("owner_id", sort=False)))
    for owner_id, owned in accounts.groupby("owner_id", sort=True):
        slug = owner_slug(owner_id)
        files[f"{slug}.html"] = owner_page(owner_id, owned, books[owner_id], month)
        files[f"{slug}.csv"] = owned.to_csv(index=False)
    return files
