"""The dashboard's data and page, without a browser (the browser tests open it)."""

import json
import re

import pandas as pd

from segmentation_pipeline.core.dashboard import CHARTS, dashboard_data, dashboard_html
from tests.core.reports.history import LABELS, report_tables


def _embedded(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S
    )
    return json.loads(match.group(1))


def test_data_carries_months_segments_groups_and_rows():
    customers, arr, retention = report_tables()
    data = dashboard_data(
        customers, arr, retention, segment_order=["Tier 1", "Tier 2", "Tier 3"], labels=LABELS
    )
    assert data["months"] == ["2026-01", "2026-02", "2026-03"]
    assert data["segments"] == ["Tier 1 · Enterprise", "Tier 2 · Mid-Market", "Tier 3 · SMB"]
    assert data["groups"] == ["All accounts", "industry: Manufacturing", "industry: Software"]
    # January, Tier 1, all accounts: 4 accounts, ARR 500, none at risk.
    assert [0, 0, 0, 4.0, 500.0, 0.0] in data["facts"]
    # March, Tier 2, all accounts: cohort 3, retained 2, ARR 115 -> kept 85, end 91.
    assert [2, 1, 0, 3.0, 2.0, 115.0, 85.0, 91.0] in data["retention"]
    assert [c["key"] for c in data["charts"]] == [c.key for c in CHARTS]


def test_only_the_most_recent_months_are_kept():
    customers, arr, retention = report_tables()
    data = dashboard_data(customers, arr, retention, max_months=2)
    assert data["months"] == ["2026-02", "2026-03"]
    assert {row[0] for row in data["facts"]} == {0, 1}


def test_segments_outside_the_configured_order_come_last_and_unlabelled():
    customers, arr, retention = report_tables()
    customers = pd.concat([customers, customers.head(1).assign(segment="Unsegmented")])
    data = dashboard_data(customers, arr, retention, segment_order=["Tier 3"], labels=LABELS)
    assert data["segments"][0] == "Tier 3 · SMB"
    assert data["segments"][-1] == "Unsegmented"


def test_an_empty_history_still_makes_a_page():
    empty = pd.DataFrame()
    page = dashboard_html(empty, empty, empty)
    assert "no data yet" in page
    assert _embedded(page)["facts"] == []


def test_the_page_embeds_plotly_and_cannot_be_broken_out_of_by_data():
    customers, arr, retention = report_tables()
    customers = customers.assign(
        dimension_value=customers["dimension_value"].replace("Software", "</script><b>x")
    )
    page = dashboard_html(customers, arr, retention)
    assert "Plotly" in page and "cdn.plot.ly/plotly-" not in page
    assert "</script><b>x" not in page
    assert "industry: </script><b>x" in _embedded(page)["groups"]


def test_the_retention_note_says_the_open_month_counts_churn_only_by_the_day_of_the_run():
    page = dashboard_html(*report_tables())
    assert (
        "reached their contract end the next month (in the open month: by the day of the "
        "run, not later in the month)" in page
    )


def test_the_note_says_arr_is_the_known_arr_and_missing_arr_counts_as_unknown():
    page = dashboard_html(*report_tables())
    assert (
        "ARR is the ARR that is known: an account whose ARR is missing (Unsegmented for "
        "missing ARR) adds $0 and counts as ARR unknown" in page
    )
