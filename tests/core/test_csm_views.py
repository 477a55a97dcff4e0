"""CSM views: a page and a CSV per owner, sortable in a real browser, CRM text escaped."""

import io

import numpy as np
import pandas as pd

from segmentation_pipeline.core.csm_views import (
    FRAGMENTS_FILE,
    Fragments,
    csm_view_files,
    iter_csm_view_files,
    owner_digests,
    owner_slug,
)
from segmentation_pipeline.core.reports import csm_accounts, csm_book, pending_transitions
from tests.core.reports.history import FEB, snapshot

TRANSITIONS = pd.DataFrame(
    {
        "account_id": ["B1"],
        "from_segment": ["Tier 2"],
        "to_segment": ["Tier 1"],
        "status": ["pending"],
    }
)


def _files(assignments=None):
    accounts = csm_accounts(
        snapshot(FEB) if assignments is None else assignments, pending_transitions(TRANSITIONS)
    )
    return csm_view_files(accounts, csm_book(accounts), FEB)


def test_one_page_and_one_csv_per_owner_plus_an_index():
    files = _files()
    owners = ["csm-1", "csm-2", "(unassigned)"]
    assert set(files) == {"index.html"} | {
        f"{owner_slug(o)}.{ext}" for o in owners for ext in ("html", "csv")
    }
    for owner in owners:
        assert f'href="{owner_slug(owner)}.html"' in files["index.html"]


def test_the_csv_lists_the_owners_accounts_with_every_field_a_csm_needs():
    rows = pd.read_csv(io.StringIO(_files()[f"{owner_slug('csm-1')}.csv"]))
    assert list(rows["account_id"]) == ["A1", "A2", "B1", "B2", "C1"]
    assert {
        "segment",
        "service_model_label",
        "composite_score",
        "explanation",
        "at_risk",
        "pending_transition",
    } <= set(rows.columns)
    assert rows.set_index("account_id").loc["B1", "pending_transition"] == "Tier 2 -> Tier 1"


def test_owner_slugs_are_safe_file_names_and_distinct():
    assert owner_slug("../etc/passwd") != owner_slug("etc/passwd")
    assert "/" not in owner_slug("../etc/passwd") and ".." not in owner_slug("../etc/passwd")


def test_crm_text_is_escaped(tmp_path):
    hostile = snapshot(FEB)
    hostile.loc[hostile["account_id"] == "A1", "name"] = "<script>alert(1)</script>"
    page = _files(hostile)[f"{owner_slug('csm-1')}.html"]
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_owner_page_sorts_by_a_clicked_column_in_the_browser(tmp_path, offline_page):
    page_file = tmp_path / "csm-1.html"
    page_file.write_text(_files()[f"{owner_slug('csm-1')}.html"])
    opened = offline_page(page_file)
    table = "table.sortable"
    first_column = (
        f"Array.from(document.querySelectorAll('{table} tbody tr'))"
        ".map(r => r.cells[0].textContent)"
    )
    assert opened.page.evaluate(first_column) == ["A1", "A2", "B1", "B2", "C1"]

    opened.page.click(f"{table} th:has-text('ARR')")  # A1 220, A2 120, B1 110, B2 30, C1 8
    assert opened.page.evaluate(first_column) == ["C1", "B2", "B1", "A2", "A1"]
    opened.page.click(f"{table} th:has-text('ARR')")
    assert opened.page.evaluate(first_column) == ["A1", "A2", "B1", "B2", "C1"]

    opened.page.click(f"{table} th:has-text('Pending transition')")
    assert opened.page.evaluate(first_column)[0] == "B1"
    assert opened.foreign_requests() == [] and opened.errors == []


def _frames(assignments=None):
    accounts = csm_accounts(
        snapshot(FEB) if assignments is None else assignments, pending_transitions(TRANSITIONS)
    )
    return accounts, csm_book(accounts)


def test_streaming_in_small_chunks_renders_the_same_files():
    accounts, book = _frames()
    whole = csm_view_files(accounts, book, FEB)
    for chunk_rows in (1, 2, 1000):
        streamed = dict(iter_csm_view_files(accounts, book, FEB, chunk_rows=chunk_rows))
        assert {name: b"".join(parts).decode() for name, parts in streamed.items()} == whole


def test_skipped_owners_are_left_out_and_the_others_unchanged():
    accounts, book = _frames()
    whole = csm_view_files(accounts, book, FEB)
    skip = {owner_slug("csm-1")}
    streamed = dict(iter_csm_view_files(accounts, book, FEB, skip=skip, chunk_rows=1))
    assert set(streamed) == set(whole) - {f"{owner_slug('csm-1')}.{e}" for e in ("html", "csv")}
    assert all(b"".join(streamed[name]).decode() == whole[name] for name in streamed)


def test_owner_digests_change_only_for_the_owner_whose_rows_changed():
    accounts, book = _frames()
    digests = owner_digests(accounts, book, FEB)
    assert set(digests) == {owner_slug(o) for o in ("csm-1", "csm-2", "(unassigned)")}
    assert owner_digests(accounts, book, FEB) == digests
    changed = snapshot(FEB)
    changed.loc[changed["account_id"] == "A1", "name"] = "Renamed Co"
    after = owner_digests(*_frames(changed), FEB)
    assert {slug for slug in digests if after[slug] != digests[slug]} == {owner_slug("csm-1")}
    assert owner_digests(accounts, book, "2026-03-01") != digests  # the month is on the page


