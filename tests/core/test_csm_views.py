"""CSM views: a page and a CSV per owner that work a book, and an index of owners by name.

February of the hand-built history (tests/core/reports/history.py): csm-1 (Ana Ruiz)
holds A1 A2 B1 B2 C1, csm-2 (no name in the CRM) holds A4 B3 C2 N1, C4 has no owner.
Here B2 is at risk, B1 waits for review (Tier 2 -> Tier 1), C1 is provisional; counted
from 2026-02-10 with a 30-day window only A4's renewal (2026-02-15) is due.
"""

import io
import re

import pandas as pd
import pytest

from segmentation_pipeline.core import explanations
from segmentation_pipeline.core.csm_views import (
    CSM_VIEW_COLUMNS,
    CSV_COLUMNS,
    Playbook,
    ViewSettings,
    account_cells,
    csm_view_files,
    iter_csm_view_files,
    owner_slug,
)
from segmentation_pipeline.core.reports import csm_accounts, csm_book, pending_transitions
from tests.core.reports.history import CONTRACT_ENDS, FEB, snapshot

TRANSITIONS = pd.DataFrame(
    {
        "account_id": ["B1"],
        "from_segment": ["Tier 2"],
        "to_segment": ["Tier 1"],
        "status": ["pending"],
    }
)
SETTINGS = ViewSettings(
    month=FEB,
    as_of=pd.Timestamp("2026-02-10"),
    renewal_window_days=30,
    page_rows=3,
    playbooks={"Tier 1": Playbook("High-Touch", "Monthly", ("Dedicated CSM", "On-site QBR"))},
)
CSM_1, CSM_2 = owner_slug("csm-1"), owner_slug("csm-2")


def february() -> pd.DataFrame:
    frame = snapshot(FEB)
    frame["owner_name"] = frame["owner_id"].map({"csm-1": "Ana Ruiz"})
    frame["contract_end_date"] = pd.to_datetime(frame["account_id"].map(CONTRACT_ENDS[FEB]))
    frame["at_risk"] = frame["account_id"].eq("B2")
    frame.loc[frame["account_id"].eq("C1"), "status"] = "provisional"
    frame["explanation_detail"] = "detail of " + frame["account_id"]
    return frame


def _frames(assignments=None):
    accounts = csm_accounts(
        february() if assignments is None else assignments,
        pending_transitions(TRANSITIONS),
        CSM_VIEW_COLUMNS,
    )
    return accounts, csm_book(accounts)


def _files(assignments=None, settings=SETTINGS):
    return csm_view_files(*_frames(assignments), settings)


def test_one_page_and_one_csv_per_owner_and_an_index_of_owner_names():
    files = _files()
    unassigned = owner_slug("(unassigned)")
    assert set(files) == {"index.html"} | {
        f"{slug}.{ext}" for slug in (CSM_1, CSM_2, unassigned) for ext in ("html", "csv")
    }
    index = files["index.html"]
    # Listed by name; an owner without one is shown by their id.
    assert f'<a href="{CSM_1}.html">Ana Ruiz</a>' in index
    assert f'<a href="{CSM_2}.html">csm-2</a>' in index
    assert "Book of business: Ana Ruiz" in files[f"{CSM_1}.html"]


def test_at_risk_then_pending_accounts_come_first_and_the_playbook_is_shown():
    cells = account_cells(_frames()[0], SETTINGS)
    ana = cells[cells["owner_id"].eq("csm-1")]
    # B2 at risk, B1 pending, then by segment and composite: A1 A2 (Tier 1) C1 (Tier 3).
    assert ana["account_id"].tolist() == ["B2", "B1", "A1", "A2", "C1"]
    page = _files()[f"{CSM_1}.html"]
    assert "QBR: Monthly. Dedicated CSM; On-site QBR" in page
    assert "1 renewals due within 30 days" in _files()[f"{CSM_2}.html"]


