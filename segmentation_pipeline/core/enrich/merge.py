"""Apply the waterfall's answers to the accounts: fill gaps, verify, record conflicts.

The CRM's own non-empty value wins unless the conflict policy lets that provider
overwrite that field; a disagreeing vendor value is recorded for review either way.
Every value that came from a vendor carries its provenance next to it
(`<field>_source`, `<field>_confidence`, `<field>_fetched_at`), and every account whose
key fields are still empty lands in the non-match queue with the reason. Where that
reason is a lookup that failed or was not sent (`RETRIED_REASONS`), the account's
`enrichment_pending` column says so: its gaps are an outage, not the vendor's answer, so
assignment does not publish a tier from them (`core.assignment`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation_pipeline.core.enrich.answers import Answer, Outcome
from segmentation_pipeline.core.enrich.plan import EnrichmentPlan, is_missing, missing_mask
from segmentation_pipeline.core.enrich.waterfall import resolve, settle_from_answers
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

NUMERIC_FIELDS = frozenset({"employees", "annual_revenue"})
CRM = "crm"

PROVENANCE_COLUMNS = (
    "account_id", "domain", "field", "value", "action", "provider", "confidence", "fetched_at",
    "from_cache", "reason",
)  # fmt: skip
CONFLICT_COLUMNS = (
    "account_id", "domain", "field", "crm_value", "vendor_value", "provider", "confidence",
    "fetched_at", "resolution",
)  # fmt: skip
NON_MATCH_COLUMNS = ("account_id", "domain", "missing_fields", "reason", "detail")

# Why a key field stayed empty, most actionable first.
_REASONS = ("no_domain", "budget", "failed", "low_confidence", "no_match")
# Reasons a later night may resolve without any input changing: retried every night.
RETRIED_REASONS = ("budget", "failed")
PENDING_COLUMN = "enrichment_pending"


@dataclass(frozen=True)
class Merged:
    accounts: pd.DataFrame
    provenance: pd.DataFrame
    conflicts: pd.DataFrame
    non_matches: pd.DataFrame


def agree(field: str, crm_value: object, vendor_value: object, tolerance: float) -> bool:
    if field in NUMERIC_FIELDS:
        a, b = float(crm_value), float(vendor_value)
        scale = max(abs(a), abs(b))
        return scale == 0 or abs(a - b) / scale <= tolerance
    return str(crm_value).strip().lower() == str(vendor_value).strip().lower()


def _why_empty(field: str, settings: EnrichmentSettings, answers: Mapping[str, Answer]) -> str:
    group = settings.group_of(field)
    seen = [answers[p] for p in group.providers if p in answers]
    if any(a.outcome is Outcome.SKIPPED and "budget" in (a.reason or "") for a in seen):
        return "budget"
    if any(a.outcome in (Outcome.FAILED, Outcome.SKIPPED) for a in seen):
        return "failed"
    if any(a.value(field) is not None for a in seen):
        return "low_confidence"
    return "no_match"


def _detail(answers: Mapping[str, Answer]) -> str:
    parts = []
    for provider, answer in answers.items():
        text = answer.outcome.value if answer.outcome is not Outcome.MISS else "no match"
        if answer.outcome is Outcome.HIT:
            text += f" (confidence {answer.confidence:.2f})"
        elif answer.outcome is not Outcome.MISS and answer.reason:
            text += f" ({answer.reason})"
        parts.append(f"{provider}: {text}")
    return "; ".join(parts) or "no provider could be asked"


def merge_answers(
    accounts: pd.DataFrame,
    plan: EnrichmentPlan,
    answers: Mapping[str, Mapping[str, Answer]],
    settings: EnrichmentSettings,
    available: Collection[str],
) -> Merged:
    """Accounts with gaps filled and provenance columns, plus the three review tables."""
    fields = settings.filled_fields
    out = accounts.copy()
    for field in fields:
        if field not in out.columns:
            out[field] = None
    values = {f: list(out[f].astype(object)) for f in fields}
    source = {f: np.where(missing_mask(f, out[f]), None, CRM).tolist() for f in fields}
    confidence: dict[str, list[object]] = {f: [None] * len(out) for f in fields}
    fetched: dict[str, list[object]] = {f: [None] * len(out) for f in fields}
    status = ["not_needed"] * len(out)
    pending: list[str | None] = [None] * len(out)
    provenance, conflicts, non_matches = [], [], []
    overwrite = settings.conflicts.overwrite

    for need in plan.needs:
        i = need.row
        by_provider = answers.get(need.domain, {}) if need.domain else {}
        empty_keys = []
        for field in fields:
            wanted = field in need.lookup_fields or field in need.fill_fields
            if not wanted:
                continue
            if field in need.lookup_fields:
                answer = resolve(field, settings, by_provider, available).answer
            else:
                answer = settle_from_answers(field, settings, by_provider)
            current = values[field][i]
            if answer is None:
                if field in need.lookup_fields and is_missing(field, current):
                    empty_keys.append(field)
                continue
            vendor = answer.value(field)
            said = (answer.provider, answer.confidence, answer.fetched_at)
            if is_missing(field, current):
                action = "filled"
            elif agree(field, current, vendor, settings.conflicts.numeric_tolerance):
                action = "verified"
            else:
                applied = field in overwrite.get(answer.provider, [])
                action = "overwritten" if applied else "conflict"
                resolution = "vendor_applied" if applied else "crm_kept"
                conflicts.append(
                    (need.account_id, need.domain, field, current, vendor, *said, resolution)
                )
            if action in ("filled", "overwritten"):
                values[field][i] = vendor
                source[field][i] = answer.provider
                confidence[field][i] = answer.confidence
                fetched[field][i] = answer.fetched_at
            provenance.append(
                (need.account_id, need.domain, field, vendor, action, *said)
                + (answer.from_cache, need.reason)
            )
        if empty_keys:
            reasons = (
                ["no_domain"]
                if need.domain is None
                else [_why_empty(f, settings, by_provider) for f in empty_keys]
            )
            reason = min(reasons, key=_REASONS.index)
            detail = (
                "the account has no website domain" if need.domain is None else _detail(by_provider)
            )
            non_matches.append((need.account_id, need.domain, ",".join(empty_keys), reason, detail))
            pending[i] = reason if reason in RETRIED_REASONS else None
        filled_any = any(source[f][i] not in (None, CRM) for f in fields)
        if empty_keys:
            status[i] = "partial" if filled_any else "unmatched"
        else:
            status[i] = "enriched" if filled_any else "checked"

    for field in fields:
        column = pd.Series(values[field], index=out.index, dtype=object)
        if field in NUMERIC_FIELDS:
            column = pd.to_numeric(column, errors="coerce").astype("Float64")
        out[field] = column
        out[f"{field}_source"] = pd.Series(source[field], index=out.index, dtype=object)
        out[f"{field}_confidence"] = pd.to_numeric(
            pd.Series(confidence[field], index=out.index, dtype=object), errors="coerce"
        ).astype("Float64")
        out[f"{field}_fetched_at"] = pd.to_datetime(
            pd.Series(fetched[field], index=out.index, dtype=object), utc=True
        )
    out["enrichment_status"] = status
    out[PENDING_COLUMN] = pd.Series(pending, index=out.index, dtype=object)
    return Merged(
        accounts=out,
        provenance=pd.DataFrame(provenance, columns=list(PROVENANCE_COLUMNS)),
        conflicts=pd.DataFrame(conflicts, columns=list(CONFLICT_COLUMNS)),
        non_matches=pd.DataFrame(non_matches, columns=list(NON_MATCH_COLUMNS)),
    )
