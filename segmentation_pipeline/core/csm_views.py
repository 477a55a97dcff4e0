"""CSM views: one sortable HTML page and one CSV per account owner, plus an index.

A CSM opens their own page and sees their book by segment, then every account with its
segment, service model, composite score, explanation, at-risk flag and any transition
waiting for review; clicking a column header sorts by it. The CSV carries the same rows
for a spreadsheet.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation_pipeline.core import html as page_html
from segmentation_pipeline.core.changes import combine_hash_arrays, frame_hashes
from segmentation_pipeline.core.csv_safety import neutralize_cell, neutralize_formulas
from segmentation_pipeline.core.reports.book import LIST_COLUMNS

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


def _formatted(numbers: pd.Series, template: str) -> pd.Series:
    """`numbers.map(template.format)` (missing stay missing), formatting each distinct
    value once: scores repeat a lot, and a Python call per cell is what costs."""
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    codes, uniques = pd.factorize(values)
    # factorize holds 0.0 and -0.0 as one value, which format apart ("-0.00").
    if not len(uniques) or np.signbit(values[values == 0]).any():
        return numbers.map(template.format, na_action="ignore")
    texts = np.array([template.format(v) for v in uniques] + [np.nan], dtype=object)
    return pd.Series(texts[codes], index=numbers.index, dtype=object)


def _money(values: pd.Series) -> pd.Series:
    return _formatted(pd.to_numeric(values, errors="coerce"), "${:,.0f}")


def _display(frame: pd.DataFrame, headers: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The text each cell shows, computed a column at a time."""
    cells = {}
    for column, _ in headers:
        values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        if column == "arr":
            text = _money(values)
        elif column in ("composite_score", "mean_composite"):
            numbers = pd.to_numeric(values, errors="coerce")
            text = _formatted(numbers, "{:.2f}")
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


def _csv_lines(frame: pd.DataFrame) -> pa.Array:
    """Every row as one CSV line ending in a newline, every field quoted (RFC 4180),
    column-wise; text a spreadsheet would run as a formula is neutralised
    (`core.csv_safety`; numbers are left as numbers)."""

    def text(piece: str) -> pa.Scalar:
        return pa.scalar(piece, type=pa.large_string())

    pieces = []
    for i, column in enumerate(frame.columns):
        pieces.append(text('"' if i == 0 else '","'))
        field = pa.array(frame[column].astype("string").fillna(""), from_pandas=True)
        field = field.cast(pa.large_string())
        if not _is_number(frame[column]):
            field = neutralize_formulas(field)
        if page_html.characters_in(field, '"'):
            field = pc.replace_substring(field, '"', '""')
        pieces.append(field)
    pieces.append(text('"\n'))
    return pc.binary_join_element_wise(*pieces, text(""))


def _is_number(values: pd.Series) -> bool:
    dtype = values.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _csv_header(columns) -> str:
    cells = (str(neutralize_cell(str(c))) for c in columns)
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


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


