"""Framework documentation generated from the framework config, so it cannot drift from
the rules the code applies.

Five documents (segment definitions, business rules, a one-page CSM quick reference, an
FAQ, data sources) plus an index, each rendered as markdown and as HTML from one small
block model. Every number of the framework file appears in them; settings added to the
framework later and not yet described here still appear, in an "Other settings" table of
the business rules, so a threshold is never missing from the docs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from segmentation_pipeline.core import html as page_html
from segmentation_pipeline.core.schema import ENRICHMENT_PENDING, UNSEGMENTED
from segmentation_pipeline.framework.models import (
    BandedCriterion,
    Bands3,
    Framework,
    NamedBand,
    Tier,
    ValueMapCriterion,
)

# --- block model ----------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: Sequence[str]


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Links:
    """A list of links to other documents by slug: '<slug>.md' in markdown, '<slug>.html'
    in HTML, so each rendering links to its own kind."""

    items: Sequence[tuple[str, str]]  # (text, slug)


Block = Heading | Para | Bullets | Links | Table


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    blocks: Sequence[Block]


def _md(text: str) -> list[Block]:
    """Blocks written as light markdown: '## ' and '### ' headings, '- ' bullets, other
    lines a paragraph; a blank line ends a list or a paragraph. A long line is written with
    a trailing backslash, which Python joins before this reads it."""
    blocks: list[Block] = []
    for chunk in text.strip("\n").split("\n\n"):
        lines = chunk.split("\n")
        while lines and lines[0].startswith("#"):
            hashes, _, title = lines.pop(0).partition(" ")
            blocks.append(Heading(title, len(hashes)))
        if lines and lines[0].startswith("- "):
            blocks.append(Bullets("\n".join(lines)[2:].split("\n- ")))
        elif lines:
            blocks.append(Para("\n".join(lines)))
    return blocks


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: Document, version: str) -> str:
    out = [f"# {doc.title}", "", f"_Generated from framework version {version}; do not edit._", ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Para):
            out += [block.text, ""]
        elif isinstance(block, Bullets):
            out += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Links):
            out += [f"- [{text}]({slug}.md)" for text, slug in block.items] + [""]
        else:
            out.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
            out.append("|" + "---|" * len(block.headers))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
    return "\n".join(out)


def to_html(doc: Document, version: str, nav: Sequence[Document] = ()) -> str:
    esc = page_html.escape
    links = " ".join(f'<a href="{esc(d.slug)}.html">{esc(d.title)}</a>' for d in nav)
    parts = [f"<nav>{links}</nav>" if links else "", f"<h1>{esc(doc.title)}</h1>"]
    parts.append(f'<p class="muted">Generated from framework version {esc(version)}.</p>')
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            parts.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Bullets):
            parts.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, Links):
            items = "".join(
                f'<li><a href="{esc(slug)}.html">{esc(text)}</a></li>' for text, slug in block.items
            )
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(page_html.table(block.headers, block.rows))
    return page_html.page(doc.title, "\n".join(parts))


SEGMENT_COLUMNS = (
    "Segment", "Label", "Composite score", "Service model", "CSM ratio", "QBR cadence",
    "Onboarding",
)  # fmt: skip
PROVIDER_COLUMNS = (
    "Provider", "Kind", "On", "Batch", "Workers", "Timeout (s)", "Limits", "Headroom", "Burst",
    "Credits per match / miss", "Confidence", "Address",
)  # fmt: skip

# --- number formats ---------------------------------------------------------------


def num(value: float | None) -> str:
    if value is None:
        return "n/a"
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:g}"


def pct(value: float) -> str:
    return f"{float(value) * 100:g}%"


def money(value: float) -> str:
    number = float(value)
    return f"${int(number):,}" if number.is_integer() else f"${number:,}"


def ratio(value: float) -> str:
    return f"{num(value)}x"


def span(low: float | None, high: float | None, fmt: Callable[[float], str] = num) -> str:
    """A half-open band [low, high) in words."""
    if low is None and high is None:
        return "any value"
    if low is None:
        return f"below {fmt(high)}"
    if high is None:
        return f"{fmt(low)} or more"
    return f"{fmt(low)} to under {fmt(high)}"


def score(value: float) -> str:
    """Scores on the 1-5 scale keep one decimal at least: 4.0, 2.5, 3.85."""
    number = float(value)
    return f"{number:.1f}" if round(number, 1) == number else f"{number:g}"


def _points(value: int) -> str:
    return f"{num(value)} pt" + ("" if value == 1 else "s")


def _joined(items: Sequence[object]) -> str:
    return ", ".join(str(i) for i in items) if items else "(none)"


# --- shared pieces ------------------------------------------------------------------


def _tier_ranges(fw: Framework) -> list[tuple[Tier, str]]:
    """Each tier with the composite range it covers (tiers are ordered by min_score)."""
    ranges = []
    ceiling = None
    for tier in fw.tiers:
        ranges.append((tier, span(tier.min_score, ceiling, score)))
        ceiling = tier.min_score
    return ranges


def _service_model_row(fw: Framework, key: str) -> list[str]:
    model = fw.service_models.get(key)
    if model is None:
        return [key, "-", "-", "-"]
    ratio_text = f"{num(model.csm_ratio.min)}-{num(model.csm_ratio.max)} accounts per CSM"
    return [model.label, ratio_text, model.qbr_cadence, model.onboarding_model]


def _formula(fw: Framework) -> str:
    w = fw.scoring.weights
    return (
        f"Composite = Firmographic x {num(w.firmographic)} + Behavioral x {num(w.behavioral)}"
        f" + Value x {num(w.value)}"
    )


def _at_risk_rule(fw: Framework) -> str:
    risk = fw.assignment.at_risk
    return (
        f"value score {score(risk.min_value_score)} or more and behavioral score "
        f"{score(risk.max_behavioral_score)} or less"
    )


Cells = dict[int, list[str]]


def _cells(pairs: Iterable[tuple[int, str]]) -> Cells:
    """Points -> the texts worth them (several criteria values can share the same points)."""
    cells: Cells = {}
    for points, text in pairs:
        cells.setdefault(points, []).append(text)
    return cells


def _banded_cells(criterion: BandedCriterion, fmt: Callable[[float], str]) -> Cells:
    return _cells((b.points, span(b.min, b.max, fmt)) for b in criterion.bands)


def _mapped_cells(criterion: ValueMapCriterion) -> Cells:
    return _cells((points, value) for value, points in criterion.values.items())


def _rubric_table(rows: list[tuple[str, Cells, str]]) -> Table:
    """Criteria x points, highest points first, as the methodology lays its rubrics out."""
    columns = sorted({p for _, cells, _ in rows for p in cells}, reverse=True)
    return Table(
        ["Criterion", *(_points(p) for p in columns), "Unknown / missing"],
        [
            [name, *("; ".join(cells.get(p, ["-"])) for p in columns), unknown]
            for name, cells, unknown in rows
        ],
    )


def _unknown(points: int | None) -> str:
    return "-" if points is None else _points(points)


def _named_band_table(title: str, bands: Sequence[NamedBand], fmt) -> Table:
    return Table(["Band", title], [[b.name, span(b.min, b.max, fmt)] for b in bands])


def _bands3_row(name: str, bands: Bands3, fmt: Callable[[float], str] = pct) -> list[str]:
    return [name, fmt(bands.minimum_viable), fmt(bands.target), fmt(bands.ideal)]


# --- the documents -----------------------------------------------------------------


def segment_definitions(fw: Framework) -> Document:
    blocks: list[Block] = [
        Para(
            "Every account gets exactly one segment, and every segment maps to a distinct "
            "operational action: the service model that says what the CS team does "
            "differently for it. Segments come from the composite score: "
            f"{_formula(fw)}, each dimension scored 1-5."
        ),
        Table(
            SEGMENT_COLUMNS,
            [
                [t.name, t.label, rng, *_service_model_row(fw, t.service_model)]
                for t, rng in _tier_ranges(fw)
            ],
        ),
    ]
    for tier, rng in _tier_ranges(fw):
        model = fw.service_models.get(tier.service_model)
        label = model.label if model else tier.service_model
        blocks.append(Heading(f"{tier.name}: {tier.label} ({label})"))
        blocks.append(Para(f"Accounts with a composite score of {rng}."))
        if model:
            blocks.append(Bullets([f"What we do: {action}" for action in model.actions]))
    a = fw.assignment
    blocks += [
        *_md(f"""
