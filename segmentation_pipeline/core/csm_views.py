"""CSM views: one page and one CSV per account owner, plus an index of owners by name.

A CSM opens their own page and works their book: the segments they hold with the service
model's playbook for each, then their accounts, at-risk accounts and pending transitions
first, filtered in the page by segment, status, at-risk, renewal due or pending move, a
page of rows at a time. Each row's explanation is the sentence a CSM can repeat, with the
detail behind it folded (`<details>`). The CSV carries the same columns for a spreadsheet.

Every cell is worked out once, for the whole book (`account_cells`), and every owner's
files are rendered from their rows of it on every run: a night that changes 1% of the
accounts changes nearly every book (an owner of 1,000 accounts keeps none of them
unchanged with a chance of 0.99^1000), so there is nothing worth keeping from the last run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from segmentation_pipeline.core import html as page_html
from segmentation_pipeline.core.columns import runs, timestamps
from segmentation_pipeline.core.csv_safety import neutralize_formulas
from segmentation_pipeline.core.explanations import display_scores, money, score
from segmentation_pipeline.core.reports.book import CSM_ACCOUNT_COLUMNS
from segmentation_pipeline.core.reports.texts import formatted_once, money_texts
from segmentation_pipeline.framework.models import Framework

# What the views read of each account beyond the book's own list.
CSM_VIEW_COLUMNS: tuple[str, ...] = (
    *CSM_ACCOUNT_COLUMNS,
    "owner_name",
    "contract_end_date",
    "explanation_detail",
)
# The CSV's columns, in order: the page's, by their machine names.
CSV_COLUMNS: tuple[str, ...] = (
    "owner_id",
    "owner_name",
    "account_id",
    "name",
    "segment",
    "service_model_label",
    "composite_score",
    "arr",
    "contract_end_date",
    "renewal_due",
    "status",
    "at_risk",
    "pending_transition",
    "explanation",
    "explanation_detail",
)
ACCOUNT_HEADERS: tuple[str, ...] = (
    "Account",
    "Name",
    "Segment",
    "Service model",
    "Composite",
    "ARR",
    "Contract end",
    "Status",
    "At risk",
    "Pending transition",
    "Explanation",
)


@dataclass(frozen=True)
class Playbook:
    """What a segment's service model asks of its CSM."""

    service_model: str
    qbr_cadence: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class ViewSettings:
    """What the pages read besides the accounts: the month, the day renewals count from,
    the framework's renewal window and page size, and each segment's playbook."""

    month: str
    as_of: pd.Timestamp
    renewal_window_days: int = 120
    page_rows: int = 50
    playbooks: Mapping[str, Playbook] = field(default_factory=dict)


def view_settings(framework: Framework, month: str, as_of: pd.Timestamp) -> ViewSettings:
    models = framework.service_models
    return ViewSettings(
        month=month,
        as_of=pd.Timestamp(as_of),
        renewal_window_days=framework.reporting.renewal_window_days,
        page_rows=framework.reporting.csm_page_rows,
        playbooks={
            t.name: Playbook(
                models[t.service_model].label,
                models[t.service_model].qbr_cadence,
                tuple(models[t.service_model].actions),
            )
            for t in framework.tiers
            if t.service_model in models
        },
    )