def _owner_runs(owners: pd.Series) -> list[int]:
    """Where each owner's run of rows starts, plus the end (rows are sorted by owner)."""
    keys = owners.to_numpy(dtype=object)
    if not len(keys):
        return [0]
    return [0, *(np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist(), len(keys)]


def in_page_order(accounts: pd.DataFrame) -> pd.DataFrame:
    """`accounts` in the order the files list them: by owner, as given within one."""
    return _sorted_by_owner(accounts)


def _sorted_by_owner(accounts: pd.DataFrame) -> pd.DataFrame:
    owners = accounts["owner_id"]
    if owners.is_monotonic_increasing:
        return accounts.reset_index(drop=True)
    return accounts.sort_values("owner_id", kind="stable").reset_index(drop=True)


def _owner_chunks(cuts: list[int], chunk_rows: int) -> Iterator[tuple[int, int]]:
    """Ranges of whole owners (indexes into `cuts`) of about `chunk_rows` rows each; an
    owner with more rows is a chunk of its own."""
    first = 0
    for i in range(1, len(cuts)):
        if cuts[i] - cuts[first] >= chunk_rows or i == len(cuts) - 1:
            yield first, i
            first = i


ACCOUNT_ROWS_MARK = "<!--account-rows-->"  # escaped CRM text can never contain "<"
CHUNK_ROWS = 100_000
FRAGMENTS_FILE = ".row-fragments.npz"


@dataclass(frozen=True)
class Fragments:
    """Where each account row sits in a run's files, so the next run copies the bytes of
    rows whose values are unchanged instead of rendering them again. Per owner file: its
    slug, the byte offset of its first row in the HTML and in the CSV, its row count; per
    row, in file order: the hash of the values it was rendered from (`row_keys`) and its
    length in bytes in each file. `version` ties it to the rendering code and dtypes."""

    version: str
    slugs: np.ndarray
    html_start: np.ndarray
    csv_start: np.ndarray
    counts: np.ndarray
    keys: np.ndarray
    html_len: np.ndarray
    csv_len: np.ndarray

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, **{k: np.asarray(v) for k, v in self.__dict__.items()})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Fragments | None:
        """The fragments in `data`, or None when they are unreadable (a lost memo only
        costs rendering every row once)."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as stored:
                fields = {k: stored[k] for k in cls.__dataclass_fields__}
        except (OSError, ValueError, KeyError, EOFError):
            return None
        fields["version"] = str(fields["version"])
        return cls(**fields)

    def positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: the index of its owner file and its byte offsets in that HTML and CSV."""
        owner = np.repeat(np.arange(len(self.slugs)), self.counts)
        first = np.cumsum(self.counts) - self.counts
        html = _starts(self.html_len)
        csv = _starts(self.csv_len)
        html_off = self.html_start[owner] + html - html[first][owner]
        csv_off = self.csv_start[owner] + csv - csv[first][owner]
        return owner, html_off, csv_off

    def file_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per owner file, where its rows end in the HTML and the CSV: a caller checks the
        files on disk are at least (HTML) and exactly (CSV) that long before trusting them."""
        owner = np.repeat(np.arange(len(self.slugs)), self.counts)
        html = np.bincount(owner, self.html_len, len(self.slugs)).astype(np.int64)
        csv = np.bincount(owner, self.csv_len, len(self.slugs)).astype(np.int64)
        return self.html_start + html, self.csv_start + csv


def _starts(lengths: np.ndarray) -> np.ndarray:
    """Offsets of consecutive pieces of these lengths, from 0."""
    ends = np.cumsum(lengths, dtype=np.int64)
    return ends - lengths


def fragments_version(accounts: pd.DataFrame) -> str:
    """A row's rendered bytes depend on the rendering code, the columns and their dtypes
    as well as on its values: last run's fragments are reused only when all agree."""
    digest = hashlib.sha256(_renderer_fingerprint())
    digest.update(repr([(str(c), str(t)) for c, t in accounts.dtypes.items()]).encode())
    return digest.hexdigest()


def row_keys(accounts: pd.DataFrame, assignment_hashes: np.ndarray | None = None) -> np.ndarray:
    """A 64-bit hash of every value a row's HTML and CSV line are rendered from. Given
    each row's assignment hash (`core.changes.ASSIGNMENT_HASH`, in the rows' order), the
    row is keyed on it and on the columns the account list adds to an assignment
    (LIST_COLUMNS), instead of hashing every column again: every other column is the
    assignment's own."""
    if assignment_hashes is None:
        return frame_hashes(accounts)
    added = frame_hashes(accounts[list(LIST_COLUMNS)])
    return combine_hash_arrays(iter([np.asarray(assignment_hashes, np.uint64), added]), 2)