def test_the_csv_has_the_pages_columns_with_the_same_rounding():
    accounts = february()
    accounts.loc[accounts["account_id"].eq("A1"), "composite_score"] = 4.715
    rows = pd.read_csv(io.StringIO(_files(accounts)[f"{CSM_1}.csv"]))
    assert tuple(rows.columns) == CSV_COLUMNS
    a1 = rows.set_index("account_id").loc["A1"]
    assert a1["composite_score"] == 4.71 and a1["arr"] == 220.0  # cut, as the page shows
    assert a1["owner_name"] == "Ana Ruiz"
    assert rows.set_index("account_id")["renewal_due"].tolist() == [False] * 5


def test_crm_text_is_escaped_and_csv_formulas_neutralised():
    hostile = february()
    hostile.loc[hostile["account_id"] == "A1", "name"] = "<script>x</script>"
    hostile.loc[hostile["account_id"] == "A2", "name"] = "=cmd|' /C calc'!A0"
    files = _files(hostile)
    assert "<script>x" not in files[f"{CSM_1}.html"]
    assert "&lt;script&gt;x&lt;/script&gt;" in files[f"{CSM_1}.html"]
    rows = pd.read_csv(io.StringIO(files[f"{CSM_1}.csv"])).set_index("account_id")
    assert rows.loc["A2", "name"] == "'=cmd|' /C calc'!A0"


# --- every number a row shows is the number its explanation gives ----------------------

ROW = re.compile(r"<tr data-segment=.*?</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def test_every_number_in_a_csm_row_is_the_number_in_its_explanation(
    make_accounts, make_usage, framework
):
    from segmentation_pipeline.core.assignment import assign_segments
    from segmentation_pipeline.core.scoring import score_accounts

    as_of = "2026-12-01"
    accounts = make_accounts(
        {"account_id": "a", "arr": 150_000, "contract_term": "Multi-year"},
        {"account_id": "b", "arr": 5_000},
        {"account_id": "c", "arr": 85_432, "employees": 20_000},
        {"account_id": "d", "arr": 1_250_000, "growth_stage": "Pre-revenue"},
    )
    usage = make_usage(
        {"account_id": "a", "active_users": 30},
        {"account_id": "b", "active_users": 90, "features_adopted": 16},
        {"account_id": "c", "open_tickets": 9},
        {"account_id": "d", "nps": 70},
    )
    frame = assign_segments(
        accounts, score_accounts(accounts, usage, framework, as_of), framework, None, as_of
    )
    files = csm_view_files(*_frames(frame), SETTINGS)
    page = next(text for name, text in files.items() if name.endswith(".html") and "Book" in text)
    rows = ROW.findall(page)
    assert len(rows) == 4
    for row in rows:
        cells = CELL.findall(row)
        composite, arr, explained = cells[4], cells[5], cells[10]
        assert f"(composite {composite})" in explained
        assert f"composite {composite} =" in explained  # the detail
        assert f"ARR {arr}:" in explained or f"ARR {arr} " in explained


def test_a_composite_on_a_rounding_edge_reads_the_same_in_the_row_and_the_sentence():
    # 4.715 is stored as 4.71499...: str.format rounded it down, pandas' round up, and
    # the Composite column and the explanation used one each. Both now show it cut.
    edge = february()
    edge.loc[edge["account_id"].eq("A1"), "composite_score"] = 4.715
    cells = account_cells(_frames(edge)[0], SETTINGS).set_index("account_id")
    shown = explanations.score(explanations.display_scores(pd.Series([4.715])).iloc[0])
    assert cells.loc["A1", "composite"] == shown == "4.71"


# --- in the browser -------------------------------------------------------------------

VISIBLE = (
    "Array.from(document.querySelectorAll('#accounts tbody tr')).filter(r => !r.hidden)"
    ".map(r => r.cells[0].textContent)"
)


@pytest.fixture
def ana_page(tmp_path, offline_page):
    page_file = tmp_path / "ana.html"
    page_file.write_text(
        _files(settings=ViewSettings(**{**SETTINGS.__dict__, "page_rows": 50}))[f"{CSM_1}.html"]
    )
    return offline_page(page_file)