def test_numbers_are_formatted_as_before_including_negative_zero_and_gaps():
    from segmentation_pipeline.core.csm_views import _formatted

    numbers = pd.Series([1234.5, -0.0, 0.0, float("nan"), 1234.5, 2.675])
    expected = numbers.map("{:.2f}".format, na_action="ignore")
    assert _formatted(numbers, "{:.2f}").equals(expected)
    assert list(_formatted(numbers.iloc[[2, 4]], "${:,.0f}")) == ["$0", "$1,234"]


def _edited() -> pd.DataFrame:
    """February with one row edited (hostile text), one account new, one removed and one
    moved to another owner."""
    frame = snapshot(FEB)
    frame.loc[frame["account_id"] == "A1", "name"] = 'Renamed "Co" <b>&'
    frame.loc[frame["account_id"] == "C2", "owner_id"] = "csm-1"
    frame = frame[frame["account_id"] != "B3"]
    new = frame[frame["account_id"] == "N1"].assign(account_id="N2", owner_id="csm-2")
    return pd.concat([frame, new], ignore_index=True)


def _memoized(accounts, book, files, **kwargs):
    """Render with last run's `files` (name -> bytes, FRAGMENTS_FILE included) as memo;
    returns this run's files as bytes."""
    previous = Fragments.from_bytes(files[FRAGMENTS_FILE])
    rendered = iter_csm_view_files(
        accounts,
        book,
        FEB,
        previous=previous,
        open_previous=lambda name: memoryview(files[name]),
        fragments=True,
        **kwargs,
    )
    return {name: b"".join(parts) for name, parts in rendered}


def _from_scratch(accounts, book):
    files = csm_view_files(accounts, book, FEB)
    return {name: text.encode("utf-8") for name, text in files.items()}


def _pages(files):
    return {name: content for name, content in files.items() if name != FRAGMENTS_FILE}


def test_memoized_rows_give_byte_identical_files_after_edits(monkeypatch):
    from segmentation_pipeline.core import csm_views

    first = _memoized(*_frames(), {FRAGMENTS_FILE: _no_memo()})
    accounts, book = _frames(_edited())
    expected = _from_scratch(accounts, book)
    rendered = []
    real = csm_views._account_rows

    def counting(chunk):
        rendered.extend(chunk["account_id"])
        return real(chunk)

    monkeypatch.setattr(csm_views, "_account_rows", counting)
    for chunk_rows in (1, 2, 1000):
        rendered.clear()
        second = _memoized(accounts, book, first, chunk_rows=chunk_rows)
        assert _pages(second) == expected
        assert sorted(rendered) == ["A1", "C2", "N2"]  # only the new and changed rows
    # once more from those files: the fragments a memoized run writes hold too
    third = _memoized(*_frames(), second)
    monkeypatch.undo()
    assert _pages(third) == _from_scratch(*_frames())


def test_skipped_owners_keep_their_fragments_for_the_next_run():
    first = _memoized(*_frames(), {FRAGMENTS_FILE: _no_memo()})
    accounts, book = _frames(_edited())
    skip = {owner_slug("(unassigned)")}
    second = _memoized(accounts, book, first, skip=skip)
    assert f"{owner_slug('(unassigned)')}.html" not in second
    carried = {**second, **{k: first[k] for k in first if owner_slug("(unassigned)") in k}}
    third = _memoized(accounts, book, carried)
    assert {k: v for k, v in third.items() if k != FRAGMENTS_FILE} == _from_scratch(accounts, book)


def test_fragments_of_other_dtypes_are_not_reused():
    first = _memoized(*_frames(), {FRAGMENTS_FILE: _no_memo()})
    frame = snapshot(FEB).assign(composite_score=lambda f: f["composite_score"].astype(object))
    accounts, book = _frames(frame)
    second = _memoized(accounts, book, first)
    assert {k: v for k, v in second.items() if k != FRAGMENTS_FILE} == _from_scratch(accounts, book)


def test_unreadable_fragments_are_none():
    assert Fragments.from_bytes(b"not an npz") is None


def _no_memo() -> bytes:
    return b""


def test_rows_keyed_by_their_assignment_hash_still_see_what_the_list_adds():
    from segmentation_pipeline.core.csm_views import row_keys

    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "owner_id": ["csm-1", "csm-1"],
            "at_risk": [False, False],
            "pending_transition": [None, None],
        }
    )
    hashes = np.array([11, 12], dtype=np.uint64)
    moved = accounts.assign(pending_transition=["Tier 2 -> Tier 1", None])
    keys, keys_moved = row_keys(accounts, hashes), row_keys(moved, hashes)
    assert keys[0] != keys_moved[0] and keys[1] == keys_moved[1]
    assert (row_keys(accounts, np.array([11, 13], dtype=np.uint64)) != keys).tolist() == [
        False,
        True,
    ]


def test_csv_cells_a_spreadsheet_would_run_are_neutralised_but_numbers_are_not():
    hostile = snapshot(FEB)
    a1 = hostile["account_id"] == "A1"
    hostile.loc[a1, "name"] = "=cmd|' /C calc'!A0"
    hostile.loc[hostile["account_id"] == "A2", "name"] = "@SUM(1+1)"
    hostile.loc[a1, "arr"] = -5.0
    text = _files(hostile)[f"{owner_slug('csm-1')}.csv"]
    rows = pd.read_csv(io.StringIO(text)).set_index("account_id")
    assert rows.loc["A1", "name"] == "'=cmd|' /C calc'!A0"
    assert rows.loc["A2", "name"] == "'@SUM(1+1)"
    assert rows.loc["A1", "arr"] == -5.0  # a number stays a number
    assert not any(line.startswith('"=') or ',"=' in line for line in text.splitlines())