## Statuses and flags
- segmented: scored and assigned by the rules above.
- provisional: the account is younger than {num(a.provisional_days)} days; it is scored on \
firmographic and value only and re-scored when it ages out.
- overridden: a person owns the segment (manual override in the CRM); the pipeline keeps it and \
records what it would have computed.
- {UNSEGMENTED}: a required field ({_joined(a.required_fields)}) is missing; the reason says \
which (for example missing_arr).
- at risk: {_at_risk_rule(fw)}, whatever the segment.
- industry unknown: routed to the {a.unknown_industry_tier} playbook.

## Service models
"""),
        Table(
            ["Key", "Service model", "CSM ratio", "QBR cadence", "Onboarding", "Actions"],
            [
                [key, *_service_model_row(fw, key), "; ".join(m.actions)]
                for key, m in fw.service_models.items()
            ],
        ),
    ]
    return Document("segment-definitions", "Segment definitions", blocks)


def _firmographic_blocks(fw: Framework) -> list[Block]:
    f = fw.firmographic
    fit = f.industry_fit
    industry_cells = _cells(
        (fit.points.get(level, 0), f"{level}: {_joined(fit.levels.get(level, []))}")
        for level in fit.points
    )
    g = f.geography
    markets = {
        "primary": f"primary countries: {_joined(g.primary_countries)}",
        "secondary": f"secondary countries: {_joined(g.secondary_countries)}",
        "supported": f"supported regions: {_joined(g.supported_regions)}",
        "limited": f"limited regions: {_joined(g.limited_regions)}",
        "unsupported": "unsupported: any other country",
    }
    geo_cells = _cells((p, markets.get(level, level)) for level, p in g.points.items())
    proxy = ", ".join(
        f"{name} {_points(p)}" for name, p in f.company_size.arr_tier_proxy_points.items()
    )
    return [
        Heading("Firmographic rubric (who they are)", 3),
        _rubric_table(
            [
                (
                    "Company size (employees)",
                    _banded_cells(f.company_size, num),
                    f"ARR tier as proxy: {proxy}",
                ),
                ("Industry fit", industry_cells, _points(fit.unknown_points)),
                ("Geography", geo_cells, _points(g.unknown_points)),
                (
                    "Growth stage",
                    _mapped_cells(f.growth_stage),
                    _points(f.growth_stage.unknown_points),
                ),
            ]
        ),
        *_md(f"""