def _text_parts(rows: pa.Array) -> tuple[memoryview, np.ndarray]:
    """An Arrow string array's UTF-8 data and its offsets (len(rows) + 1 of them)."""
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    if not len(rows):
        return memoryview(b""), np.zeros(1, np.int64)
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset :][: len(rows) + 1]
    data = rows.buffers()[2]
    return (memoryview(data) if data is not None else memoryview(b"")), offsets


class ByteSource(Protocol):
    """Bytes a page copies rows from: a memoryview, or last run's file, whose slices the
    writer copies without reading them into memory."""

    def __getitem__(self, span: slice, /) -> Any: ...


def _pieces(
    source: np.ndarray, offset: np.ndarray, length: np.ndarray, buffer: Callable[[int], ByteSource]
) -> list[Any]:
    """The bytes of consecutive rows, each `length` bytes at `offset` of buffer `source`,
    as few views as possible: rows that follow each other in one buffer are one view."""
    if not len(source):
        return []
    end = offset + length
    cut = np.flatnonzero((source[1:] != source[:-1]) | (offset[1:] != end[:-1])) + 1
    firsts = [0, *cut.tolist()]
    lasts = [*(cut - 1).tolist(), len(source) - 1]
    return [
        buffer(int(source[a]))[int(offset[a]) : int(end[b])]
        for a, b in zip(firsts, lasts, strict=True)
    ]