def owner_slug(owner_id: str) -> str:
    """A file name for an owner: readable part plus a short hash, so two owner ids that
    clean up to the same text never share a file."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", str(owner_id)).strip("-")[:40] or "owner"
    digest = hashlib.sha1(str(owner_id).encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}"


# --- cells ----------------------------------------------------------------------------


def _column(accounts: pd.DataFrame, name: str) -> pd.Series:
    return accounts[name] if name in accounts else pd.Series(None, index=accounts.index)


def account_cells(accounts: pd.DataFrame, settings: ViewSettings) -> pd.DataFrame:
    """Every value the pages and CSVs show, one row per account of a `csm_accounts` frame
    (in page order): numbers rounded once (`display_scores`, `money`), so the page, the
    CSV and the explanation agree; text cells as shown."""
    ends = timestamps(_column(accounts, "contract_end_date")).dt.tz_localize(None)
    as_of = settings.as_of
    start = (as_of.tz_convert(None) if as_of.tzinfo else as_of).normalize()
    due = (ends >= start) & (ends <= start + pd.Timedelta(days=settings.renewal_window_days))
    owner_name = _column(accounts, "owner_name").astype(object)
    shown_owner = owner_name.where(owner_name.notna() & owner_name.astype(str).ne(""))
    composite = display_scores(accounts["composite_score"])
    arr = pd.to_numeric(accounts["arr"], errors="coerce")
    label = accounts["tier_label"]
    cells = pd.DataFrame(
        {
            "owner_id": accounts["owner_id"],
            "owner_name": shown_owner.fillna(accounts["owner_id"]),
            "account_id": accounts["account_id"],
            "name": accounts["name"],
            "segment": accounts["segment"],
            "segment_text": accounts["segment"].astype(str) + formatted_once(label, " ({})".format),
            "service_model_label": accounts["service_model_label"],
            "composite_score": composite,
            "composite": formatted_once(composite, score),
            "arr_value": arr,
            "arr": money_texts(arr),
            "contract_end_date": ends.dt.strftime("%Y-%m-%d"),
            "renewal_due": due.to_numpy(),
            "status": accounts["status"],
            "at_risk": accounts["at_risk"].fillna(False).astype(bool),
            "pending_transition": accounts["pending_transition"],
            "explanation": accounts["explanation"],
            "explanation_detail": _column(accounts, "explanation_detail"),
        }
    )
    # Text as Arrow strings once: every owner's page, CSV and digest reads them as such.
    text = [c for c in cells if c not in ("composite_score", "arr_value", "renewal_due", "at_risk")]
    return cells.astype(dict.fromkeys(text, "string"))


def _rows_html(cells: pd.DataFrame) -> pa.Array:
    """The `<tr>` of every account, with what the filters match on as data attributes."""

    def piece(text: str) -> pa.Scalar:
        return pa.scalar(text, type=pa.large_string())

    escaped = page_html.escape_column

    def flag(values: pd.Series, shown: str = "1") -> pd.Series:
        return pd.Series(np.where(values.to_numpy(dtype=bool), shown, ""), dtype=object)

    pending = cells["pending_transition"].notna().reset_index(drop=True)
    cells = cells.reset_index(drop=True)
    parts = [
        piece('<tr data-segment="'),
        escaped(cells["segment"]),
        piece('" data-status="'),
        escaped(cells["status"]),
        piece('" data-risk="'),
        escaped(flag(cells["at_risk"])),
        piece('" data-renewal="'),
        escaped(flag(cells["renewal_due"])),
        piece('" data-pending="'),
        escaped(flag(pending)),
        piece('">'),
    ]
    shown = [
        ("account_id", False),
        ("name", False),
        ("segment_text", False),
        ("service_model_label", False),
        ("composite", True),
        ("arr", True),
        ("contract_end_date", False),
        ("status", False),
        ("at_risk", False),
        ("pending_transition", False),
    ]
    for column, numeric in shown:
        values = flag(cells["at_risk"], "AT RISK") if column == "at_risk" else cells[column]
        parts += [piece('<td class="num">' if numeric else "<td>"), escaped(values)]
        if column == "contract_end_date":  # trusted markup, not escaped
            due = np.where(cells["renewal_due"], ' <span class="flag">due</span>', "")
            parts.append(pa.array(due, type=pa.large_string()))
        parts.append(piece("</td>"))
    parts += [
        piece("<td><details><summary>"),
        escaped(cells["explanation"]),
        piece('</summary><p class="muted">'),
        escaped(cells["explanation_detail"]),
        piece("</p></details></td></tr>"),
    ]
    return pc.binary_join_element_wise(*parts, piece(""))


def _csv_fields(cells: pd.DataFrame) -> pa.Table:
    """Every CSV field as text (missing is empty), text a spreadsheet would run as a
    formula neutralised (`core.csv_safety`; numbers are left as numbers). Arrow writes
    the numbers and flags, with no Python call per cell."""
    frame = cells.assign(arr=cells["arr_value"])
    fields = []
    for column in CSV_COLUMNS:
        text = pc.fill_null(pa.array(frame[column], from_pandas=True).cast(pa.large_string()), "")
        fields.append(text if column in ("composite_score", "arr") else neutralize_formulas(text))
    return pa.table(fields, names=list(CSV_COLUMNS))


# Every field quoted (RFC 4180: a quote inside one doubled), the header too.
CSV_OPTIONS = pa_csv.WriteOptions(quoting_style="all_valid")


def _csv_file(fields: pa.Table) -> bytes:
    """A CSV of these `_csv_fields` rows under the header line."""
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(fields, sink, CSV_OPTIONS)
    return sink.getvalue().to_pybytes()


def _row_bytes(text: pa.Array, start: int, stop: int) -> bytes:
    """Rows start..stop of a large_string array (no nulls) one after another, as UTF-8: a
    slice of its data buffer, without a Python string per row."""
    data = text.buffers()[2]
    if data is None or start == stop:
        return b""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset :]
    return memoryview(data)[offsets[start] : offsets[stop]].tobytes()


# --- pages ----------------------------------------------------------------------------

# Filters and paging: the rows matching every filter, `data-page-rows` at a time. Runs
# after the sort script, so a click on a header sorts first and then re-pages.
FILTER_SCRIPT = """
(function () {
  var table = document.getElementById("accounts"), body = table.tBodies[0];
  var form = document.getElementById("filters"), f = form.elements;
  var size = Number(table.dataset.pageRows), page = 0;
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  function matches(r) {
    return (!f.segment.value || r.dataset.segment === f.segment.value) &&
      (!f.status.value || r.dataset.status === f.status.value) &&
      (!f.risk.checked || r.dataset.risk) && (!f.renewal.checked || r.dataset.renewal) &&
      (!f.pending.checked || r.dataset.pending);
  }
  function show() {
    var rows = Array.prototype.slice.call(body.rows), kept = rows.filter(matches);
    var pages = Math.max(1, Math.ceil(kept.length / size));
    page = Math.min(page, pages - 1);
    rows.forEach(function (r) { r.hidden = true; });
    kept.slice(page * size, (page + 1) * size).forEach(function (r) { r.hidden = false; });
    document.getElementById("shown").textContent = kept.length + " of " + rows.length +
      " accounts · page " + (page + 1) + " of " + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  form.addEventListener("change", function () { page = 0; show(); });
  prev.addEventListener("click", function () { page -= 1; show(); });
  next.addEventListener("click", function () { page += 1; show(); });
  table.querySelectorAll("th").forEach(function (th) { th.addEventListener("click", show); });
  show();
})();
"""


def _options(values: list[str]) -> str:
    esc = page_html.escape
    return '<option value="">All</option>' + "".join(
        f'<option value="{esc(v)}">{esc(v)}</option>' for v in values
    )


SEGMENT_HEADERS = ("Segment", "Service model", "Accounts", "ARR", "At risk", "Pending", "Playbook")


def segment_tables(book: pd.DataFrame, settings: ViewSettings) -> dict[str, str]:
    """Owner id -> the table of the segments they hold, with each one's playbook (what
    its service model asks), for every owner at once."""
    esc = page_html.escape
    rows: dict[str, list[str]] = {}
    columns = ("owner_id", "segment", "tier_label", "service_model_label", "accounts", "arr")
    values = [book[c].tolist() for c in (*columns, "at_risk", "pending_transitions")]
    for owner, segment, label, model, accounts, arr, at_risk, pending in zip(*values, strict=True):
        playbook = settings.playbooks.get(segment)
        actions = f"QBR: {playbook.qbr_cadence}. " + "; ".join(playbook.actions) if playbook else ""
        numbers = (int(accounts), money(arr), int(at_risk), int(pending))
        rows.setdefault(owner, []).append(
            f"<tr><td>{esc(segment)} ({esc(label)})</td><td>{esc(model)}</td>"
            + "".join(f'<td class="num">{esc(n)}</td>' for n in numbers)
            + f"<td>{esc(actions)}</td></tr>"
        )
    return {owner: page_html.table_html(SEGMENT_HEADERS, "".join(r)) for owner, r in rows.items()}


def owner_summaries(cells: pd.DataFrame) -> pd.DataFrame:
    """Per owner id, what the index and the top of their page say: name, accounts, ARR,
    at-risk, pending transitions, renewals due, and the segments and statuses to filter."""
    by_owner = cells.assign(pending=cells["pending_transition"].notna()).groupby(
        "owner_id", sort=False
    )
    summary = by_owner.agg(
        owner_name=("owner_name", "first"),
        accounts=("account_id", "size"),
        arr=("arr_value", "sum"),
        at_risk=("at_risk", "sum"),
        pending=("pending", "sum"),
        due=("renewal_due", "sum"),
    )
    for column in ("segment", "status"):
        pairs = cells[["owner_id", column]].dropna().drop_duplicates()
        found: dict[str, list[str]] = {}
        for owner, value in zip(pairs["owner_id"].tolist(), pairs[column].tolist(), strict=True):
            found.setdefault(owner, []).append(str(value))
        summary[f"{column}_values"] = [sorted(found.get(o, [])) for o in summary.index]
    return summary


def owner_page(summary: Mapping, rows_html: str, segments_html: str, settings: ViewSettings) -> str:
    """One owner's page from their `owner_summaries` row, their rendered account rows and
    their `segment_tables` table."""
    esc = page_html.escape
    name = str(summary["owner_name"])
    head = "".join(f"<th>{esc(h)}</th>" for h in ACCOUNT_HEADERS)
    body = (
        '<nav><a href="index.html">All owners</a></nav>'
        f"<h1>Book of business: {esc(name)}</h1>"
        f'<p class="muted">Snapshot {esc(settings.month[:7])} · {int(summary["accounts"])} '
        f'accounts · <span class="flag">{int(summary["at_risk"])} at risk</span> · '
        f"{int(summary['pending'])} pending transitions · {int(summary['due'])} renewals "
        f"due within {settings.renewal_window_days} days</p>"
        "<h2>Segments and playbook</h2>" + segments_html + "<h2>Accounts</h2>"
        '<form id="filters">'
        f'<label>Segment <select name="segment">{_options(summary["segment_values"])}'
        "</select></label> "
        f'<label>Status <select name="status">{_options(summary["status_values"])}'
        "</select></label> "
        '<label><input type="checkbox" name="risk"> At risk</label> '
        '<label><input type="checkbox" name="renewal"> Renewal due</label> '
        '<label><input type="checkbox" name="pending"> Pending transition</label></form>'
        '<p><button id="prev" type="button">Previous</button> '
        '<span id="shown" class="muted"></span> '
        '<button id="next" type="button">Next</button></p>'
        f'<table id="accounts" class="sortable" data-page-rows="{settings.page_rows}">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>"
    )
    return page_html.page(
        f"Book of business: {name}", body, script=page_html.SORT_SCRIPT + FILTER_SCRIPT
    )


def index_page(summaries: pd.DataFrame, settings: ViewSettings) -> str:
    esc = page_html.escape
    totals = summaries.reset_index().sort_values(["owner_name", "owner_id"], kind="stable")
    rows = "".join(
        f'<tr><td><a href="{owner_slug(r.owner_id)}.html">{esc(r.owner_name)}</a></td>'
        f'<td class="num">{int(r.accounts)}</td><td class="num">{esc(money(r.arr))}</td>'
        f'<td class="num">{int(r.at_risk)}</td><td class="num">{int(r.pending)}</td>'
        f'<td class="num">{int(r.due)}</td>'
        f'<td><a href="{owner_slug(r.owner_id)}.csv">CSV</a></td></tr>'
        for r in totals.itertuples(index=False)
    )
    headers = ["Owner", "Accounts", "ARR", "At risk", "Pending transitions", "Renewals due", ""]
    body = (
        f'<h1>CSM views</h1><p class="muted">Snapshot {esc(settings.month[:7])} · '
        f"{len(totals)} owners · click a column header to sort</p>"
        + page_html.table_html(headers, rows, sortable=True)
    )
    return page_html.page("CSM views", body, script=page_html.SORT_SCRIPT)


# --- files ----------------------------------------------------------------------------


def _owner_runs(cells: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Owner id -> the [start, stop) of their rows (cells are in page order)."""
    owners = cells["owner_id"].to_numpy(dtype=object)
    return {owners[a]: (a, b) for a, b in runs(owners)}