Firmographic rubric tiers (points summed over the criteria): Tier 1 at \
{num(f.rubric_tiers.tier_1_min_points)} points or more, Tier 2 at \
{num(f.rubric_tiers.tier_2_min_points)} points or more, Tier 3 below.
"""),
    ]


def _behavioral_blocks(fw: Framework) -> list[Block]:
    b = fw.behavioral
    criteria = [
        ("Usage frequency (active / licensed users)", b.usage_frequency, pct),
        ("Feature adoption (adopted / available features)", b.feature_adoption, pct),
        ("Open support tickets", b.support_tickets, num),
        ("NPS", b.nps, num),
        ("Engagement (onboarding completion as proxy)", b.engagement, pct),
    ]
    return [
        Heading("Behavioral rubric (how they engage)", 3),
        _rubric_table(
            [(name, _banded_cells(c, fmt), _unknown(c.unknown_points)) for name, c, fmt in criteria]
        ),
        *_md(f"""
- No usage data at all: behavioral score = {score(b.fallbacks.missing_usage_score)} (the median).
- NPS is skipped for accounts younger than {num(b.fallbacks.nps_min_tenure_days)} days.
"""),
    ]


def _value_blocks(fw: Framework) -> list[Block]:
    v = fw.value
    return [
        Heading("Value rubric (what they are worth)", 3),
        _rubric_table(
            [
                (
                    "Current ARR",
                    _banded_cells(v.current_arr, money),
                    _unknown(v.current_arr.unknown_points),
                ),
                (
                    "Expansion potential ((ARR + open pipeline) / ARR)",
                    _banded_cells(v.expansion_potential, ratio),
                    _unknown(v.expansion_potential.unknown_points),
                ),
                (
                    "Contract length",
                    _mapped_cells(v.contract_length),
                    _points(v.contract_length.unknown_points),
                ),
                (
                    "Strategic importance",
                    _mapped_cells(v.strategic_importance),
                    _points(v.strategic_importance.unknown_points),
                ),
            ]
        ),
        *_md(f"""
Value rubric tiers: Tier 1 at {num(v.rubric_tiers.tier_1_min_points)} points or more, Tier 2 at \
{num(v.rubric_tiers.tier_2_min_points)} points or more, Tier 3 below.
"""),
    ]


def _edge_case_blocks(fw: Framework) -> list[Block]:
    a, b, f = fw.assignment, fw.behavioral, fw.firmographic
    return _md(f"""
