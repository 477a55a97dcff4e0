"""Why each account sits where it sits, twice: a sentence a CSM can repeat to a customer
(`explain`), and the detail behind it with every criterion, its points and the weights
(`explain_detail`):

    Tier 2 (composite 3.55) because ARR of $150K and a Multi-year contract are offset by
    active users at 30%; at risk: high value, low engagement

    Tier 2 (Low-Touch): composite 3.55 = F4x0.25 + B2x0.4 + V5x0.35 >= 2.5 | value 5
    [ARR $150K:5, expansion 2.3x:5, Multi-year:5, Named logo:5] | behavioral 2 [active
    users 30%:2, ...] | firmographic 4 [...] | AT RISK: high value, low engagement

Each piece is an ordinary Python formatter, but it runs once per distinct combination
of its inputs (tens of thousands at most, whatever the number of accounts), never once
per account; Arrow then concatenates the pieces column-wise. The text fits a Salesforce
long text field; `benchmarks/assignment.py` measures the cost at a million accounts.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation_pipeline.core.columns import (
    NULL_TEXT,
    distinct_format,
    join,
    numbers,
    timestamps,
    when,
)
from segmentation_pipeline.core.schema import ENRICHMENT_PENDING
from segmentation_pipeline.framework.models import Framework

MISSING = "?"


# --- value formatting ---------------------------------------------------------------


SCORE_DIGITS = 2


def num(value: object, digits: int = 2) -> str:
    return MISSING if value is None else f"{round(float(value), digits):g}"


def score(value: object) -> str:
    """A score as every page shows it. Callers pass `display_scores` values (already cut
    to SCORE_DIGITS); formatting them to the same digits cannot round again."""
    return MISSING if value is None else f"{float(value):.{SCORE_DIGITS}f}"


def display_scores(values: pd.Series) -> pd.Series:
    """The one way scores are shown, in the explanations, the CSM views, the outliers and
    the CRM's composite field, so none disagrees in the last digit. Cut to SCORE_DIGITS,
    not rounded: tiers are decided on the whole score, and a rounded 3.9975 read "4.00"
    beside Tier 2 when Tier 1 starts at 4.0. (The tolerance absorbs binary noise: 3.13 is
    stored as 3.12999...)"""
    scale = 10**SCORE_DIGITS
    return np.floor(numbers(values) * scale + 1e-7) / scale


def pts(value: object) -> str:
    return MISSING if value is None else f"{float(value):g}"


def money(value: object) -> str:
    if value is None:
        return MISSING
    value = float(value)
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    return f"${value / 1000:,.0f}K" if value >= 1000 else f"${value:,.0f}"


def percent(value: object) -> str:
    return MISSING if value is None else f"{float(value) * 100:.0f}%"


def text(value: object) -> str:
    return MISSING if value is None else str(value)


def day(value: object) -> str:
    return MISSING if value is None else pd.Timestamp(value).strftime("%Y-%m-%d")


def _days(values: pd.Series) -> pd.Series:
    """Timestamps cut to the day, as numpy days (cheap to group)."""
    stamps = timestamps(values).dt.tz_localize(None)
    return pd.Series(stamps.to_numpy("datetime64[D]"))


def _rounded(values: pd.Series, digits: int) -> pd.Series:
    """Fewer distinct values to format: round before formatting."""
    return numbers(values).round(digits)


def _money_key(values: pd.Series) -> pd.Series:
    amounts = numbers(values)
    return amounts.where(amounts < 1000, amounts.round(-3)).where(
        amounts < 1_000_000, amounts.round(-5)
    )


# --- the pieces ----------------------------------------------------------------------


def head_part(frame: pd.DataFrame) -> pa.Array:
    """What the account holds now, and why when that is not simply the computed tier."""

    def head(status, segment, label, computed, moving, source, target, rule, since, until, why):
        held = f"{segment} ({label})"
        if status == "unsegmented":
            return None
        if status == "overridden":
            return f"MANUAL OVERRIDE keeps {held}; computed {computed}"
        if why == ENRICHMENT_PENDING:
            return f"{held} kept while an enrichment lookup is pending; computed {computed}"
        if moving == "pending":
            return f"{held} kept; move to {target} pending review since {day(since)}"
        if moving == "rejected":
            return f"{held} kept; move to {target} rejected in review"
        if moving == "applied":
            return f"{held} (moved from {source}: {text(rule).replace('_', ' ')})"
        if status == "provisional":
            return f"{held} PROVISIONAL until {day(until)}"
        return held

    return distinct_format(
        head,
        frame["status"],
        frame["segment"],
        frame["service_model_label"],
        frame["computed_segment"],
        *_move_columns(frame),
        frame["tier_rule"],
    )


def _move_columns(frame: pd.DataFrame) -> list[pd.Series]:
    """What a held segment's wording reads: the move under review or applied (status,
    from, to, rule, since when) and the end of a provisional period."""
    moves = [frame[f"transition_{c}"] for c in ("status", "from", "to", "rule")]
    return [*moves, _days(frame["transition_opened_at"]), _days(frame["provisional_until"])]


def rule_part(frame: pd.DataFrame, framework: Framework) -> pa.Array:
    """The rule that decided the computed tier, with the numbers it used."""
    w = framework.scoring.weights
    kept = w.firmographic + w.value
    floors = {t.name: t.min_score for t in framework.tiers}
    days = framework.assignment.provisional_days
    basis = framework.assignment.tier_basis
    default_tier = framework.assignment.unknown_industry_tier

    def by_composite(composite, f, b, v, provisional, tier):
        if provisional:
            weights = f"F{num(f)}x{w.firmographic / kept:.2g} + V{num(v)}x{w.value / kept:.2g}"
            weights += f" (<{days}d, no behavior)"
        else:
            weights = (
                f"F{num(f)}x{w.firmographic:g} + B{num(b)}x{w.behavioral:g} + V{num(v)}x{w.value:g}"
            )
        return f"composite {score(composite)} = {weights} >= {floors.get(tier, MISSING):g}"

    def by_rubric(points, tier):
        dimension = basis.removesuffix("_points")
        cut = getattr(framework, dimension).rubric_tiers
        return (
            f"{dimension} rubric {pts(points)} pts (Tier 1 >= {cut.tier_1_min_points}, "
            f"Tier 2 >= {cut.tier_2_min_points})"
        )

    def rule(composite, f, b, v, provisional, tier, unknown, points, computed):
        decided = (
            by_composite(composite, f, b, v, provisional, tier)
            if basis == "composite"
            else by_rubric(points, computed)
        )
        if unknown:
            return f"industry unknown -> {default_tier} playbook ({decided} gives {tier})"
        return decided

    basis_points = frame[basis] if basis != "composite" else pd.Series(np.nan, index=frame.index)
    return distinct_format(
        rule,
        display_scores(frame["composite_score"]),
        frame["firmographic_score"],
        frame["behavioral_score"],
        frame["value_score"],
        frame["provisional"],
        frame["composite_tier"],
        frame["industry_unknown"],
        basis_points,
        frame["computed_segment"],
    )


def value_parts(frame: pd.DataFrame) -> list[pa.Array]:
    def arr(score, value, points, products):
        many = f" ({products:g} products)" if products and products > 1 else ""
        return f"value {num(score)} [ARR {money(value)}:{pts(points)}{many}, "

    def rest(ratio, ratio_pts, term, term_pts, strategic, strategic_pts):
        return (
            f"expansion {text(None if ratio is None else f'{ratio:g}x')}:{pts(ratio_pts)}, "
            f"{text(term)}:{pts(term_pts)}, {text(strategic)}:{pts(strategic_pts)}]"
        )

    return [
        distinct_format(
            arr,
            frame["value_score"],
            _money_key(frame["relationship_value"]),
            frame["val_arr_points"],
            frame["products"],
        ),
        distinct_format(
            rest,
            _rounded(frame["expansion_ratio"], 1),
            frame["val_expansion_points"],
            frame["contract_term_used"],
            frame["val_contract_points"],
            frame["strategic_used"],
            frame["val_strategic_points"],
        ),
    ]


def behavioral_parts(frame: pd.DataFrame, framework: Framework) -> list[pa.Array]:
    fallbacks = framework.behavioral.fallbacks

    def head(score, fallback, provisional):
        if provisional:
            return "behavioral skipped (provisional)"
        if fallback:
            return (
                f"behavioral {num(score)} (no usage data: median {fallbacks.missing_usage_score:g})"
            )
        return f"behavioral {num(score)} ["

    def usage(active, active_pts, features, features_pts):
        return (
            f"active users {percent(active)}:{pts(active_pts)}, "
            f"features {percent(features)}:{pts(features_pts)}, "
        )

    def support(tickets, tickets_pts, nps, nps_pts, skipped, engagement_pts):
        nps_text = (
            f"skipped (<{fallbacks.nps_min_tenure_days}d)"
            if skipped
            else f"{num(nps, 0)}:{pts(nps_pts)}"
        )
        return (
            f"tickets {num(tickets, 0)}:{pts(tickets_pts)}, NPS {nps_text}, "
            f"onboarding:{pts(engagement_pts)}]"
        )

    detailed = (frame["behavioral_fallback"].isna() & ~frame["provisional"].astype(bool)).to_numpy()
    mask = pa.array(detailed)
    return [
        distinct_format(
            head, frame["behavioral_score"], frame["behavioral_fallback"], frame["provisional"]
        ),
        pc.if_else(
            mask,
            distinct_format(
                usage,
                _rounded(frame["active_share"], 2),
                frame["beh_usage_points"],
                _rounded(frame["feature_share"], 2),
                frame["beh_adoption_points"],
            ),
            NULL_TEXT,
        ),
        pc.if_else(
            mask,
            distinct_format(
                support,
                frame["open_tickets"],
                frame["beh_tickets_points"],
                frame["nps"],
                frame["beh_nps_points"],
                frame["nps_skipped_new_account"],
                frame["beh_engagement_points"],
            ),
            NULL_TEXT,
        ),
    ]


def firmographic_parts(frame: pd.DataFrame) -> list[pa.Array]:
    def size(score, employees, points, proxy):
        shown = "size from ARR" if proxy else f"{num(employees, 0)} employees"
        return f"firmographic {num(score)} [{shown}:{pts(points)}, "

    def rest(industry, industry_pts, country, geo_pts, growth, growth_pts):
        return (
            f"{text(industry)}:{pts(industry_pts)}, {text(country)}:{pts(geo_pts)}, "
            f"{text(growth)}:{pts(growth_pts)}]"
        )

    return [
        distinct_format(
            size,
            frame["firmographic_score"],
            _rounded(frame["employees"], 0),
            frame["firm_size_points"],
            frame["firm_size_from_arr_proxy"],
        ),
        distinct_format(
            rest,
            frame["industry"],
            frame["firm_industry_points"],
            frame["country_code"],
            frame["firm_geography_points"],
            frame["growth_stage"],
            frame["firm_growth_points"],
        ),
    ]


def flag_parts(frame: pd.DataFrame) -> list[pa.Array]:
    def prefixed(prefix: str, column: str) -> pa.Array:
        return distinct_format(lambda v: None if v is None else f"{prefix}{v}", frame[column])

    return [
        when(frame["at_risk"], " | AT RISK: high value, low engagement"),
        prefixed(" | products: ", "product_adoption"),
        prefixed(" | REVIEW enrichment conflict: ", "enrichment_conflict"),
    ]


# Below this many rows the explanations are worked out in one go; above it, in one slice
# of rows per core: the work is Arrow kernels that release the GIL, so the slices run
# side by side (2.5 s against 1.6 s on two cores for 940k accounts).
PARALLEL_ROWS = 100_000


def explain_detail(
    frame: pd.DataFrame, framework: Framework, workers: int | None = None
) -> pd.Series:
    """The detailed explanation of every row of an assignment frame (the rule, every
    criterion with its points, the weights), in `workers` slices of rows at once
    (default: one per core)."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(frame) // PARALLEL_ROWS))
    if workers == 1:
        return _explain_rows(frame, framework)
    cuts = [len(frame) * i // workers for i in range(workers + 1)]
    with ThreadPoolExecutor(workers) as pool:
        slices = pool.map(
            lambda bounds: _explain_rows(frame.iloc[bounds[0] : bounds[1]], framework),
            pairwise(cuts),
        )
        return pd.concat(list(slices))


def _explain_rows(frame: pd.DataFrame, framework: Framework) -> pd.Series:
    scored = join(
        head_part(frame),
        ": ",
        rule_part(frame, framework),
        " | ",
        *value_parts(frame),
        " | ",
        *behavioral_parts(frame, framework),
        " | ",
        *firmographic_parts(frame),
        *flag_parts(frame),
    )
    unsegmented = distinct_format(lambda r: f"Unsegmented: {text(r)}", frame["unsegmented_reason"])
    is_unsegmented = pa.array(frame["status"].eq("unsegmented").to_numpy(dtype=bool))
    explanations = pc.if_else(is_unsegmented, unsegmented, scored).to_pandas()
    explanations.index = frame.index  # set, not aligned: the frame's labels are its own
    return explanations


# --- the sentence ----------------------------------------------------------------------

# Each criterion: its points column, its dimension, and how the sentence names it from
# the account's own values (the same formatters as the detail, so the numbers agree).
CRITERIA: tuple[tuple[str, str, tuple[str, ...], object], ...] = (
    (
        "val_arr_points",
        "value",
        ("relationship_value", "products"),
        lambda v, n: f"ARR of {money(v)}" + (f" across {n:g} products" if n and n > 1 else ""),
    ),
    (
        "val_expansion_points",
        "value",
        ("expansion_ratio",),
        lambda r: "expansion potential" if r is None else f"expansion potential of {r:g}x",
    ),
    ("val_contract_points", "value", ("contract_term_used",), lambda t: f"a {text(t)} contract"),
    (
        "val_strategic_points",
        "value",
        ("strategic_used",),
        lambda s: f"strategic importance ({text(s)})",
    ),
    ("beh_usage_points", "behavioral", ("active_share",), lambda a: f"{percent(a)} active users"),
    ("beh_adoption_points", "behavioral", ("feature_share",), lambda f: f"{percent(f)} adoption"),
    (
        "beh_tickets_points",
        "behavioral",
        ("open_tickets",),
        lambda t: f"{num(t, 0)} open ticket" + ("" if t == 1 else "s"),
    ),
    ("beh_nps_points", "behavioral", ("nps",), lambda n: f"NPS of {num(n, 0)}"),
    ("beh_engagement_points", "behavioral", (), lambda: "onboarding engagement"),
    (
        "firm_size_points",
        "firmographic",
        ("employees", "firm_size_from_arr_proxy"),
        lambda e, proxy: "company size" if proxy or e is None else f"{num(e, 0)} employees",
    ),
    ("firm_industry_points", "firmographic", ("industry",), lambda i: f"the {text(i)} industry"),
    ("firm_geography_points", "firmographic", ("country_code",), lambda c: f"market {text(c)}"),
    ("firm_growth_points", "firmographic", ("growth_stage",), lambda g: f"{text(g)} growth stage"),
)
_INPUT_ROUNDING = {"expansion_ratio": 1, "active_share": 2, "feature_share": 2, "employees": 0}


def criterion_pulls(frame: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """How far each criterion moved the composite away from a middling account: (points -
    neutral) x its share of its dimension (the dimension score is the mean of its
    criteria's points) x the dimension's weight. Behavior that was not scored (provisional
    accounts, no usage data) pulls nothing, and the other two weights are renormalised as
    the composite does."""
    w = framework.scoring.weights
    neutral = framework.reporting.explanation_neutral_points
    skipped = (
        frame["provisional"].fillna(False).astype(bool) | frame["behavioral_fallback"].notna()
    ).to_numpy()
    # As the composite: with no firmographic or value weight to renormalise, behavior stands.
    kept = w.firmographic + w.value
    if kept == 0:
        skipped = np.zeros_like(skipped)
        kept = 1.0
    weight = {
        "firmographic": np.where(skipped, w.firmographic / kept, w.firmographic),
        "value": np.where(skipped, w.value / kept, w.value),
        "behavioral": np.where(skipped, 0.0, w.behavioral),
    }
    points = {c: numbers(frame[c]).to_numpy() for c, *_ in CRITERIA}
    counted = {
        d: sum((~np.isnan(points[c])).astype(float) for c, dim, *_ in CRITERIA if dim == d)
        for d in weight
    }
    pulls = {}
    for column, dimension, *_ in CRITERIA:
        share = weight[dimension] / np.maximum(counted[dimension], 1.0)
        pulls[column] = np.nan_to_num((points[column] - neutral) * share)
    return pd.DataFrame(pulls, index=frame.index)


def _criterion_names(frame: pd.DataFrame) -> list[pa.Array]:
    """Per criterion, what the sentence calls it for every row."""
    names = []
    for _, _, inputs, name in CRITERIA:
        values = [
            _rounded(frame[c], _INPUT_ROUNDING[c])
            if c in _INPUT_ROUNDING
            else (_money_key(frame[c]) if c == "relationship_value" else frame[c])
            for c in inputs
        ]
        names.append(
            distinct_format(name, *values)
            if values
            else pa.array([name()] * len(frame), pa.string())
        )
    return names


def _plain_reason(reason: str | None) -> str:
    """A machine reason ('missing_arr', 'invalid_country_code:unknown_code') in words."""
    if reason is None:
        return "a required field is missing"
    if reason == "invalid_override:unknown_tier":
        return "a manual override keeps a CRM tier the framework does not have"
    if reason.startswith("invalid_override"):
        return "a manual override is set without a CRM tier to keep"
    if reason.startswith(ENRICHMENT_PENDING):
        if reason.endswith(":budget"):
            return "its company data lookup waits for enrichment credits; it is retried nightly"
        return "its company data lookup failed; it is retried nightly"
    kind, _, why = reason.partition(":")
    field = kind.split("_", 1)[-1].replace("_", " ")
    if kind.startswith("missing_"):
        return f"{field} is missing in the CRM"
    return f"{field} is not valid" + (f" ({why.replace('_', ' ')})" if why else "")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _because(named: list[tuple[str, float]]) -> str:
    """'because A and B are offset by C' from criteria and their pulls."""
    ups = [n for n, p in named if p > 0]
    downs = [n for n, p in named if p < 0]
    verb = "is" if len(ups) == 1 else "are"
    if ups and downs:
        return f"because {_listed(ups)} {verb} offset by {_listed(downs)}"
    if ups:
        return f"because {_listed(ups)} score{'s' if len(ups) == 1 else ''} high"
    if downs:
        return f"because {_listed(downs)} score{'s' if len(downs) == 1 else ''} low"
    return "with every criterion middling"


def explain(frame: pd.DataFrame, framework: Framework) -> pd.Series:
    """One sentence per account a CSM can repeat to a customer: the segment and composite,
    the criteria that moved the score most (at most `reporting.explanation_criteria`,
    strongest first, those that raised it before those that lowered it), and the at-risk
    flag. Unsegmented accounts get the missing field in words."""
    pulls = criterion_pulls(frame, framework)
    ranked = np.argsort(-np.abs(pulls.to_numpy()), axis=1, kind="stable")
    names = _criterion_names(frame)
    slots = []
    for k in range(min(framework.reporting.explanation_criteria, len(CRITERIA))):
        chosen = ranked[:, k]
        pull = pulls.to_numpy()[np.arange(len(frame)), chosen]
        name = pc.choose(pa.array(chosen), *names).to_pandas()
        slots += [name.set_axis(frame.index), pd.Series(np.sign(pull), index=frame.index)]

    def held(status, segment, computed, by_score, moving, source, target, rule, since, until, *u):
        if u[0] and status != "overridden":
            return f"{segment} playbook as the industry is unknown; the scores give {by_score}"
        if status == "overridden":
            return f"{segment} by manual override; the scores alone give {computed}"
        if u[1] == ENRICHMENT_PENDING:
            return (
                f"{segment}, kept while a company data lookup is retried;"
                f" the scores without it give {computed}"
            )
        if moving == "pending":
            return (
                f"{segment}, moving to {target} pending review since {day(since)};"
                f" the scores give {target}"
            )
        if moving == "applied":
            return f"{segment}, moved from {source}: {text(rule).replace('_', ' ')}"
        if status == "provisional":
            return f"{segment}, provisional until {day(until)}"
        return segment

    # Three pieces formatted apart, each once per distinct combination of its own inputs
    # (as one they were nearly one combination per account), then joined by Arrow.
    scored = join(
        distinct_format(
            held,
            frame["status"],
            frame["segment"],
            frame["computed_segment"],
            frame["composite_tier"],
            *_move_columns(frame),
            frame["industry_unknown"].fillna(False).astype(bool),
            frame["tier_rule"],
        ),
        " (composite ",
        distinct_format(score, display_scores(frame["composite_score"])),
        ") ",
        distinct_format(
            lambda *s: _because([(n, p) for n, p in zip(s[::2], s[1::2], strict=True) if n and p]),
            *slots,
        ),
        when(frame["at_risk"].fillna(False), "; at risk: high value, low engagement"),
    )
    unsegmented = distinct_format(
        lambda r: f"Not segmented because {_plain_reason(r)}", frame["unsegmented_reason"]
    )
    is_unsegmented = pa.array(frame["status"].eq("unsegmented").to_numpy(dtype=bool))
    sentences = pc.if_else(is_unsegmented, unsegmented, scored).to_pandas()
    sentences.index = frame.index
    return sentences