def iter_csm_view_files(
    accounts: pd.DataFrame,
    book: pd.DataFrame,
    month: str,
    *,
    skip: Container[str] = frozenset(),
    chunk_rows: int = CHUNK_ROWS,
    previous: Fragments | None = None,
    open_previous: Callable[[str], ByteSource] | None = None,
    fragments: bool = False,
    keys: np.ndarray | None = None,
) -> Iterator[tuple[str, list[Any]]]:
    """(file name, UTF-8 content as a list of byte chunks to write in order) for
    index.html, then '<owner>.html' and '<owner>.csv' per owner, rendered a chunk of
    owners at a time so a caller that writes each file as it comes never holds every page
    (hundreds of MB at a million accounts). The chunks are views of the rendered rows:
    write them before asking for the next file instead of keeping them.

    `accounts` and `book` are the `csm_accounts` and `csm_book` frames (accounts in the
    order the pages list them). Owners whose slug is in `skip` are not rendered (their
    files are carried over from an earlier run by the caller).

    With `previous` (last run's `Fragments`) and `open_previous` (file name -> the bytes
    of last run's file), a row whose values were rendered last run is copied from there
    and only new and changed rows are rendered; the files are byte for byte what
    rendering every row gives. `keys` are the `row_keys` of `in_page_order(accounts)`
    (computed when not given). With `fragments`, the last file is FRAGMENTS_FILE, this
    run's `Fragments`, for the next run; then an owner in `skip` with a row not in
    `previous` is rendered anyway, as its rows' place is not known.
    """
    yield "index.html", [index_page(book, month).encode("utf-8")]
    accounts = _sorted_by_owner(accounts)
    cuts = _owner_runs(accounts["owner_id"])
    if len(cuts) < 2:
        if fragments:
            yield FRAGMENTS_FILE, [_no_fragments(accounts).to_bytes()]
        return
    owners = accounts["owner_id"].to_numpy(dtype=object)
    counts = (
        accounts.assign(pending=accounts["pending_transition"].notna())
        .groupby(accounts["owner_id"])
        .agg(
            accounts=("account_id", "size"), at_risk=("at_risk", "sum"), pending=("pending", "sum")
        )
    )
    book_rows = (
        _rows(book.rename(columns={"at_risk": "at_risk_accounts"}), BOOK_HEADERS)
        .groupby(book["owner_id"], sort=False)
        .agg("".join)
    )
    header = (_csv_header(accounts.columns) + "\n").encode("utf-8")
    version = fragments_version(accounts)
    memo = previous is not None and open_previous is not None and previous.version == version
    if memo or fragments:
        keys = row_keys(accounts) if keys is None else keys
    n = len(accounts)
    # Per row: where its bytes come from (an owner file of last run, or -1: rendered now),
    # their offsets there and their lengths.
    source = np.full(n, -1, dtype=np.int64)
    html_off, csv_off = np.zeros(n, np.int64), np.zeros(n, np.int64)
    html_len, csv_len = np.zeros(n, np.int64), np.zeros(n, np.int64)
    if memo:
        order = np.argsort(previous.keys, kind="stable")
        known = previous.keys[order]
        at = np.minimum(np.searchsorted(known, keys), max(len(known) - 1, 0))
        hit = np.flatnonzero(known[at] == keys) if len(known) else np.zeros(0, np.int64)
        old = order[at[hit]]
        old_owner, old_html, old_csv = previous.positions()
        source[hit], html_off[hit], csv_off[hit] = old_owner[old], old_html[old], old_csv[old]
        html_len[hit], csv_len[hit] = previous.html_len[old], previous.csv_len[old]
        opened: dict[str, ByteSource] = {}

        def old_file(name: str) -> ByteSource:
            if name not in opened:
                opened[name] = open_previous(name)
            return opened[name]

    slugs = [owner_slug(owners[cuts[i]]) for i in range(len(cuts) - 1)]
    html_start = np.zeros(len(slugs), np.int64)
    for first, last in _owner_chunks(cuts, chunk_rows):
        todo = [
            i
            for i in range(first, last)
            if slugs[i] not in skip or fragments and (source[cuts[i] : cuts[i + 1]] < 0).any()
        ]
        for i in range(first, last):
            if fragments and i not in todo:
                html_start[i] = len(_page_parts(owners[cuts[i]], book_rows, counts, month)[0])
        if not todo:
            continue
        fresh = np.concatenate(
            [np.flatnonzero(source[cuts[i] : cuts[i + 1]] < 0) + cuts[i] for i in todo]
        )
        chunk = accounts.iloc[fresh]
        html_data, html_at = _text_parts(_account_rows(chunk))
        csv_data, csv_at = _text_parts(_csv_lines(chunk))
        html_off[fresh], html_len[fresh] = html_at[:-1], np.diff(html_at)
        csv_off[fresh], csv_len[fresh] = csv_at[:-1], np.diff(csv_at)
        del chunk

        def html_buffer(owner: int, data: memoryview = html_data) -> ByteSource:
            return data if owner < 0 else old_file(f"{previous.slugs[owner]}.html")

        def csv_buffer(owner: int, data: memoryview = csv_data) -> ByteSource:
            return data if owner < 0 else old_file(f"{previous.slugs[owner]}.csv")

        for i in todo:
            a, b = cuts[i], cuts[i + 1]
            before, after = _page_parts(owners[a], book_rows, counts, month)
            html_start[i] = len(before)
            html = _pieces(source[a:b], html_off[a:b], html_len[a:b], html_buffer)
            csv = _pieces(source[a:b], csv_off[a:b], csv_len[a:b], csv_buffer)
            yield f"{slugs[i]}.html", [before, *html, after]
            yield f"{slugs[i]}.csv", [header, *csv]
        del html_data, csv_data, html_buffer, csv_buffer
    if fragments:
        stored = Fragments(
            version=version,
            slugs=np.array(slugs, dtype=str),
            html_start=html_start,
            csv_start=np.full(len(slugs), len(header), dtype=np.int64),
            counts=np.diff(cuts).astype(np.int64),
            keys=keys,
            html_len=html_len,
            csv_len=csv_len,
        )
        yield FRAGMENTS_FILE, [stored.to_bytes()]


def _page_parts(
    owner_id: str, book_rows: pd.Series, counts: pd.DataFrame, month: str
) -> tuple[bytes, bytes]:
    """An owner's page before and after its account rows, as UTF-8."""
    page = owner_page(owner_id, book_rows[owner_id], ACCOUNT_ROWS_MARK, counts.loc[owner_id], month)
    before, after = page.split(ACCOUNT_ROWS_MARK)
    return before.encode("utf-8"), after.encode("utf-8")