## Edge-case rules
- New account (younger than {num(a.provisional_days)} days): provisional segment from \
firmographic and value only, their weights rescaled to sum to 1; re-scored with behavior once \
it ages out.
- No usage data: behavioral score {score(b.fallbacks.missing_usage_score)}; NPS ignored under \
{num(b.fallbacks.nps_min_tenure_days)} days of tenure; onboarding completion stands in for \
engagement.
- Industry missing or unknown: scored {_points(f.industry_fit.unknown_points)} for industry fit \
and routed to the {a.unknown_industry_tier} playbook.
- Employee count missing: the ARR tier is the size proxy (see the firmographic rubric).
- Required field missing ({_joined(a.required_fields)}): {UNSEGMENTED}, with a machine-readable \
reason, queued for research or enrichment.
- Company data lookup failed (a vendor outage) or not sent (the credit budget): the gaps are \
not the vendor's answer, so the account keeps its current tier with no move reviewed, or, \
with no tier yet, is {UNSEGMENTED} as `{ENRICHMENT_PENDING}:failed` (or `:budget`) until a \
night's lookup answers.
- At risk: {_at_risk_rule(fw)}; flagged whatever the tier.
- Boundary crossing: a computed tier that differs from the CRM tier goes to the \
segment_transitions review queue instead of reassigning the CSM at once.
- Manual override (acquisitions, a CSM who knows better): the pipeline never changes an \
overridden account and reports where its computed tier disagrees.
""")


def _governance_blocks(fw: Framework) -> list[Block]:
    g = fw.governance
    o = g.operationalized_segments
    return [
        Heading("Governance thresholds"),
        Table(
            ["Metric", "Minimum viable", "Target", "Ideal"],
            [
                _bands3_row(
                    f"Key-field completeness ({_joined(g.key_fields)})", g.key_field_completeness
                ),
                _bands3_row("Enrichment coverage", g.enrichment_coverage),
                _bands3_row("Duplicate rate (lower is better)", g.duplicate_rate),
            ],
        ),
        Table(
            ["Check", "Good", "Warning", "Red flag"],
            [
                [
                    "Segment coverage",
                    f"{pct(g.segment_coverage.good)} or more",
                    f"{pct(g.segment_coverage.warning)} to under {pct(g.segment_coverage.good)}",
                    f"below {pct(g.segment_coverage.warning)}",
                ],
                [
                    "Operationalized segments",
                    f"{num(o.good_min)} to {num(o.good_max)}; {num(o.low_benchmark)} and up "
                    "is the methodology's low benchmark, not a warning",
                    f"more than {num(o.good_max)}, up to {num(o.warning_max)}"
                    + (
                        f", or more than {num(o.red_at_most)} but fewer than {num(o.low_benchmark)}"
                        if o.red_at_most + 1 < o.low_benchmark
                        else ""
                    ),
                    f"more than {num(o.warning_max)}, or {num(o.red_at_most)} or fewer",
                ],
                [
                    "Records folded into other accounts by dedup (blocking)",
                    f"at most {pct(g.max_folded_share)}",
                    "-",
                    f"above {pct(g.max_folded_share)}",
                ],
                [
                    "Concentration (largest segment / all accounts)",
                    f"at most {pct(g.concentration_max)}",
                    "-",
                    f"above {pct(g.concentration_max)}",
                ],
                [
                    "Accounts per segment",
                    f"{num(g.min_accounts_per_segment)} or more",
                    "-",
                    f"fewer than {num(g.min_accounts_per_segment)}",
                ],
            ],
        ),
        Table(
            ["Tier", "Expected share of accounts"],
            [[t, f"{pct(s.min)} to {pct(s.max)}"] for t, s in g.tier_distribution.items()],
        ),
    ]


def _monitoring_blocks(fw: Framework) -> list[Block]:
    m = fw.monitoring
    edges = _joined([num(e) for e in m.drift.composite_bin_edges])
    return [
        *_md(f"""
## Monitoring and alerts
- Drift: population stability index of the tier distribution and of the composite-score \
distribution against the previous month; warning above {num(m.drift.psi_warn)}, alert above \
{num(m.drift.psi_alert)}. The composite histogram is cut at {edges}.
- Coverage drop: an alert when segment coverage or a key field's completeness falls by more \
than {num(m.coverage_drop_points)} percentage points between two runs.
- Owner digests: each owner hears once per event of tier changes, pending reviews, provisional \
exits, new at-risk accounts and renewals due within {num(m.notifications.renewal_window_days)} \
days; RevOps is alerted once when an account of at least \
{money(m.notifications.at_risk_arr_floor)} ARR becomes at risk.
"""),
        Table(
            ["Schedule", f"Cron ({fw.timezone})"],
            [
                ["Nightly re-evaluation", m.schedules.nightly],
                ["Monthly data-quality audit", m.schedules.monthly_audit],
                ["Quarterly segment review", m.schedules.quarterly_review],
            ],
        ),
    ]


def _inputs_blocks(fw: Framework) -> list[Block]:
    i = fw.inputs
    usage = (
        "A product usage feed is expected: a missing, empty or header-only one fails the run, "
        f"and so does one of which fewer than {pct(i.usage_min_matched_share)} of the rows "
        "name an account of the accounts export (ids of another form match nothing)."
        if i.usage_feed
        else "There is no product usage feed: behavioral scores take their unknown points."
    )
    return _md(f"""
