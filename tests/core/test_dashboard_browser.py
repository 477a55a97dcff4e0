"""The executive dashboard opened in a real headless Chromium, from a file, offline.

Built from the hand-built three-month history (tests/core/reports/history.py). In March:
Tier 1 = A1 A4 B1 (ARR 380), Tier 2 = A2 B3 N1 (181), Tier 3 = C2 (9); retention over
February and March pools 12 retained of 19 cohort accounts.
"""

import pandas as pd
import pytest

from segmentation_pipeline.core.dashboard import CHARTS, dashboard_html
from segmentation_pipeline.core.dashboard_panels import (
    capacity_panel,
    health_panel,
    outlier_panel,
    product_line_panel,
    sub_segment_panel,
)
from segmentation_pipeline.core.reports import health_by_segment
from segmentation_pipeline.core.reports.capacity import csm_capacity
from segmentation_pipeline.core.reports.outliers import outliers
from segmentation_pipeline.core.reports.product_lines import segment_product_lines
from segmentation_pipeline.core.reports.sub_segments import sub_segment_distribution
from segmentation_pipeline.framework import load_framework
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


def _panels():
    """March's report panels from four accounts: a Tier 1 account of $300K (the
    Enterprise $250K+ sub-segment), a $150K Tier 3 account (an outlier), owners u1 (3
    Tier 1 accounts: underloaded, 3 / 15) and u2 (one Tier 3 account: underloaded)."""
    fw = load_framework()
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "C1"],
            "name": ["Acme", "Beta", "Corp", "Delta"],
            "owner_id": ["u1", "u1", "u1", "u2"],
            "segment": ["Tier 1", "Tier 1", "Tier 1", "Tier 3"],
            "tier_label": ["Enterprise", "Enterprise", "Enterprise", "SMB"],
            "service_model": ["high_touch", "high_touch", "high_touch", "tech_touch"],
            "arr": [300_000.0, 100_000.0, 50_000.0, 150_000.0],
            "composite_score": [4.5, 4.2, 4.1, 2.0],
            "behavioral_score": [4.0, 3.0, 2.0, 1.0],
            "at_risk": [False, False, False, True],
        }
    )
    usage = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "C1"],
            "product": ["Core", "Core", "Core"],
            "product_arr": [300_000.0, 100_000.0, 150_000.0],
            "nps": [50.0, 10.0, -20.0],
        }
    )
    found = outliers(accounts, fw.tiers, fw.reporting.outliers)
    return [
        health_panel(health_by_segment(accounts, usage)),
        sub_segment_panel(sub_segment_distribution(accounts, fw.reporting.sub_segments)),
        outlier_panel(found, found.sort_values("arr", ascending=False)),
        capacity_panel(csm_capacity(accounts, fw.service_models)),
        product_line_panel(segment_product_lines(accounts, usage)),
    ]


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
            panels=_panels(),
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


PANEL_TEXT = """key => {
  const panel = document.getElementById("panel-" + key);
  const box = panel.getBoundingClientRect();
  return {
    visible: box.width > 0 && box.height > 0,
    title: panel.querySelector("h2").innerText,
    rows: [...panel.querySelectorAll("tbody tr")].map(
      tr => [...tr.querySelectorAll("td")].map(td => td.innerText)),
  };
}"""


def _panel(dashboard, key):
    return dashboard.page.evaluate(PANEL_TEXT, key)


def test_the_health_panel_shows_nps_and_engagement_by_segment(dashboard):
    health = _panel(dashboard, "health")
    assert health["visible"] and health["title"] == "Health and NPS by segment"
    # Tier 1: NPS 50 and 10 (A3 has none): mean 30.0, 2 of 3; behavioral (4+3+2)/3 = 3.00.
    assert health["rows"] == [
        ["Tier 1 · Enterprise", "3", "30.0", "66.7%", "3.00", "0", "0.0%"],
        ["Tier 3 · SMB", "1", "-20.0", "100.0%", "1.00", "1", "100.0%"],
    ]


def test_the_sub_segment_panel_splits_tier_1(dashboard):
    subs = _panel(dashboard, "sub-segments")
    assert subs["visible"]
    assert subs["rows"] == [
        ["Tier 1 · Enterprise", "Enterprise $250K+", "1", "$300.0K", "33.3%", "66.7%"],
        ["Tier 1 · Enterprise", "Tier 1 (rest)", "2", "$150.0K", "66.7%", "33.3%"],
    ]


def test_the_outlier_panel_lists_the_tier_3_account_over_100k(dashboard):
    found = _panel(dashboard, "outliers")
    assert found["visible"] and found["title"] == "Outliers for review (1 account)"
    assert found["rows"] == [
        ["Delta", "u2", "Tier 3", "$150.0K", "2.00", "ARR $150K >= $100K in Tier 3"]
    ]


def test_the_capacity_panel_lists_owners_off_their_ratio(dashboard):
    capacity = _panel(dashboard, "capacity")
    assert capacity["visible"]
    assert capacity["title"] == "CSM capacity: 0 overloaded, 2 underloaded of 2 owners"
    # u1: 3 / 15 = 0.20 minimum books, 3 / 50 = 0.06 full; u2: 1 / 200 and 1 / 1000.
    assert capacity["rows"] == [
        ["u1", "3", "$450.0K", "0.06", "0.20", "underloaded"],
        ["u2", "1", "$150.0K", "0.00", "0.01", "underloaded"],
    ]


def test_the_product_line_panel_shows_each_segments_products(dashboard):
    lines = _panel(dashboard, "product-lines")
    assert lines["visible"]
    assert lines["rows"] == [
        ["Tier 1 · Enterprise", "Core", "2", "66.7%", "$400.0K", "$200.0K", "30.0"],
        ["Tier 3 · SMB", "Core", "1", "100.0%", "$150.0K", "$150.0K", "-20.0"],
    ]


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