def _no_fragments(accounts: pd.DataFrame) -> Fragments:
    empty = np.zeros(0, np.int64)
    return Fragments(
        version=fragments_version(accounts),
        slugs=np.array([], dtype=str),
        html_start=empty,
        csv_start=empty,
        counts=empty,
        keys=np.zeros(0, np.uint64),
        html_len=empty,
        csv_len=empty,
    )


def _account_rows(chunk: pd.DataFrame) -> pa.Array:
    return page_html.table_rows_array(_display(chunk, ACCOUNT_HEADERS), NUMERIC_COLUMNS)


def csm_view_files(accounts: pd.DataFrame, book: pd.DataFrame, month: str) -> dict[str, str]:
    """File name -> content: index.html, and '<owner>.html' and '<owner>.csv' per owner,
    all in memory (tests and small books; the asset streams `iter_csm_view_files`)."""
    return {
        name: b"".join(parts).decode("utf-8")
        for name, parts in iter_csm_view_files(accounts, book, month)
    }


DIGESTS_FILE = ".owner-digests.json"


def _renderer_fingerprint() -> bytes:
    """The rendering code itself: a change to it must re-render every owner."""
    code = hashlib.sha256()
    for module in (__file__, page_html.__file__):
        code.update(Path(module).read_bytes())
    return code.digest()


def _column_parts(values: pd.Series) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """A column as arrays whose [a:b] bytes (rows a..b) identify those rows' values:
    numbers and flags as their bits, text as its UTF-8 bytes with the row lengths, plus
    where values are missing. Hashing these is far cheaper than hashing row objects."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        return [(numbers, None)]
    text = pa.array(values.astype("string"), from_pandas=True).cast(pa.large_string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    missing = text.is_null().to_numpy(zero_copy_only=False)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset :][: len(text) + 1]
    data = text.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return [(missing, None), (np.diff(offsets), None), (data, offsets)]


def owner_digests(
    accounts: pd.DataFrame, book: pd.DataFrame, month: str, keys: np.ndarray | None = None
) -> dict[str, str]:
    """Owner slug -> digest of everything that owner's page and CSV are rendered from
    (their account rows in page order, their book rows, the month, the columns and the
    rendering code), so a re-run can keep the files of owners whose digest is unchanged.
    Given the `row_keys` of `in_page_order(accounts)`, the rows are digested through
    them (a 64-bit hash per row, as the fragments are keyed) instead of byte for byte."""
    accounts = _sorted_by_owner(accounts)
    book = book.reset_index(drop=True)
    base = hashlib.blake2b(_renderer_fingerprint())
    base.update(f"{month}\x00{list(accounts.columns)!r}\x00{list(book.columns)!r}".encode())
    if keys is not None:
        base.update(fragments_version(accounts).encode())
        parts = [(np.asarray(keys, dtype=np.uint64), None)]
    else:
        parts = [part for column in accounts.columns for part in _column_parts(accounts[column])]
    book_rows = pd.util.hash_pandas_object(book, index=False).to_numpy()
    book_positions = book.groupby("owner_id", sort=False).indices
    cuts = _owner_runs(accounts["owner_id"])
    owners = accounts["owner_id"].to_numpy(dtype=object)
    digests = {}
    for a, b in zip(cuts, cuts[1:], strict=False):
        owner_id = owners[a]
        digest = base.copy()
        digest.update(repr(owner_id).encode("utf-8"))
        for values, offsets in parts:
            run = values[a:b] if offsets is None else values[offsets[a] : offsets[b]]
            digest.update(run.tobytes())
        digest.update(book_rows[book_positions.get(owner_id, [])].tobytes())
        digests[owner_slug(owner_id)] = digest.hexdigest()
    return digests
