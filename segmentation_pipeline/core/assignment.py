"""Segment assignment: turn scores into a tier, a service model, a status and a reason.

Every account leaves with exactly one status: `segmented`, `provisional` (young account
scored without behavior), `overridden` (a human owns its segment; the pipeline keeps the
CRM's tier and records what it computed) or `unsegmented` (a required field is missing;
`unsegmented_reason` says which, machine-readably). A segmented account whose computed
tier differs from its current one keeps the current tier until the move is approved
(see `transitions`). An account whose enrichment lookup failed tonight (a vendor outage,
the credit budget) is scored on gaps that are not the vendor's answer: it keeps its
current tier with no move opened, or, with no tier yet, is Unsegmented as
`enrichment_pending:<why>` until a night's lookup answers. Everything works on whole
columns: no per-row Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import INPUT_HASH, Carried, carry_over
from segmentation_pipeline.core.changes import frame_hashes, with_assignment_hashes
from segmentation_pipeline.core.clock import utc_now
from segmentation_pipeline.core.columns import (
    distinct_format,
    is_in,
    lookup,
    member_of,
    timestamps,
)
from segmentation_pipeline.core.conflicts import conflict_rows, hold_conflicts
from segmentation_pipeline.core.enrich.merge import PENDING_COLUMN
from segmentation_pipeline.core.explanations import explain, explain_detail
from segmentation_pipeline.core.schema import ENRICHMENT_PENDING, UNKNOWN_INDUSTRY, UNSEGMENTED
from segmentation_pipeline.core.scoring import BEHAVIORAL_POINTS, FIRMOGRAPHIC_POINTS, VALUE_POINTS
from segmentation_pipeline.core.transitions import GATE_COLUMNS, PriorState, gate_transitions
from segmentation_pipeline.framework.models import Framework

ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "name",
    "owner_id",
    # Read by the CSM views: the renewal list, and the owner's name when the CRM
    # gives it (User.Name, or owners.csv in file mode; else the views show the id).
    "owner_name",
    "contract_end_date",
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
    "explanation_detail",
    "framework_version",
    "crm_tier",
    "segment_override",
    "duplicate_count",
    # Added by the operations rules (issue 6).
    "tier_rule",
    "relationship_value",
    "products",
    "product_adoption",
    "provisional_until",
    *GATE_COLUMNS,
    "override_disagrees",
    "enrichment_conflict",
    "review_flags",
)
# Inputs the explanation reads when present (scoring provides them all).
OPTIONAL_INPUTS: tuple[str, ...] = (
    *FIRMOGRAPHIC_POINTS,
    *BEHAVIORAL_POINTS,
    *VALUE_POINTS,
    "employees",
    "growth_stage",
    "created_date",
    "behavioral_fallback",
    "firm_size_from_arr_proxy",
    "nps_skipped_new_account",
    "active_share",
    "feature_share",
    "open_tickets",
    "nps",
    "relationship_value",
    "expansion_ratio",
    "contract_term_used",
    "strategic_used",
    "products",
    "product_adoption",
    "firmographic_points",
    "value_points",
    "firmographic_rubric_tier",
    "value_rubric_tier",
)
STATUSES = ("segmented", "provisional", "overridden", "unsegmented")
OVERRIDE_WITHOUT_TIER = "invalid_override:no_crm_tier"
OVERRIDE_UNKNOWN_TIER = "invalid_override:unknown_tier"  # a CRM tier the framework lacks


def _industry_unknown(frame: pd.DataFrame) -> pd.Series:
    return frame["industry"].isna() | frame["industry"].eq(UNKNOWN_INDUSTRY)


def unsegmented_reasons(accounts: pd.DataFrame, framework: Framework) -> pd.Series:
    """'missing_<field>' or 'invalid_<field>:<why>' for the first required field that
    fails, then 'invalid_created_date:<why>' (unparseable, out_of_range). The methodology
    has no fallback for an unknown creation date, and an unreadable one would read as an
    established account (never provisional, its NPS counted); a blank one still reads so."""
    reasons = pd.Series(None, index=accounts.index, dtype=object)
    for field in framework.assignment.required_fields:
        why = pd.Series(f"missing_{field}", index=accounts.index, dtype=object)
        if field == "industry":
            bad = _industry_unknown(accounts)
            detail = accounts.get("industry_status")
            if detail is not None:
                why = why.mask(detail.eq("unmatched"), "invalid_industry:unmatched")
        else:
            bad = pd.Series(pd.to_numeric(accounts[field], errors="coerce"), index=accounts.index)
            bad = bad.isna() if field != "country_code" else accounts[field].isna()
            detail = accounts.get(f"{field}_reason")
            if detail is not None:
                invalid = detail.notna() & detail.ne("missing")
                why = why.mask(invalid, f"invalid_{field}:" + detail.astype(str))
        reasons = reasons.where(reasons.notna() | ~bad, why)
    created = accounts.get("created_date_reason")
    if created is not None:
        unreadable = created.notna() & created.ne("missing") & reasons.isna()
        reasons = reasons.mask(unreadable, "invalid_created_date:" + created.astype(str))
    return reasons


def computed_tiers(frame: pd.DataFrame, framework: Framework) -> tuple[pd.Series, pd.Series]:
    """(tier by composite score, tier by the configured basis) per account."""
    tiers = framework.tiers
    names = [t.name for t in tiers]
    composite = frame["composite_score"].astype(float)
    by_composite = pd.Series(
        np.select([composite + 1e-9 >= t.min_score for t in tiers], names, default=names[-1]),
        index=frame.index,
        dtype=object,
    )
    basis = framework.assignment.tier_basis
    if basis == "composite":
        return by_composite, by_composite
    rubric = frame[basis.replace("_points", "_rubric_tier")]
    index = rubric.map({"Tier 1": 0, "Tier 2": 1, "Tier 3": 2}).fillna(2).astype(int)
    by_rubric = pd.Series(
        np.array(names, dtype=object)[np.minimum(index, len(names) - 1)], index=frame.index
    )
    return by_composite, by_rubric


def _previously_provisional(frame: pd.DataFrame, history: pd.DataFrame) -> pd.Series:
    """Accounts whose latest open history row is provisional (a membership test against
    those few ids, not a lookup of every account)."""
    if history.empty or "status" not in history:
        return pd.Series(False, index=frame.index)
    latest = history.drop_duplicates("account_id", keep="last")
    provisional = latest.loc[latest["status"].eq("provisional").to_numpy(dtype=bool), "account_id"]
    found = member_of(frame["account_id"], provisional.reset_index(drop=True))
    return pd.Series(found.to_numpy(dtype=bool), index=frame.index)


def _gate(
    rows: pd.DataFrame, state: PriorState, framework: Framework, as_of: datetime
) -> pd.DataFrame:
    """`gate_transitions` of rows with account_id, crm_tier, computed_segment, status and
    tier_rule. Only segmented accounts cross boundaries; an account held for a pending
    lookup neither crosses nor takes its computed tier as its first one."""
    held = rows["tier_rule"].eq(ENRICHMENT_PENDING)
    return gate_transitions(
        pd.DataFrame(
            {
                "account_id": rows["account_id"],
                "crm_tier": rows["crm_tier"],
                "computed_segment": rows["computed_segment"].mask(held, UNSEGMENTED),
            }
        ),
        eligible=rows["status"].eq("segmented") & ~held,
        previously_provisional=_previously_provisional(rows, state.history),
        state=state,
        framework=framework,
        as_of=as_of,
    )


def _flags(index: pd.Index, **masks: pd.Series) -> pd.Series:
    """Comma-separated names of the masks that hold, None where none does."""
    names = list(masks)

    def flags(*held: bool) -> str | None:
        return ",".join(n for n, h in zip(names, held, strict=True) if h) or None

    text = distinct_format(flags, *(pd.Series(np.asarray(m, dtype=bool)) for m in masks.values()))
    return pd.Series(text.to_pandas(), index=index, dtype=object)


def assign_segments(
    accounts: pd.DataFrame,
    scores: pd.DataFrame,
    framework: Framework,
    state: PriorState | None = None,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """One assignment row per scored account; accounts and scores share their index.

    `state` is what earlier runs left (transition queue, decisions, open history rows);
    without it every account is assigned as on a first run with no queue."""
    state = state or PriorState.empty()
    as_of = as_of or utc_now()
    held = hold_conflicts(accounts, conflict_rows(accounts), framework)
    frame = pd.concat(
        [held.accounts, scores.drop(columns=[c for c in scores if c in accounts])], axis=1
    )
    # Scores computed elsewhere may carry only the dimension scores: explain what there is.
    for column in OPTIONAL_INPUTS:
        if column not in frame:
            frame[column] = np.nan
    names = [t.name for t in framework.tiers]
    override = frame["segment_override"].fillna(False).astype(bool)
    crm_valid = is_in(frame["crm_tier"], names)
    kept = override & crm_valid
    reasons = unsegmented_reasons(frame, framework).where(~kept, None)
    no_tier = frame["crm_tier"].isna()
    reasons = reasons.mask(override & ~crm_valid & no_tier, OVERRIDE_WITHOUT_TIER)
    reasons = reasons.mask(override & ~crm_valid & ~no_tier, OVERRIDE_UNKNOWN_TIER)
    unsegmented = reasons.notna()
    provisional = frame["provisional"].astype(bool) & ~unsegmented & ~kept

    by_composite, by_basis = computed_tiers(frame, framework)
    industry_unknown = _industry_unknown(frame) & ~unsegmented
    computed = by_basis.mask(industry_unknown, framework.assignment.unknown_industry_tier)
    computed = computed.mask(unsegmented, UNSEGMENTED)
    basis = framework.assignment.tier_basis
    tier_rule = pd.Series(np.where(provisional, f"provisional_{basis}", basis), dtype=object)
    tier_rule.index = frame.index
    tier_rule = tier_rule.mask(industry_unknown, "unknown_industry_default")
    tier_rule = tier_rule.mask(kept, "manual_override").mask(unsegmented, "missing_data")
    pending = frame.get(PENDING_COLUMN, pd.Series(None, index=frame.index, dtype=object))
    pending = pending.where(~kept & ~unsegmented)
    tier_rule = tier_rule.mask(pending.notna(), ENRICHMENT_PENDING)

    status = pd.Series(
        np.select(
            [kept, unsegmented, provisional],
            ["overridden", "unsegmented", "provisional"],
            default="segmented",
        ),
        index=frame.index,
    )
    gated = _gate(
        pd.DataFrame(
            {
                "account_id": frame["account_id"],
                "crm_tier": frame["crm_tier"],
                "computed_segment": computed,
                "status": status,
                "tier_rule": tier_rule,
            }
        ),
        state,
        framework,
        as_of,
    )
    # A pending lookup with no tier to hold: Unsegmented until a night's lookup answers.
    waiting = pending.notna() & gated["current_tier"].isna()
    reasons = reasons.mask(waiting, ENRICHMENT_PENDING + ":" + pending.astype(str))
    unsegmented = reasons.notna()
    provisional &= ~waiting
    industry_unknown &= ~waiting
    status = status.mask(waiting, "unsegmented")
    tier_rule = tier_rule.mask(waiting, "missing_data")
    computed = computed.mask(waiting, UNSEGMENTED)
    segment = gated["segment"].where(~kept, frame["crm_tier"]).where(~unsegmented, UNSEGMENTED)
    segment = segment.mask(tier_rule.eq(ENRICHMENT_PENDING), gated["current_tier"])

    model_key = lookup(segment, {t.name: t.service_model for t in framework.tiers})
    risk = framework.assignment.at_risk
    at_risk = (
        ~unsegmented
        & ~provisional
        & (frame["value_score"] >= risk.min_value_score)
        & (frame["behavioral_score"] <= risk.max_behavioral_score)
        & frame["behavioral_fallback"].isna()
    )
    created = timestamps(frame["created_date"])
    until = created + timedelta(days=framework.assignment.provisional_days)
    override_disagrees = kept & computed.ne(segment)
    outputs = dict(
        composite_tier=by_composite,
        computed_segment=computed,
        segment=segment,
        tier_label=lookup(segment, {t.name: t.label for t in framework.tiers}),
        service_model=model_key,
        service_model_label=lookup(
            model_key, {k: m.label for k, m in framework.service_models.items()}
        ),
        status=status,
        provisional=provisional,
        at_risk=at_risk,
        unsegmented_reason=reasons,
        industry_unknown=industry_unknown,
        segment_override=override,
        tier_rule=tier_rule,
        provisional_until=until.where(provisional),
        override_disagrees=override_disagrees,
        enrichment_conflict=held.summary,
        **{c: gated[c] for c in gated.columns if c != "segment"},
    )
    for column, values in outputs.items():
        frame[column] = values
    frame["review_flags"] = _flags(
        frame.index,
        enrichment_conflict=held.summary.notna(),
        transition_pending=frame["transition_status"].eq("pending"),
        override_disagrees=override_disagrees,
    )
    if "duplicate_count" not in frame:
        frame["duplicate_count"] = 0
    frame["explanation"] = explain(frame, framework)
    frame["explanation_detail"] = explain_detail(frame, framework)
    return frame.reindex(columns=list(ASSIGNMENT_COLUMNS)).reset_index(drop=True)


def carry_assignments(
    accounts: pd.DataFrame,
    scores: pd.DataFrame,
    framework: Framework,
    state: PriorState,
    as_of: datetime,
    stored: pd.DataFrame | None,
) -> Carried:
    """`assign_segments` with each row's ASSIGNMENT_HASH, carrying over each stored row
    whose input is unchanged (the scores' INPUT_HASH: the account's row, its usage and its
    as-of inputs) and that the queue gate, run again tonight on the row as stored, decides
    as it did. The queue, CS Ops' decisions, the published tiers and the as-of reach a row
    only through the gate, and the rest of the row follows from its input and the gate's
    columns, so a decision, a grace period running out or a tier published since
    recomputes exactly the rows it moves."""
    accounts = accounts.reset_index(drop=True)
    scores = scores.reset_index(drop=True)

    def compute(rows: np.ndarray) -> pd.DataFrame:
        subset = accounts.take(rows).reset_index(drop=True)
        scored = scores.take(rows).reset_index(drop=True)
        return with_assignment_hashes(assign_segments(subset, scored, framework, state, as_of))

    def regated(stored: pd.DataFrame, at: np.ndarray) -> np.ndarray:
        held = np.flatnonzero(at >= 0)
        read = ["account_id", "crm_tier", "computed_segment", "status", "tier_rule"]
        rows = stored[[*read, *GATE_COLUMNS]].take(at[held]).reset_index(drop=True)
        gated = _gate(rows, state, framework, as_of)
        before, after = rows[list(GATE_COLUMNS)], gated[list(GATE_COLUMNS)]
        same = (before.isna() & after.isna()) | before.eq(after)
        moved = np.zeros(len(at), dtype=bool)
        moved[held] = ~same.all(axis=1).to_numpy(dtype=bool)
        return moved

    if INPUT_HASH in scores:
        hashes = scores[INPUT_HASH].to_numpy(dtype=np.uint64)
    else:  # scores made elsewhere: their every column and the account's, tenure included
        hashes = frame_hashes(pd.concat([accounts, scores], axis=1))
    return carry_over(accounts["account_id"], hashes, stored, compute, moved=regated)
