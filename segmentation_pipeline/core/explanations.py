"""One compact, CSM-readable line per account saying why it sits where it sits.

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
from segmentation_pipeline.framework.models import Framework

MISSING = "?"


# --- value formatting ---------------------------------------------------------------


def num(value: object, digits: int = 2) -> str:
    return MISSING if value is None else f"{round(float(value), digits):g}"


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

    def head(status, segment, label, computed, moving, source, target, rule, since, until):
        held = f"{segment} ({label})"
        if status == "unsegmented":
            return None
        if status == "overridden":
            return f"MANUAL OVERRIDE keeps {held}; computed {computed}"
        if moving == "pending":
            return f"{held} kept; move to {target} pending review since {day(since)}"
        if moving == "rejected":
            return f"{held} kept; move to {target} rejected in review"
        if moving == "applied":
            return f"{held} (moved from {source}: {text(rule).replace('_', ' ')})"
        if status == "provisional":
            return f"{held} PROVISIONAL until {day(until)}"
        return held

    dates = {c: _days(frame[c]) for c in ("transition_opened_at", "provisional_until")}
    return distinct_format(
        head,
        frame["status"],
        frame["segment"],
        frame["service_model_label"],
        frame["computed_segment"],
        frame["transition_status"],
        frame["transition_from"],
        frame["transition_to"],
        frame["transition_rule"],
        dates["transition_opened_at"],
        dates["provisional_until"],
    )


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
        return f"composite {num(composite)} = {weights} >= {floors.get(tier, MISSING):g}"

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
        _rounded(frame["composite_score"], 2),
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


def explain(frame: pd.DataFrame, framework: Framework, workers: int | None = None) -> pd.Series:
    """The explanation of every row of an assignment frame (scores and points included),
    in `workers` slices of rows at once (default: one per core)."""
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