CHUNK_ROWS = 100_000
# Where an owner's rows go in their page: data never makes it (it is escaped, so has no '<').
ROWS_SLOT = "<!--account rows-->"


def iter_csm_view_files(
    cells: pd.DataFrame,
    book: pd.DataFrame,
    settings: ViewSettings,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[tuple[str, bytes]]:
    """(file name, UTF-8 content) for index.html, then '<owner>.html' and '<owner>.csv'
    per owner, from the `account_cells` and the `csm_book`. Rows are rendered for about
    `chunk_rows` accounts of several owners at once (a pass of Arrow kernels per owner
    would cost more than the rows), never for the whole book, and go into the files as
    the bytes Arrow built (no Python string of a whole page)."""
    summaries = owner_summaries(cells)
    yield "index.html", index_page(summaries, settings).encode("utf-8")
    tables = segment_tables(book, settings)
    by_owner = summaries.to_dict("index")
    todo = list(_owner_runs(cells).items())  # an owner's rows follow the one before's
    while todo:
        chunk = [todo.pop(0)]
        first = chunk[0][1][0]
        while todo and todo[0][1][1] - first <= chunk_rows:
            chunk.append(todo.pop(0))
        taken = cells.iloc[first : chunk[-1][1][1]]
        html, csv = _rows_html(taken), _csv_fields(taken)
        for owner, (a, b) in chunk:
            slug = owner_slug(owner)
            page = owner_page(by_owner[owner], ROWS_SLOT, tables.get(owner, ""), settings)
            before, _, after = page.partition(ROWS_SLOT)
            rows_html = _row_bytes(html, a - first, b - first)
            yield f"{slug}.html", b"".join((before.encode(), rows_html, after.encode()))
            yield f"{slug}.csv", _csv_file(csv.slice(a - first, b - a))


def csm_view_files(
    accounts: pd.DataFrame, book: pd.DataFrame, settings: ViewSettings
) -> dict[str, str]:
    """File name -> content, all in memory (tests; the asset writes them as they come)."""
    files = iter_csm_view_files(account_cells(accounts, settings), book, settings)
    return {name: content.decode("utf-8") for name, content in files}