def test_filters_by_segment_status_at_risk_and_pending(ana_page):
    page = ana_page.page
    assert page.evaluate(VISIBLE) == ["B2", "B1", "A1", "A2", "C1"]
    page.select_option("select[name=segment]", "Tier 1")
    assert page.evaluate(VISIBLE) == ["B1", "A1", "A2"]
    page.select_option("select[name=segment]", "")
    page.select_option("select[name=status]", "provisional")
    assert page.evaluate(VISIBLE) == ["C1"]
    page.select_option("select[name=status]", "")
    page.check("input[name=risk]")
    assert page.evaluate(VISIBLE) == ["B2"]
    page.uncheck("input[name=risk]")
    page.check("input[name=pending]")
    assert page.evaluate(VISIBLE) == ["B1"]
    assert ana_page.foreign_requests() == [] and ana_page.errors == []


def test_the_renewal_filter_keeps_renewals_due_in_the_window(tmp_path, offline_page):
    page_file = tmp_path / "csm-2.html"
    page_file.write_text(_files()[f"{CSM_2}.html"])
    opened = offline_page(page_file)
    opened.page.check("input[name=renewal]")
    assert opened.page.evaluate(VISIBLE) == ["A4"]


def test_explanations_are_collapsed_until_opened(ana_page):
    page = ana_page.page
    first = "#accounts tbody tr:first-child details"
    assert page.is_visible(f"{first} summary")
    assert not page.is_visible(f"{first} p")
    page.click(f"{first} summary")
    assert page.is_visible(f"{first} p") and page.inner_text(f"{first} p") == "detail of B2"


def test_pages_of_rows_and_sorting_re_pages(tmp_path, offline_page):
    page_file = tmp_path / "ana.html"
    page_file.write_text(_files()[f"{CSM_1}.html"])  # 3 rows a page
    page = offline_page(page_file).page
    assert page.evaluate(VISIBLE) == ["B2", "B1", "A1"]
    page.click("#next")
    assert page.evaluate(VISIBLE) == ["A2", "C1"]
    page.click("#accounts th:has-text('ARR')")  # C1 8, B2 30, B1 110, A2 120, A1 220
    assert page.evaluate(VISIBLE) == ["A2", "A1"]


def test_a_book_of_5000_accounts_stays_under_6000_px(tmp_path, offline_page, framework):
    big = pd.concat([february()] * 500, ignore_index=True)
    big["account_id"] = [f"X{i}" for i in range(len(big))]
    big["owner_id"] = "csm-1"
    big["explanation"] = (  # as long as the sentences get
        "Tier 2, moving to Tier 1 pending review since 2026-11-02; the scores give Tier 1 "
        "(composite 4.02) because ARR of $1.3M across 3 products, a Multi-year contract and "
        "strategic importance (Named logo) are offset by 12 open tickets; at risk: high "
        "value, low engagement"
    )
    big["explanation_detail"] = "a detail that is much longer than the sentence " * 12
    rows = framework.reporting.csm_page_rows
    settings = ViewSettings(**{**SETTINGS.__dict__, "page_rows": rows})
    page_file = tmp_path / "big.html"
    page_file.write_text(_files(big, settings)[f"{CSM_1}.html"])
    opened = offline_page(page_file)
    height = opened.page.evaluate("document.documentElement.scrollHeight")
    assert len(opened.page.evaluate(VISIBLE)) == rows
    assert "5000 accounts" in opened.page.inner_text("h1 + p")
    assert height < 6000, height


def test_rendering_a_few_owners_at_a_time_gives_the_same_files():
    accounts, book = _frames()
    cells = account_cells(accounts, SETTINGS)
    whole = dict(iter_csm_view_files(cells, book, SETTINGS))
    for chunk_rows in (1, 5, 6):
        assert dict(iter_csm_view_files(cells, book, SETTINGS, chunk_rows=chunk_rows)) == whole