## Inputs
- {usage}
- A CRM record whose CreatedDate or SystemModstamp lies more than \
{num(i.future_tolerance_minutes)} minutes in the future is rejected (rejected_records) and never \
advances the high-water mark.
""")


def _crm_sync_blocks(fw: Framework) -> list[Block]:
    c = fw.crm_sync
    duplicates = (
        "and its survivor's segment fields"
        if c.duplicates == "survivor_segment"
        else "and no segment fields"
    )
    return [
        *_md(f"""
## Write-back to the CRM
A folded duplicate gets {c.duplicate_of_field} (its survivor's Id) {duplicates} (policy \
{c.duplicates}). Enriched values are written back where a provider's confidence reaches the \
field's minimum:
"""),
        Table(
            ["Column", "CRM field", "Policy", "Minimum confidence"],
            [[f.column, f.crm_field, f.policy, num(f.min_confidence)] for f in c.enriched_fields]
            or [["(none)", "", "", ""]],
        ),
    ]


def _limits(limit) -> str:
    windows = (("per_second", "s"), ("per_minute", "min"), ("per_hour", "h"), ("per_day", "day"))
    parts = [f"{num(getattr(limit, n))}/{unit}" for n, unit in windows if getattr(limit, n)]
    return ", ".join(parts) or "none"


def _enrichment_blocks(fw: Framework) -> list[Block]:
    e = fw.enrichment

    def cap(value: float | None) -> str:
        return "no cap" if value is None else num(value)

    providers = [
        [
            name,
            p.kind,
            "yes" if p.enabled else "no",
            num(p.batch_size),
            num(p.concurrency),
            num(p.timeout_seconds),
            _limits(p.rate_limit),
            pct(p.rate_limit.headroom),
            num(p.rate_limit.burst),
            f"{num(p.cost_per_match)} / {num(p.cost_per_miss)}",
            "likelihood / 10" if p.confidence is None else pct(p.confidence),
            p.base_url or p.path or "default",
        ]
        for name, p in e.providers.items()
    ]
    overwrite = "; ".join(f"{p}: {_joined(f)}" for p, f in e.conflicts.overwrite.items())
    mapping = _joined([f"{k} -> {v}" for k, v in e.industry_map.items()])
    r, b = e.retry, e.circuit_breaker
    return [
        Heading("Firmographic enrichment"),
        Para(
            f"An account is looked up when one of {_joined(e.key_fields)} is empty, when its "
            f"{e.verified_at_column} is older than {num(e.stale_after_days)} days, or when "
            f"{e.revalidate_column} is true. Answers are reused for {num(e.cache.hit_days)} "
            f'days, a "no match" for {num(e.cache.miss_days)} days.'
        ),
        Table(
            ["Field group", "Fields", "Providers, in order", "Minimum confidence"],
            [
                [name, _joined(g.fields), _joined(g.providers), pct(g.min_confidence)]
                for name, g in e.field_groups.items()
            ],
        ),
        Table(
            PROVIDER_COLUMNS,
            providers,
        ),
        *_md(f"""
- Budget: {cap(e.budget.credits_per_run)} credits per run, {cap(e.budget.credits_per_month)} \
per month.
- The CRM's own values win; a vendor value that differs is recorded for review (numbers differ \
beyond {pct(e.conflicts.numeric_tolerance)}). Overwrites allowed: {overwrite or "(none)"}.
- Retries: at most {num(r.max_attempts)} attempts, backoff from {num(r.base_delay_seconds)} s up \
to {num(r.max_delay_seconds)} s with {pct(r.jitter)} jitter; a provider failing \
{num(b.failure_threshold)} times in a row waits {num(b.reset_after_seconds)} s, then one probe \
is sent; after {num(b.max_failed_probes)} failed probes it is parked for the run and its \
remaining lookups are retried on the next run.
- Extra industry mapping: {mapping}
"""),
    ]


# Settings the curated documents describe; anything else in the framework lands in
# "Other settings" with its dotted path. None = the whole section.
def _fields(names: str) -> frozenset[str]:
    return frozenset(names.split())


CURATED: dict[str, frozenset[str] | None] = {
    **dict.fromkeys(["version", "timezone", "tiers", "arr_tiers", "company_size_bands"]),
    **dict.fromkeys(["service_models", "monitoring", "inputs", "crm_sync", "enrichment"]),
    **dict.fromkeys(["standardization", "dedup"]),
    "scoring": _fields("weights score_decimals"),
    "firmographic": _fields("rubric_tiers company_size industry_fit geography growth_stage"),
    "behavioral": _fields(
        "usage_frequency feature_adoption support_tickets nps engagement fallbacks"
    ),
    "value": _fields(
        "rubric_tiers current_arr expansion_potential contract_length strategic_importance"
    ),
    "assignment": _fields(
        "at_risk unknown_industry_tier provisional_days required_fields tier_basis "
        "transitions value_inputs multi_product enrichment_conflicts history"
    ),
    "governance": _fields(
        "key_fields key_field_completeness segment_coverage enrichment_coverage "
        "duplicate_rate max_folded_share concentration_max min_accounts_per_segment "
        "tier_distribution "
        "operationalized_segments"
    ),
    "reporting": _fields(
        "breakdowns migration_lookback_months dashboard_months data_sources review_cadence "
        "outliers sub_segments dashboard_copies explanation_criteria "
        "explanation_neutral_points renewal_window_days csm_page_rows"
    ),
}


def settings(node: object, path: str = "") -> Iterator[tuple[str, object]]:
    """Every leaf setting as (dotted path, value)."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from settings(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from settings(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from settings(value, f"{path}.{i}")
    else:
        yield path, node


def uncurated_settings(fw: Framework) -> list[tuple[str, object]]:
    out = []
    for path, value in settings(fw):
        section, _, rest = path.partition(".")
        fields = CURATED.get(section, frozenset())
        if fields is None or (rest and rest.split(".")[0] in fields):
            continue
        out.append((path, value))
    return out


def business_rules(fw: Framework) -> Document:
    w, r = fw.scoring.weights, fw.reporting
    blocks: list[Block] = [
        *_md(f"""
## Composite score
{_formula(fw)}. Each dimension score (1-5) is the mean of its criteria's points; scores are \
rounded to {num(fw.scoring.score_decimals)} decimals.
"""),
        Table(
            ["Dimension", "Weight"],
            [
                ["Firmographic", num(w.firmographic)],
                ["Behavioral", num(w.behavioral)],
                ["Value", num(w.value)],
            ],
        ),
        Heading("Tier thresholds"),
        Table(
            ["Segment", "Label", "Minimum composite", "Composite range", "Service model"],
            [
                [t.name, t.label, score(t.min_score), rng, t.service_model]
                for t, rng in _tier_ranges(fw)
            ],
        ),
        Heading("Rubrics"),
        Para("Bands include their lower bound and exclude their upper bound."),
        *_firmographic_blocks(fw),
        *_behavioral_blocks(fw),
        *_value_blocks(fw),
        Heading("Size and ARR bands"),
        _named_band_table("ARR", fw.arr_tiers, money),
        _named_band_table("Employees", fw.company_size_bands, num),
        *_edge_case_blocks(fw),
        *_governance_blocks(fw),
        *_monitoring_blocks(fw),
        *_inputs_blocks(fw),
        *_crm_sync_blocks(fw),
        *_md(f"""
## Reports
- By-segment reports are also broken down by: {_joined(r.breakdowns)}.
- The migration matrix compares a month with the month {num(r.migration_lookback_months)} \
month(s) before it.
- The executive dashboard shows up to the last {num(r.dashboard_months)} stored months.
- An explanation names at most {num(r.explanation_criteria)} criteria: those that moved the \
composite furthest from an account with {num(r.explanation_neutral_points)} points on every \
criterion.
- CSM views mark renewals due within {num(r.renewal_window_days)} days and show \
{num(r.csm_page_rows)} accounts a page.
"""),
        *_operations_rules(fw),
    ]
    other = uncurated_settings(fw)
    if other:
        blocks += [
            Heading("Other settings"),
            Table(["Setting", "Value"], [[path, str(value)] for path, value in other]),
        ]
    return Document("business-rules", "Business rules", blocks)


def _policy(policy) -> str:
    if policy.policy == "immediate":
        return "immediate (applied at once)"
    grace = "" if policy.grace_days is None else f", or after {num(policy.grace_days)} days"
    return f"{policy.policy} (held until CS Ops approves{grace})"


def _operations_rules(fw: Framework) -> list[Block]:
    """Segment operations (transitions, value inputs, products, conflicts, history)."""
    a = fw.assignment
    v, m, moves = a.value_inputs, a.multi_product, a.transitions
    tags = ", ".join(f"{t.tag} >= {num(t.min_score)}" for t in m.adoption_tags)
    flags = ", ".join(f"{k} = {val}" for k, val in v.strategic_flag_values.items())
    closed = "yes" if a.history.close_absent_accounts else "no"
    return _md(f"""
## Segment operations
- The tier is decided by: {a.tier_basis.replace("_", " ")}.
- Upgrades are {_policy(moves.upgrade)}; downgrades are {_policy(moves.downgrade)}. A provisional \
account that ages out is reassigned: {moves.provisional_exit}.
- Contract past due: end date more than {num(v.contract_past_due_after_days)} days ago (when the \
term is blank). Strategic flags read as: {flags}. Expansion pipeline counts open opportunities \
of type {_joined(v.expansion_opportunity_types)}.
- Multi-product: value is scored on {m.relationship_value.replace("_", " ")}; product tags: \
{tags}; a secondary product under ${num(m.pilot_max_arr)} ARR is tagged '{m.pilot_tag}'.
- Enrichment conflicts reviewed for: {_joined(a.enrichment_conflicts.review_fields)}; never \
applied to an overridden account.
- Segment history opens a new version when any of these change: \
{_joined(a.history.tracked_columns)}; accounts absent from the snapshot are closed: {closed}.
""")


def _explanation_example(fw: Framework) -> str:
    """The methodology's worked example (F 4, B 2, V 5) scored with this framework's weights."""
    w = fw.scoring.weights
    composite = round(4 * w.firmographic + 2 * w.behavioral + 5 * w.value, 2)
    tier = next((t.name for t in fw.tiers if composite >= t.min_score), fw.tiers[-1].name)
    return (
        f"Each account carries a sentence such as '{tier} (composite {composite:.2f}) because "
        "ARR of $150K, expansion potential of 2.3x and a Multi-year contract score high; at "
        "risk: high value, low engagement': the criteria that moved the score most, those "
        "that raised it before those that lowered it ('offset by'). The detail behind it "
        f"lists the rule ({num(w.firmographic)}xF + {num(w.behavioral)}xB + "
        f"{num(w.value)}xV) and every criterion with its points; F, B and V are the "
        "firmographic, behavioral and value scores (1-5)."
    )


def csm_quick_reference(fw: Framework) -> Document:
    a = fw.assignment
    rows = []
    for tier, rng in _tier_ranges(fw):
        model = fw.service_models.get(tier.service_model)
        rows.append(
            [
                f"{tier.name} ({tier.label})",
                rng,
                model.label if model else tier.service_model,
                model.qbr_cadence if model else "-",
                "; ".join(model.actions) if model else "-",
            ]
        )
    blocks = [
        Heading("Your segments"),
        Table(["Segment", "Composite", "Service model", "QBR", "What you do"], rows),
        *_md(f"""
## Flags on your accounts
- AT RISK: {_at_risk_rule(fw)}. Act on it whatever the segment.
- Provisional: younger than {num(a.provisional_days)} days; the segment may change once usage \
data arrives.
- Overridden: a person set this segment; the pipeline will not change it.
- {UNSEGMENTED}: fix the missing field ({_joined(a.required_fields)}) in the CRM; the next \
nightly run segments the account. With the reason `{ENRICHMENT_PENDING}`, its company data \
lookup failed or waits for credits: nothing to do, every night retries it.
- Pending transition: the computed tier differs from the current one; CS Ops reviews it before \
the account moves.

## Reading the explanation
{_explanation_example(fw)}

## When a segment changes
- Nothing moves overnight: the change waits in the review queue.
- Once approved: joint coverage by the old and new CSM, an updated success plan, and a note to \
the customer.
"""),
    ]
    return Document("csm-quick-reference", "CSM quick reference", blocks)


def faq(fw: Framework) -> Document:
    a, b, f = fw.assignment, fw.behavioral, fw.firmographic
    ranges = "; ".join(f"{t.name} covers {rng}" for t, rng in _tier_ranges(fw))
    owners = "; ".join(
        f"{r.component}: {r.cadence}, {r.owner}" for r in fw.reporting.review_cadence
    )
    blocks = _md(f"""
### Why is my account in this segment?
Its composite score: {_formula(fw)}. {ranges}. The account's explanation field shows its own \
scores.

### Why is my account {UNSEGMENTED}?
A required field is missing: {_joined(a.required_fields)}. The reason (missing_<field> or \
invalid_<field>) names it. Fix it in the CRM; the next nightly run assigns a segment.

### What does provisional mean?
The account is younger than {num(a.provisional_days)} days, so it has no meaningful usage yet. \
It is scored on firmographic and value only and re-scored automatically when it ages out.

### What does at risk mean?
High value but low engagement: {_at_risk_rule(fw)}. It is flagged in every segment and should \
trigger an intervention.

### The industry is blank or Unknown. What happens?
Enrichment tries to fill it first. If it stays unknown the account scores \
{_points(f.industry_fit.unknown_points)} for industry fit and follows the \
{a.unknown_industry_tier} playbook.

### There is no usage data for my account. How is it scored?
The behavioral score is the median, {score(b.fallbacks.missing_usage_score)}; NPS counts only \
after {num(b.fallbacks.nps_min_tenure_days)} days of tenure.

### My customer grew past a tier boundary. When does the segment change?
The pipeline flags the change in the segment_transitions review queue; CS Ops plans the \
transition and the CRM segment changes once it is approved.

### Can I override a segment?
Yes: set the manual override flag on the account (for example after an acquisition). The \
pipeline keeps your segment and reports what it would compute.

### How often are segments recalculated?
Every night for the current month; each finished month keeps its last snapshot. See the data \
sources for each input's refresh.

### How are churn and retention measured?
Per segment and month: the cohort is the accounts active in the segment in the previous month; \
an account churns if it disappears, is flagged churned, or its contract ends that month. Logo \
retention = retained / cohort; GRR = sum of min(new ARR, old ARR) / old ARR; NRR = new ARR / \
old ARR of the cohort.

### Who owns the segment definitions?
{owners}.
""")
    return Document("faq", "Frequently asked questions", blocks)


def _data_preparation_blocks(fw: Framework) -> list[Block]:
    """Standardization tables and duplicate matching (docs/data-preparation.md): the
    threshold in words, then every setting of both sections."""
    d = fw.dedup
    rows = [
        [path, str(value)]
        for section in ("standardization", "dedup")
        for path, value in settings(getattr(fw, section), section)
    ]
    return [
        Heading("Data preparation"),
        Para(
            (
                "Two accounts are duplicates when their match probability is at least "
                f"{num(d.fellegi_sunter.merge_probability)}; pairs from "
                f"{num(d.fellegi_sunter.review_probability)} up go to the duplicate_review "
                "table. The probability comes from Fellegi-Sunter weights learned on each "
                "run's own accounts (EM over name, domain, phone, city, country and industry "
                "levels, weaker for common names and cities)."
                if d.engine == "fellegi_sunter"
                else f"Two accounts are duplicates at {num(d.match_threshold)} points or more: "
                "points for name similarity and for each identifier both hold (domain, phone, "
                "country, city, industry), points off for each they hold differently."
            )
            + f" A cluster never holds two values of {_joined(d.exclusive_fields)}; its "
            f"survivor is chosen by {_joined(d.survivorship)}."
        ),
        Table(["Setting", "Value"], rows),
    ]


def _report_blocks(fw: Framework) -> list[Block]:
    """The playbook's reports whose limits live in `reporting`: outliers, sub-segments,
    CSM capacity and the dashboard's dated copies."""
    r = fw.reporting
    rules = [
        [segment, f"ARR {money(limit)} or more"]
        for segment, limit in r.outliers.arr_at_least.items()
    ] + [[segment, f"ARR under {money(limit)}"] for segment, limit in r.outliers.arr_below.items()]
    return [
        *_md(f"""
## Reports
Outliers (report_outliers) are accounts far from their segment's band: ARR past a segment's \
limit below, or a composite score more than {num(r.outliers.score_margin)} points outside the \
segment's score range.
"""),
        Table(["Segment", "Outlier when"], rules),
        *_md("""
CSM capacity (report_csm_capacity) compares each owner's accounts with the service models' \
accounts-per-CSM ratios: over one full book (accounts / ratio max) is overloaded, under one \
minimum book (accounts / ratio min) is underloaded.
"""),
        Table(
            ["Sub-segment", "Segment", "ARR from"],
            [[s.name, s.segment, money(s.min_arr)] for s in r.sub_segments],
        ),
        *_md(f"""
The current executive dashboard is reports/dashboard.html; one dated copy per month is kept in \
reports/dashboard/ for {num(r.dashboard_copies.keep_months)} months.
"""),
    ]


def data_sources(fw: Framework) -> Document:
    r = fw.reporting
    return Document(
        "data-sources",
        "Data sources and refresh",
        [
            Table(
                ["Source", "System", "Provides", "Refresh"],
                [[s.name, s.system, s.provides, s.refresh] for s in r.data_sources],
            ),
            Para(f"Schedules and month boundaries use the {fw.timezone} time zone."),
            Heading("Review cadence"),
            Table(
                ["Governance component", "Cadence", "Owner"],
                [[c.component, c.cadence, c.owner] for c in r.review_cadence],
            ),
            *_report_blocks(fw),
            *_enrichment_blocks(fw),
            *_data_preparation_blocks(fw),
        ],
    )


def framework_documents(fw: Framework) -> list[Document]:
    docs = [
        segment_definitions(fw),
        business_rules(fw),
        csm_quick_reference(fw),
        faq(fw),
        data_sources(fw),
    ]
    index = Document(
        "index",
        f"Segmentation framework {fw.version}",
        [Links([(d.title, d.slug) for d in docs])],
    )
    return [index, *docs]


def render_documents(fw: Framework) -> dict[str, str]:
    """File name -> content: '<slug>.md' and '<slug>.html' for every document."""
    docs = framework_documents(fw)
    files = {}
    for doc in docs:
        files[f"{doc.slug}.md"] = to_markdown(doc, fw.version)
        files[f"{doc.slug}.html"] = to_html(doc, fw.version, nav=docs)
    return files
