"""The executive dashboard opened in a real headless Chromium, from a file, offline.

Built from the hand-built three-month history (tests/core/reports/history.py). In March:
Tier 1 = A1 A4 B1 (ARR 380), Tier 2 = A2 B3 N1 (181), Tier 3 = C2 (9); retention over
February and March pools 12 retained of 19 cohort accounts.
"""

import pytest

from segmentation_pipeline.core.dashboard import CHARTS, dashboard_html
from tests.core.reports.history import LABELS, report_tables

CHART_IDS = [f"chart-{c.key}" for c in CHARTS]

RENDERED = """id => {
  const gd = document.getElementById(id);
  return {
    plotly: gd.classList.contains("js-plotly-plot"),
    svg: gd.querySelectorAll(".main-svg").length,
    traces: gd.querySelectorAll("g.trace").length,
    marks: gd.querySelectorAll("g.point path, path.js-line").length,
    xs: (gd.data || []).map(t => t.x),
    annotations: ((gd.layout || {}).annotations || []).map(a => a.text),
  };
}"""


@pytest.fixture(scope="module")
def dashboard_file(tmp_path_factory):
    customers, arr, retention = report_tables()
    page_file = tmp_path_factory.mktemp("dashboard") / "executive-dashboard.html"
    page_file.write_text(
        dashboard_html(
            customers,
            arr,
            retention,
            framework_version="2026.1",
            generated_at="2026-03-31 06:00 UTC",
            segment_order=["Tier 1", "Tier 2", "Tier 3"],
            labels=LABELS,
        )
    )
    return page_file


@pytest.fixture
def dashboard(dashboard_file, offline_page):
    opened = offline_page(dashboard_file)
    opened.page.wait_for_function("document.body.dataset.renders >= 1")
    return opened


def _chart(dashboard, chart_id):
    return dashboard.page.evaluate(RENDERED, chart_id)


def _kpi(dashboard, key):
    return dashboard.page.inner_text(f"#kpi-{key}")


def test_every_chart_renders_with_data(dashboard, artifacts_dir):
    for chart_id in CHART_IDS:
        chart = _chart(dashboard, chart_id)
        assert chart["plotly"] and chart["svg"] > 0, chart_id
        assert chart["traces"] > 0 and chart["marks"] > 0, chart_id
        assert chart["annotations"] == [], chart_id
    assert _chart(dashboard, "chart-distribution")["marks"] == 3
    assert _kpi(dashboard, "accounts") == "7"
    assert _kpi(dashboard, "arr") == "$570"
    assert _kpi(dashboard, "logo") == "63.2%"  # 12 / 19
    assert dashboard.errors == []
    shot = dashboard.page.screenshot(full_page=True)
    (artifacts_dir / "executive-dashboard.png").write_bytes(shot)


def test_the_segment_filter_changes_what_is_shown(dashboard):
    before = _chart(dashboard, "chart-distribution")
    assert before["xs"] == [["Tier 1 · Enterprise", "Tier 2 · Mid-Market", "Tier 3 · SMB"]]

    dashboard.page.uncheck("input[name=segment][value='0']")

    after = _chart(dashboard, "chart-distribution")
    assert after["xs"] == [["Tier 2 · Mid-Market", "Tier 3 · SMB"]]
    assert after["marks"] == 2
    assert len(_chart(dashboard, "chart-accounts-trend")["xs"]) == 2
    assert _kpi(dashboard, "accounts") == "4"
    assert _kpi(dashboard, "arr") == "$190"
    # Tier 2 and 3 pooled: retained 3 + 2 + 2 + 1 = 8 of 4 + 3 + 3 + 2 = 12.
    assert _kpi(dashboard, "logo") == "66.7%"


def test_the_period_and_breakdown_filters_change_what_is_shown(dashboard):
    dashboard.page.select_option("#group", label="industry: Manufacturing")
    assert _kpi(dashboard, "accounts") == "3"  # March manufacturing: A1, B1, A2

    dashboard.page.select_option("#group", label="All accounts")
    dashboard.page.select_option("#to", label="2026-01")
    assert _kpi(dashboard, "accounts") == "12"
    assert _kpi(dashboard, "logo") == "n/a"
    retention = _chart(dashboard, "chart-retention")
    assert retention["annotations"] == ["Retention needs two consecutive stored months"]


def test_the_page_makes_no_request_outside_its_own_file(dashboard):
    dashboard.page.uncheck("input[name=segment][value='1']")
    dashboard.page.select_option("#from", label="2026-02")
    assert dashboard.requests == [dashboard.url]
    assert dashboard.foreign_requests() == []


def test_the_request_recorder_does_catch_a_page_that_reaches_out(tmp_path, offline_page):
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<img src="https://cdn.example.invalid/x.png"><p>hi</p>')
    opened = offline_page(leaky)
    opened.page.wait_for_timeout(200)
    assert opened.foreign_requests() == ["https://cdn.example.invalid/x.png"]
