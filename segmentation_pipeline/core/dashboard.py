"""The executive dashboard: one self-contained HTML file that works offline.

Plotly's JavaScript is embedded in the page (the equivalent of `include_plotlyjs=True`)
and the data travels inside it as JSON at the (month, segment, breakdown value) grain of
the report tables, so the page filters by period, segment and breakdown without a server
and without any network request. Python decides what the charts look like (plotly
layouts); the page's small script only filters, sums and draws.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from segmentation_pipeline.core import html as page_html
from segmentation_pipeline.core.dashboard_panels import Panel
from segmentation_pipeline.core.reports.grouping import ALL_DIMENSION, ALL_VALUE

MONTH = "snapshot_month"
FACT_COLUMNS = ("accounts", "arr", "at_risk")
RETENTION_COLUMNS = (
    "cohort_accounts",
    "retained_accounts",
    "arr_start",
    "arr_retained_gross",
    "arr_end",
)
PALETTE = ("#1f5fa8", "#2e9e6a", "#e0a030", "#8a63c6", "#d0524a", "#4bb0c8", "#7a7f87")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    layout: dict


def _layout(title: str, yformat: str = "", xtitle: str = "", ytitle: str = "") -> dict:
    figure = go.Figure(
        layout=go.Layout(
            template="plotly_white",
            title={"text": title, "x": 0.02, "font": {"size": 15}},
            margin={"l": 60, "r": 20, "t": 50, "b": 50},
            height=340,
            legend={"orientation": "h", "y": -0.2},
            xaxis={"title": {"text": xtitle}, "type": "category"},
            yaxis={"title": {"text": ytitle}, "tickformat": yformat, "rangemode": "tozero"},
            barmode="group",
        )
    )
    return figure.to_plotly_json()["layout"]


CHARTS: tuple[Chart, ...] = (
    Chart(
        "distribution", "Segment distribution", _layout("Accounts by segment", ytitle="Accounts")
    ),
    Chart("arr", "ARR by segment", _layout("ARR by segment", "$,.3~s", ytitle="ARR")),
    Chart(
        "retention",
        "Retention by segment",
        _layout("Retention over the period", ".0%", ytitle="Share of cohort"),
    ),
    Chart("accounts-trend", "Accounts over time", _layout("Accounts by month", ytitle="Accounts")),
    Chart("arr-trend", "ARR over time", _layout("ARR by month", "$,.3~s", ytitle="ARR")),
    Chart(
        "nrr-trend",
        "Net revenue retention over time",
        _layout("Net revenue retention by month", ".0%", ytitle="NRR"),
    ),
)


def _ordered_segments(frames: Sequence[pd.DataFrame], preferred: Sequence[str]) -> list[str]:
    seen = set().union(*(set(f["segment"].dropna()) for f in frames if len(f)))
    first = [s for s in preferred if s in seen]
    return first + sorted(seen - set(first))


def _groups(frames: Sequence[pd.DataFrame]) -> list[tuple[str, str]]:
    keys = set()
    for frame in frames:
        if len(frame):
            keys |= set(zip(frame["dimension"], frame["dimension_value"], strict=False))
    others = sorted(k for k in keys if k[0] != ALL_DIMENSION)
    return [(ALL_DIMENSION, ALL_VALUE), *others]


def _rows(
    frame: pd.DataFrame,
    columns: Sequence[str],
    months: list[str],
    segments: list[str],
    groups: list[tuple[str, str]],
) -> list[list]:
    """[month index, segment index, group index, *columns] for rows inside the window."""
    if frame.empty:
        return []
    month_ix = {m: i for i, m in enumerate(months)}
    segment_ix = {s: i for i, s in enumerate(segments)}
    group_ix = {g: i for i, g in enumerate(groups)}
    keep = frame[frame[MONTH].isin(month_ix)]
    values = keep.reindex(columns=list(columns)).astype("float64").fillna(0.0).round(2)
    return [
        [month_ix[m], segment_ix[s], group_ix[(d, v)], *row]
        for m, s, d, v, row in zip(
            keep[MONTH],
            keep["segment"],
            keep["dimension"],
            keep["dimension_value"],
            values.itertuples(index=False, name=None),
            strict=True,
        )
    ]


def dashboard_data(
    customers: pd.DataFrame,
    arr: pd.DataFrame,
    retention: pd.DataFrame,
    *,
    segment_order: Sequence[str] = (),
    labels: dict[str, str] | None = None,
    max_months: int = 24,
) -> dict:
    """The page's JSON: months, segments, breakdown groups, facts and retention rows.

    `customers`, `arr` and `retention` are the stored report tables (all months, with
    `snapshot_month`); facts join customers and ARR on their keys.
    """
    keys = [MONTH, "segment", "dimension", "dimension_value"]
    facts = customers.reindex(columns=[*keys, "accounts", "at_risk"]).merge(
        arr.reindex(columns=[*keys, "arr"]), on=keys, how="outer"
    )
    months = sorted(set(facts[MONTH].dropna()) | set(retention.get(MONTH, pd.Series()).dropna()))
    months = months[-max_months:]
    segments = _ordered_segments([facts, retention], segment_order)
    groups = _groups([facts, retention])
    labels = labels or {}
    return {
        "months": [m[:7] for m in months],
        "segments": [
            f"{s} · {labels[s]}" if labels.get(s) and labels[s] != s else s for s in segments
        ],
        "colors": [PALETTE[i % len(PALETTE)] for i in range(len(segments))],
        "groups": [
            "All accounts" if d == ALL_DIMENSION else f"{d.replace('_', ' ')}: {v}"
            for d, v in groups
        ],
        "facts": _rows(facts, FACT_COLUMNS, months, segments, groups),
        "retention": _rows(retention, RETENTION_COLUMNS, months, segments, groups),
        "charts": [{"key": c.key, "layout": c.layout} for c in CHARTS],
    }


def _json_for_script(data: dict) -> str:
    # Inside <script>, "</" would end the element; "<\/" reads the same to JSON.
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def _controls(data: dict) -> str:
    esc = page_html.escape
    months = "".join(f'<option value="{i}">{esc(m)}</option>' for i, m in enumerate(data["months"]))
    groups = "".join(f'<option value="{i}">{esc(g)}</option>' for i, g in enumerate(data["groups"]))
    boxes = "".join(
        f'<label class="seg"><input type="checkbox" name="segment" value="{i}" checked> '
        f'<span class="swatch" style="background:{data["colors"][i]}"></span>{esc(s)}</label>'
        for i, s in enumerate(data["segments"])
    )
    return (
        '<section class="filters">'
        f'<label>From <select id="from">{months}</select></label>'
        f'<label>To <select id="to">{months}</select></label>'
        f'<label>Accounts <select id="group">{groups}</select></label>'
        f'<fieldset id="segments"><legend>Segments</legend>{boxes}</fieldset>'
        "</section>"
    )


KPIS = (
    ("accounts", "Accounts"),
    ("arr", "ARR"),
    ("at_risk", "At risk"),
    ("logo", "Logo retention"),
    ("grr", "Gross revenue retention"),
    ("nrr", "Net revenue retention"),
)

DASHBOARD_STYLE = """
.filters{display:flex;flex-wrap:wrap;gap:12px 20px;align-items:center;background:#fff;
padding:12px 16px;border:1px solid #d9dee5;border-radius:8px;margin:16px 0}
.filters select{margin-left:6px}
fieldset{border:0;margin:0;padding:0;display:flex;gap:12px;align-items:center}
legend{float:left;margin-right:8px;font-weight:600}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:12px}
.kpi{background:#fff;border:1px solid #d9dee5;border-radius:8px;padding:10px 14px}
.kpi .value{font-size:1.5rem;font-weight:600}
.kpi .name{color:#616e7c;font-size:.8rem}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-top:16px}
.chart{background:#fff;border:1px solid #d9dee5;border-radius:8px;min-height:340px}
.panels{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.panel{background:#fff;border:1px solid #d9dee5;border-radius:8px;padding:4px 16px;
overflow-x:auto}
.panel.wide{grid-column:1/-1}
.panel h2{font-size:1.05rem;margin:.8rem 0 .2rem}
.panel table{width:100%}
"""

# Filters -> sums -> Plotly.react. Retention over a period pools the monthly cohorts:
# sum(retained) / sum(cohort), sum(kept ARR) / sum(starting ARR), sum(ending ARR) / ...
DASHBOARD_SCRIPT = r"""
(function () {
  var D = JSON.parse(document.getElementById("dashboard-data").textContent);
  var el = function (id) { return document.getElementById(id); };
  var fromSel = el("from"), toSel = el("to"), groupSel = el("group");
  fromSel.value = "0";
  toSel.value = String(Math.max(0, D.months.length - 1));
  var layouts = {};
  D.charts.forEach(function (c) { layouts[c.key] = c.layout; });
  var config = {displaylogo: false, responsive: true};

  function state() {
    var a = +fromSel.value, b = +toSel.value;
    var segs = [];
    document.querySelectorAll("input[name=segment]").forEach(function (box) {
      if (box.checked) segs.push(+box.value);
    });
    return {from: Math.min(a, b), to: Math.max(a, b), group: +groupSel.value, segs: segs};
  }
  function sumBy(rows, pick, n) {
    var out = {};
    rows.forEach(function (r) {
      var k = pick(r);
      if (!out[k]) out[k] = new Array(n).fill(0);
      for (var i = 0; i < n; i++) out[k][i] += r[3 + i];
    });
    return out;
  }
  function ratio(a, b) { return b > 0 ? a / b : null; }
  function fmtMoney(v) {
    if (v >= 1e9) return "$" + (v / 1e9).toFixed(2) + "B";
    if (v >= 1e6) return "$" + (v / 1e6).toFixed(2) + "M";
    if (v >= 1e3) return "$" + (v / 1e3).toFixed(1) + "K";
    return "$" + v.toFixed(0);
  }
  function fmtPct(v) { return v === null ? "n/a" : (v * 100).toFixed(1) + "%"; }
  function empty(layout, message) {
    var l = JSON.parse(JSON.stringify(layout));
    l.annotations = [{text: message, showarrow: false, xref: "paper", yref: "paper",
                      x: 0.5, y: 0.5, font: {size: 14, color: "#616e7c"}}];
    return l;
  }
  function draw(key, traces, hasData, message) {
    var layout = hasData ? layouts[key] : empty(layouts[key], message);
    Plotly.react("chart-" + key, traces, layout, config);
  }

  function render() {
    var s = state();
    var inGroup = function (r) { return r[2] === s.group && s.segs.indexOf(r[1]) >= 0; };
    var facts = D.facts.filter(inGroup);
    var ret = D.retention.filter(inGroup);
    var names = s.segs.map(function (i) { return D.segments[i]; });
    var colors = s.segs.map(function (i) { return D.colors[i]; });
    var months = D.months.slice(s.from, s.to + 1);

    var atEnd = sumBy(facts.filter(function (r) { return r[0] === s.to; }),
                      function (r) { return r[1]; }, 3);
    var endAccounts = s.segs.map(function (i) { return atEnd[i] ? atEnd[i][0] : 0; });
    var endArr = s.segs.map(function (i) { return atEnd[i] ? atEnd[i][1] : 0; });
    var endRisk = s.segs.map(function (i) { return atEnd[i] ? atEnd[i][2] : 0; });
    var period = ret.filter(function (r) { return r[0] >= s.from && r[0] <= s.to; });
    var pooled = sumBy(period, function (r) { return r[1]; }, 5);
    var total = [0, 0, 0, 0, 0];
    s.segs.forEach(function (i) {
      if (pooled[i]) for (var k = 0; k < 5; k++) total[k] += pooled[i][k];
    });
    var sum = function (xs) { return xs.reduce(function (a, b) { return a + b; }, 0); };

    el("kpi-accounts").textContent = sum(endAccounts).toLocaleString("en-US");
    el("kpi-arr").textContent = fmtMoney(sum(endArr));
    el("kpi-at_risk").textContent = sum(endRisk).toLocaleString("en-US");
    el("kpi-logo").textContent = fmtPct(ratio(total[1], total[0]));
    el("kpi-grr").textContent = fmtPct(ratio(total[3], total[2]));
    el("kpi-nrr").textContent = fmtPct(ratio(total[4], total[2]));
    el("period").textContent = months.length ? months[0] + " to " + months[months.length - 1] : "";

    var noneSelected = "No segment selected";
    draw("distribution", [{type: "bar", x: names, y: endAccounts, marker: {color: colors},
          hovertemplate: "%{x}: %{y:,} accounts<extra></extra>"}],
         names.length > 0, noneSelected);
    draw("arr", [{type: "bar", x: names, y: endArr, marker: {color: colors},
          hovertemplate: "%{x}: %{y:$,.0f}<extra></extra>"}],
         names.length > 0, noneSelected);

    var measures = [["Logo retention", 1, 0], ["GRR", 3, 2], ["NRR", 4, 2]];
    var retTraces = measures.map(function (m, j) {
      return {type: "bar", name: m[0], x: names,
              marker: {color: ["#1f5fa8", "#9db8d9", "#2e9e6a"][j]},
              y: s.segs.map(function (i) {
                return pooled[i] ? ratio(pooled[i][m[1]], pooled[i][m[2]]) : null;
              })};
    });
    draw("retention", retTraces, period.length > 0,
         "Retention needs two consecutive stored months");

    function series(rows, fn) {
      var byMonthSeg = {};
      rows.forEach(function (r) {
        var k = r[0] + "|" + r[1];
        if (!byMonthSeg[k]) byMonthSeg[k] = new Array(5).fill(0);
        for (var i = 3; i < r.length; i++) byMonthSeg[k][i - 3] += r[i];
      });
      return s.segs.map(function (seg, j) {
        var ys = [];
        for (var m = s.from; m <= s.to; m++) {
          var v = byMonthSeg[m + "|" + seg];
          ys.push(v ? fn(v) : null);
        }
        return {type: "scatter", mode: "lines+markers", name: names[j], x: months, y: ys,
                line: {color: colors[j]}, connectgaps: false};
      });
    }
    var inPeriod = function (r) { return r[0] >= s.from && r[0] <= s.to; };
    draw("accounts-trend", series(facts.filter(inPeriod), function (v) { return v[0]; }),
         names.length > 0, noneSelected);
    draw("arr-trend", series(facts.filter(inPeriod), function (v) { return v[1]; }),
         names.length > 0, noneSelected);
    draw("nrr-trend", series(period, function (v) { return ratio(v[4], v[2]); }),
         period.length > 0, "Retention needs two consecutive stored months");
    document.body.dataset.renders = String(+(document.body.dataset.renders || 0) + 1);
  }

  [fromSel, toSel, groupSel].forEach(function (c) { c.addEventListener("change", render); });
  document.querySelectorAll("input[name=segment]").forEach(function (box) {
    box.addEventListener("change", render);
  });
  render();
})();
"""


def _panels(panels: Sequence[Panel], through: str) -> str:
    """The month's report panels: static tables (they do not follow the filters)."""
    if not panels:
        return ""
    esc = page_html.escape
    blocks = "".join(
        f'<div class="panel{" wide" if p.wide else ""}" id="panel-{esc(p.key)}">'
        f"<h2>{esc(p.title)}</h2>"
        + (page_html.table(p.headers, p.rows, numeric=p.numeric) if p.rows else
           '<p class="muted">Nothing to show this month.</p>')
        + (f'<p class="muted">{esc(p.note)}</p>' if p.note else "")
        + "</div>"
        for p in panels
    )  # fmt: skip
    return (
        f'<h2 class="panels-title">Reports for {esc(through)}</h2>'
        '<p class="muted">These tables show the last month of the data whatever the filters '
        "above.</p>"
        f'<section class="panels">{blocks}</section>'
    )


def dashboard_html(
    customers: pd.DataFrame,
    arr: pd.DataFrame,
    retention: pd.DataFrame,
    *,
    title: str = "Customer segmentation: executive dashboard",
    framework_version: str = "",
    generated_at: str = "",
    segment_order: Sequence[str] = (),
    labels: dict[str, str] | None = None,
    max_months: int = 24,
    panels: Sequence[Panel] = (),
) -> str:
    """The whole page as one string; see `dashboard_data` for the inputs."""
    data = dashboard_data(
        customers,
        arr,
        retention,
        segment_order=segment_order,
        labels=labels,
        max_months=max_months,
    )
    esc = page_html.escape
    kpis = "".join(
        f'<div class="kpi"><div class="value" id="kpi-{key}">-</div>'
        f'<div class="name">{esc(name)}</div></div>'
        for key, name in KPIS
    )
    charts = "".join(
        f'<div class="chart" id="chart-{c.key}" data-title="{esc(c.title)}"></div>' for c in CHARTS
    )
    through = data["months"][-1] if data["months"] else "no data yet"
    body = (
        f"<h1>{esc(title)}</h1>"
        f'<p class="muted">Data through {esc(through)} · framework {esc(framework_version)} · '
        f'generated {esc(generated_at)} · period <span id="period"></span></p>'
        + _controls(data)
        + f'<section class="kpis">{kpis}</section>'
        + f'<section class="charts">{charts}</section>'
        + _panels(panels, through)
        + '<p class="muted">Accounts, ARR and at-risk are as of the last month of the period. '
        "ARR is the ARR that is known: an account whose ARR is missing (Unsegmented for "
        "missing ARR) adds $0 and counts as ARR unknown (accounts_with_arr in "
        "report_arr_by_segment and report_segment_summary counts those that have one). "
        "Retention pools the monthly cohorts of the period: a cohort is the accounts active in "
        "a segment in a month; churned accounts disappeared, were flagged churned or reached "
        "their contract end the next month (in the open month: by the day of the run, not "
        "later in the month). Logo retention = retained / cohort; GRR = "
        "sum(min(ARR next month, ARR)) / sum(ARR); NRR = sum(ARR next month) / sum(ARR).</p>"
    )
    head = (
        f"<style>{DASHBOARD_STYLE}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        f'<script type="application/json" id="dashboard-data">{_json_for_script(data)}</script>\n'
    )
    return page_html.page(title, body, head=head, script=DASHBOARD_SCRIPT)
