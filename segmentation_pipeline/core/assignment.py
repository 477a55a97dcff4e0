"""Segment assignment: turn scores into a tier, a service model and a reason.

Every account leaves with exactly one status: `segmented`, `provisional` (young
account scored without behavior), `overridden` (a human owns its segment; the pipeline
keeps the CRM's tier and records what it computed) or `unsegmented` (a required field
is missing; `unsegmented_reason` says which, machine-readably).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation_pipeline.core.schema import UNKNOWN_INDUSTRY, UNSEGMENTED
from segmentation_pipeline.framework.models import Framework

ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "name",
    "owner_id",
    "arr",
    "arr_tier",
    "industry",
    "country_code",
    "region",
    "company_size_band",
    "firmographic_score",
    "behavioral_score",
    "value_score",
    "composite_score",
    "computed_segment",
    "segment",
    "tier_label",
    "service_model",
    "service_model_label",
    "status",
    "provisional",
    "at_risk",
    "unsegmented_reason",
    "industry_unknown",
    "explanation",
    "framework_version",
    "crm_tier",
    "segment_override",
    "duplicate_count",
)


def unsegmented_reasons(accounts: pd.DataFrame, framework: Framework) -> pd.Series:
    """'missing_<field>' or 'invalid_<field>:<why>' for the first required field that fails."""
    reasons = pd.Series([None] * len(accounts), index=accounts.index, dtype=object)
    for field in framework.assignment.required_fields:
        if field == "industry":
            bad = accounts["industry"].isna() | accounts["industry"].eq(UNKNOWN_INDUSTRY)
            why = pd.Series("missing_industry", index=accounts.index)
        else:
            bad = accounts[field].isna()
            detail = accounts.get(f"{field}_reason")
            why = pd.Series(f"missing_{field}", index=accounts.index)
            if detail is not None:
                invalid = detail.notna() & detail.ne("missing")
                why = why.mask(invalid, f"invalid_{field}:" + detail.astype("string"))
        reasons = reasons.where(reasons.notna() | ~bad, why)
    return reasons


def _money(value: float) -> str:
    if pd.isna(value):
        return "n/a"
    return f"${value / 1000:,.0f}K" if value >= 1000 else f"${value:,.0f}"


def _fmt(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{round(float(value), 4):g}"


def explain(row: pd.Series, framework: Framework) -> str:
    """A CSM-readable line: the decision, the rule, and the scores with their key inputs."""
    w = framework.scoring.weights
    if row["status"] == "unsegmented":
        return f"{UNSEGMENTED}: {row['unsegmented_reason']}"
    scores = (
        f"value {_fmt(row['value_score'])} (ARR {_money(row['arr'])}"
        f"{', ' + row['contract_term'] if isinstance(row.get('contract_term'), str) else ''}), "
        f"behavioral {_fmt(row['behavioral_score'])}"
        f"{' (no usage data: median)' if row.get('behavioral_fallback') else ''}, "
        f"firmographic {_fmt(row['firmographic_score'])}"
    )
    if row["provisional"]:
        rule = (
            f"provisional (<{framework.assignment.provisional_days} days): composite "
            f"{_fmt(row['composite_score'])} from firmographic and value only"
        )
    else:
        rule = (
            f"composite {_fmt(row['composite_score'])} = {w.firmographic:g}xF + "
            f"{w.behavioral:g}xB + {w.value:g}xV"
        )
    head = f"{row['computed_segment']}: {rule}"
    if row["industry_unknown"]:
        head += f"; industry unknown -> {framework.assignment.unknown_industry_tier} playbook"
    text = f"{head}; {scores}"
    if row["at_risk"]:
        text += "; AT RISK: high value, low engagement"
    if row["status"] == "overridden":
        text = f"Manual override keeps {row['segment']} (computed {text})"
    return text


def assign_segments(
    accounts: pd.DataFrame, scores: pd.DataFrame, framework: Framework
) -> pd.DataFrame:
    """One assignment row per scored account; accounts and scores share their index."""
    frame = pd.concat([accounts, scores.drop(columns=["account_id"])], axis=1)
    reasons = unsegmented_reasons(frame, framework)
    unsegmented = reasons.notna()

    tiers = framework.tiers
    composite = frame["composite_score"].astype(float)
    computed = pd.Series(
        np.select(
            [composite + 1e-9 >= t.min_score for t in tiers],
            [t.name for t in tiers],
            default=tiers[-1].name,
        ),
        index=frame.index,
    )
    industry_unknown = frame["industry"].isna() | frame["industry"].eq(UNKNOWN_INDUSTRY)
    computed = computed.mask(industry_unknown, framework.assignment.unknown_industry_tier)
    computed = computed.mask(unsegmented, UNSEGMENTED)

    override = frame["segment_override"].fillna(False).astype(bool)
    kept_crm_tier = override & frame["crm_tier"].isin([t.name for t in tiers])
    segment = computed.mask(kept_crm_tier, frame["crm_tier"])

    status = np.select(
        [kept_crm_tier, unsegmented, frame["provisional"]],
        ["overridden", "unsegmented", "provisional"],
        default="segmented",
    )
    model_key = segment.map({t.name: t.service_model for t in tiers})
    risk = framework.assignment.at_risk
    at_risk = (
        ~unsegmented
        & ~frame["provisional"]
        & (frame["value_score"] >= risk.min_value_score)
        & (frame["behavioral_score"] <= risk.max_behavioral_score)
        & frame["behavioral_fallback"].isna()
    )
    frame = frame.assign(
        computed_segment=computed,
        segment=segment,
        tier_label=segment.map({t.name: t.label for t in tiers}),
        service_model=model_key,
        service_model_label=model_key.map(
            {k: m.label for k, m in framework.service_models.items()}
        ),
        status=status,
        provisional=frame["provisional"] & ~unsegmented & ~kept_crm_tier,
        at_risk=at_risk,
        unsegmented_reason=reasons.where(~kept_crm_tier, None),
        industry_unknown=industry_unknown & ~unsegmented,
        segment_override=override,
    )
    if "duplicate_count" not in frame:
        frame["duplicate_count"] = 0
    frame["explanation"] = [explain(row, framework) for _, row in frame.iterrows()]
    return frame.reindex(columns=list(ASSIGNMENT_COLUMNS)).reset_index(drop=True)
