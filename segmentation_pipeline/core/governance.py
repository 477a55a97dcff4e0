"""Governance metrics and their grading against the framework's thresholds.

Grades follow the methodology's Good / Warning / Red-flag bands; the Dagster layer
maps them to check severities (warning -> WARN, red -> ERROR). Each `assess_*` returns
the grade together with the breakdown and the worst offenders a reviewer needs to act.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import pandas as pd

from segmentation_pipeline.core.schema import ENRICHABLE_FIELDS, UNKNOWN_INDUSTRY, UNSEGMENTED
from segmentation_pipeline.framework.models import (
    Coverage,
    FallingBands,
    Governance,
    OperationalizedSegments,
    RisingBands,
    Share,
)

WORST_OFFENDERS = 5


@dataclass(frozen=True)
class Grade:
    level: str  # "good" | "warning" | "red"
    value: float
    threshold: float
    rule: str

    @property
    def passed(self) -> bool:
        return self.level != "red"


@dataclass(frozen=True)
class Assessment:
    """A graded measurement: `details` is the breakdown, `offenders` what to fix first."""

    grade: Grade
    details: dict = field(default_factory=dict)
    offenders: list = field(default_factory=list)


def _present(accounts: pd.DataFrame, column: str) -> pd.Series:
    """A usable value: not null, and for industry not the 'Unknown' placeholder."""
    present = accounts[column].notna()
    if column == "industry":
        present &= accounts[column].ne(UNKNOWN_INDUSTRY)
    return present


def field_completeness(accounts: pd.DataFrame, fields: list[str]) -> dict[str, float]:
    """Share of accounts with a usable value; an 'Unknown' industry counts as empty."""
    n = len(accounts)
    return {f: float(_present(accounts, f).sum()) / n if n else 0.0 for f in fields}


def grade_rising(value: float, bands: RisingBands) -> Grade:
    """Below minimum viable is red; below target is a warning."""
    if value < bands.minimum_viable:
        return Grade(
            "red", value, bands.minimum_viable, f"< minimum viable {bands.minimum_viable:.0%}"
        )
    if value < bands.target:
        return Grade("warning", value, bands.target, f"< target {bands.target:.0%}")
    return Grade("good", value, bands.target, f">= target {bands.target:.0%}")


def grade_falling(value: float, bands: FallingBands) -> Grade:
    """Lower is better: at or above minimum viable is red, at or above target a warning."""
    if value >= bands.minimum_viable:
        return Grade(
            "red", value, bands.minimum_viable, f">= minimum viable {bands.minimum_viable:.0%}"
        )
    if value >= bands.target:
        return Grade("warning", value, bands.target, f">= target {bands.target:.0%}")
    return Grade("good", value, bands.target, f"< target {bands.target:.0%}")


def segment_coverage(assignments: pd.DataFrame) -> float:
    """Accounts with a segment assigned / all active accounts."""
    n = len(assignments)
    return float(assignments["segment"].ne(UNSEGMENTED).sum()) / n if n else 0.0


def grade_coverage(value: float, bands: Coverage) -> Grade:
    if value < bands.warning:
        return Grade("red", value, bands.warning, f"< {bands.warning:.0%}")
    if value < bands.good:
        return Grade("warning", value, bands.good, f"< {bands.good:.0%}")
    return Grade("good", value, bands.good, f">= {bands.good:.0%}")


def tier_distribution(assignments: pd.DataFrame) -> dict[str, float]:
    segments = assignments["segment"]
    segmented = segments[segments.ne(UNSEGMENTED)]  # the one column, not every row whole
    if segmented.empty:
        return {}
    return segmented.value_counts(normalize=True).sort_index().to_dict()


def _segment_counts(assignments: pd.DataFrame) -> pd.Series:
    segmented = assignments.loc[assignments["segment"].ne(UNSEGMENTED), "segment"]
    return segmented.value_counts().sort_index()


def _names(accounts: pd.DataFrame, mask: pd.Series) -> list[str]:
    picked = accounts.loc[mask].head(WORST_OFFENDERS)
    return [f"{r.account_id} {r.name}" for r in picked.itertuples()]


def assess_key_field_completeness(accounts: pd.DataFrame, gov: Governance) -> Assessment:
    """The worst key field decides; offenders are the emptiest fields with sample accounts."""
    fields = list(gov.key_fields)
    shares = field_completeness(accounts, fields)
    worst = min(fields, key=lambda f: (shares[f], fields.index(f)))
    grade = grade_rising(shares[worst], gov.key_field_completeness)
    offenders = [
        {
            "field": f,
            "completeness": round(shares[f], 4),
            "missing": int((~_present(accounts, f)).sum()),
            "sample": _names(accounts, ~_present(accounts, f)),
        }
        for f in sorted(fields, key=lambda f: shares[f])
        if shares[f] < 1.0
    ][:WORST_OFFENDERS]
    details = {
        "worst_field": worst,
        "completeness": {f: round(v, 4) for f, v in shares.items()},
        "grades": {f: grade_rising(v, gov.key_field_completeness).level for f, v in shares.items()},
    }
    return Assessment(grade, details, offenders)


def _complete(accounts: pd.DataFrame, fields: list[str]) -> pd.Series:
    return pd.concat([_present(accounts, f) for f in fields], axis=1).all(axis=1)


def assess_enrichment_coverage(
    before: pd.DataFrame,
    after: pd.DataFrame,
    fields: list[str],
    bands: RisingBands,
    filled: Collection[str] = (),
) -> Assessment:
    """Of the accounts that reached enrichment with a gap in `fields`, the share that left
    with none: the vendor match rate the methodology benchmarks (70 / 85 / 95%). Accounts
    in `filled` count as gapped too: the pipeline's own write-back filled their gap in the
    CRM, which hands the vendor's value back as its own (leaving them out made the rate
    fall night after night as the write-back filled the matched accounts' gaps)."""
    gap = ~_complete(before, fields).to_numpy() | before["account_id"].isin(set(filled)).to_numpy()
    gapped = pd.Series(gap, index=before["account_id"])
    sent = after[after["account_id"].map(gapped).fillna(False).astype(bool).to_numpy()]
    done = _complete(sent, fields)
    value = float(done.mean()) if len(sent) else 1.0
    incomplete = sent[~done]
    offenders = [
        {
            "account": f"{row['account_id']} {row['name']}",
            "missing": [f for f in fields if not _present(incomplete.loc[[i]], f).iloc[0]],
        }
        for i, row in incomplete.head(WORST_OFFENDERS).iterrows()
    ]
    details = {
        "fields": fields,
        "accounts_needing_enrichment": len(sent),
        "accounts_completed": int(done.sum()),
        "still_incomplete": len(incomplete),
    }
    return Assessment(grade_rising(value, bands), details, offenders)


def assess_duplicate_rate(
    survivors: pd.DataFrame, merge_audit: pd.DataFrame, bands: FallingBands
) -> Assessment:
    """Duplicate records in the CRM extract / all extracted records; offenders are the
    companies with the most duplicate records."""
    return _folded(survivors, merge_audit, lambda value: grade_falling(value, bands))


def assess_folded_share(
    survivors: pd.DataFrame, merge_audit: pd.DataFrame, most: float
) -> Assessment:
    """The same share, held to a ceiling no real CRM reaches: above it the matcher has
    taken different companies for one (red), whatever the methodology's bands say."""

    def grade(value: float) -> Grade:
        if value > most:
            return Grade("red", value, most, f"> at most {most:.0%}")
        return Grade("good", value, most, f"<= at most {most:.0%}")

    return _folded(survivors, merge_audit, grade)


def _folded(
    survivors: pd.DataFrame, merge_audit: pd.DataFrame, grade: Callable[[float], Grade]
) -> Assessment:
    """Records folded / records extracted, graded; offenders are the survivors that
    absorbed the most records."""
    total = len(survivors) + len(merge_audit)
    value = len(merge_audit) / total if total else 0.0
    counts = merge_audit.groupby("survivor_id").size().sort_values(ascending=False, kind="stable")
    names = survivors.set_index("account_id")["name"]
    offenders = [
        {"survivor": f"{sid} {names.get(sid, '')}".strip(), "duplicates": int(n)}
        for sid, n in counts.head(WORST_OFFENDERS).items()
    ]
    details = {"records": total, "duplicates_folded": len(merge_audit), "survivors": len(survivors)}
    return Assessment(grade(value), details, offenders)


def assess_segment_coverage(assignments: pd.DataFrame, bands: Coverage) -> Assessment:
    """Offenders are the most frequent reasons accounts stay Unsegmented."""
    grade = grade_coverage(segment_coverage(assignments), bands)
    reasons = assignments["unsegmented_reason"].dropna().value_counts()
    offenders = [
        {"reason": r, "accounts": int(n)} for r, n in reasons.head(WORST_OFFENDERS).items()
    ]
    details = {
        "accounts": len(assignments),
        "unsegmented": int(assignments["segment"].eq(UNSEGMENTED).sum()),
    }
    return Assessment(grade, details, offenders)


def assess_concentration(assignments: pd.DataFrame, maximum: float) -> Assessment:
    """Largest segment / all accounts; above the maximum one segment dominates (a warning:
    the methodology says to revisit thresholds or weights, not that the data is wrong)."""
    counts = _segment_counts(assignments)
    total = len(assignments)
    if counts.empty or not total:
        return Assessment(Grade("warning", 0.0, maximum, "no segmented accounts"))
    largest = counts.sort_values(ascending=False, kind="stable")
    value = float(largest.iloc[0]) / total
    level = "warning" if value > maximum else "good"
    rule = f"{'>' if level == 'warning' else '<='} {maximum:.0%}"
    offenders = [
        {"segment": s, "accounts": int(n), "share": round(n / total, 4)}
        for s, n in largest.head(WORST_OFFENDERS).items()
    ]
    return Assessment(
        Grade(level, value, maximum, rule), {"largest_segment": largest.index[0]}, offenders
    )


def assess_tier_distribution(assignments: pd.DataFrame, bands: dict[str, Share]) -> Assessment:
    """Each tier's share of segmented accounts against its expected band. The value is the
    largest distance outside a band (0 when every tier is inside its band)."""
    shares = tier_distribution(assignments)
    offenders = []
    for tier, band in bands.items():
        share = shares.get(tier, 0.0)
        distance = max(band.min - share, share - band.max, 0.0)
        if distance > 0:
            offenders.append(
                {
                    "tier": tier,
                    "share": round(share, 4),
                    "band": f"{band.min:.0%}-{band.max:.0%}",
                    "outside_by": round(distance, 4),
                }
            )
    offenders.sort(key=lambda o: -o["outside_by"])
    worst = offenders[0]["outside_by"] if offenders else 0.0
    level = "warning" if offenders else "good"
    rule = f"{len(offenders)} tier(s) outside their band" if offenders else "all tiers in band"
    details = {"shares": {t: round(s, 4) for t, s in shares.items()}}
    return Assessment(Grade(level, worst, 0.0, rule), details, offenders[:WORST_OFFENDERS])


def assess_min_accounts_per_segment(assignments: pd.DataFrame, minimum: int) -> Assessment:
    """Segments below the minimum viable size are not statistically meaningful."""
    counts = _segment_counts(assignments)
    small = counts[counts < minimum].sort_values(kind="stable")
    smallest = float(counts.min()) if not counts.empty else 0.0
    level = "warning" if not small.empty or counts.empty else "good"
    rule = (
        f"{len(small)} segment(s) below {minimum} accounts"
        if level == "warning"
        else (f"every segment >= {minimum} accounts")
    )
    offenders = [{"segment": s, "accounts": int(n)} for s, n in small.head(WORST_OFFENDERS).items()]
    details = {"accounts_per_segment": {s: int(n) for s, n in counts.items()}}
    return Assessment(Grade(level, smallest, float(minimum), rule), details, offenders)


def assess_operationalized_segments(
    assignments: pd.DataFrame, bands: OperationalizedSegments
) -> Assessment:
    """Distinct segments in use that carry a service model. Offenders are segments that
    share a service model: identical treatment, candidates for consolidation."""
    used = assignments.loc[
        assignments["segment"].ne(UNSEGMENTED) & assignments["service_model"].notna(),
        ["segment", "service_model"],
    ].drop_duplicates()
    n = used["segment"].nunique()
    if n > bands.warning_max or n <= bands.red_at_most:
        level, threshold = (
            "red",
            (bands.warning_max if n > bands.warning_max else bands.red_at_most),
        )
        rule = (
            f"{n} segments: over-segmented (> {bands.warning_max})"
            if n > bands.warning_max
            else (f"{n} segments: under-segmented (<= {bands.red_at_most})")
        )
    elif bands.low_benchmark <= n < bands.good_min:
        level, threshold = "good", bands.low_benchmark
        rule = (
            f"{n} segments: the methodology's low benchmark ({bands.low_benchmark}), "
            f"under the typical {bands.good_min}-{bands.good_max}"
        )
    elif n > bands.good_max or n < bands.good_min:
        level = "warning"
        threshold = bands.good_max if n > bands.good_max else bands.good_min
        rule = f"{n} segments: outside the good range {bands.good_min}-{bands.good_max}"
    else:
        level, threshold = "good", bands.good_max
        rule = f"{n} segments: within {bands.good_min}-{bands.good_max}"
    shared = used.groupby("service_model")["segment"].apply(sorted)
    offenders = [
        {"service_model": m, "segments": segs} for m, segs in shared.items() if len(segs) > 1
    ]
    details = {"segments": sorted(used["segment"].unique().tolist())}
    return Assessment(Grade(level, float(n), float(threshold), rule), details, offenders)


KEY_FIELD_CHECK = "key_field_completeness_"  # + the field: one check per key field
ENRICHED, DEDUPLICATED = "accounts_enriched", "accounts_deduplicated"
MERGE_AUDIT, ASSIGNMENTS = "account_merge_audit", "segment_assignments"
Frames = Mapping[str, pd.DataFrame]  # a month's frames by asset name

# Accounts whose empty key field the pipeline's enrichment write-back filled in the CRM.
GAPS_FILLED = "crm_gaps_filled"


def enrichable_key_fields(gov: Governance) -> list[str]:
    """The key fields enrichment can fill: those enrichment coverage grades."""
    return [k for k in gov.key_fields if k in ENRICHABLE_FIELDS]


# The other checks: each grades the frames it reads with the framework's thresholds.
_GRADERS: dict[str, Callable[[Frames, Governance], Assessment]] = {
    "enrichment_coverage": lambda f, gov: assess_enrichment_coverage(
        f[DEDUPLICATED],
        f[ENRICHED],
        enrichable_key_fields(gov),
        gov.enrichment_coverage,
        f[GAPS_FILLED]["account_id"] if GAPS_FILLED in f else (),
    ),
    "duplicate_rate": lambda f, gov: assess_duplicate_rate(
        f[DEDUPLICATED], f[MERGE_AUDIT], gov.duplicate_rate
    ),
    "dedup_fold_share": lambda f, gov: assess_folded_share(
        f[DEDUPLICATED], f[MERGE_AUDIT], gov.max_folded_share
    ),
    "segment_coverage_check": lambda f, gov: assess_segment_coverage(
        f[ASSIGNMENTS], gov.segment_coverage
    ),
    "concentration_index": lambda f, gov: assess_concentration(
        f[ASSIGNMENTS], gov.concentration_max
    ),
    "tier_distribution": lambda f, gov: assess_tier_distribution(
        f[ASSIGNMENTS], gov.tier_distribution
    ),
    "min_accounts_per_segment": lambda f, gov: assess_min_accounts_per_segment(
        f[ASSIGNMENTS], gov.min_accounts_per_segment
    ),
    "operationalized_segments": lambda f, gov: assess_operationalized_segments(
        f[ASSIGNMENTS], gov.operationalized_segments
    ),
}


def check_names(gov: Governance) -> list[str]:
    """Every governance check, the per-field completeness checks first."""
    return [f"{KEY_FIELD_CHECK}{field}" for field in gov.key_fields] + list(_GRADERS)


def grade_check(name: str, frames: Frames, gov: Governance) -> Assessment:
    """The governance check `name` over a month's frames: the nightly checks and the
    framework preview grade alike."""
    if name.startswith(KEY_FIELD_CHECK):
        one_field = gov.model_copy(update={"key_fields": [name.removeprefix(KEY_FIELD_CHECK)]})
        return assess_key_field_completeness(frames[ENRICHED], one_field)
    return _GRADERS[name](frames, gov)


@dataclass(frozen=True)
class Guidance:
    """How an operator reads a check: what it measures, why the methodology sets the
    threshold (the numbers themselves come from the framework), and the first place to look
    when it fails."""

    measures: str
    percent: bool
    methodology: str
    first_check: str


GUIDANCE: dict[str, Guidance] = {
    "key_field_completeness": Guidance(
        "completeness of {field}",
        True,
        "methodology: below minimum viable, segmentation misclassifies >30% of accounts",
        "look at the empty accounts in worst_offenders: is the CRM field mapped, and did "
        "enrichment answer for them (enrichment_non_matches)?",
    ),
    "enrichment_coverage": Guidance(
        "enrichment coverage",
        True,
        "methodology: coverage after an enrichment run; vendors typically match 75-90% of "
        "B2B accounts",
        "look at enrichment_non_matches' reasons: gapped accounts without a website (no "
        "domain to look up) or a provider that stopped answering",
    ),
    "duplicate_rate": Guidance(
        "duplicate rate",
        True,
        "methodology: dedup before segmentation; dupes skew segment distribution",
        "look at account_merge_audit's top rules and the survivors with the most duplicates",
    ),
    "dedup_fold_share": Guidance(
        "share of records folded",
        True,
        "no real CRM is mostly duplicates: a matcher folding this many has taken different "
        "companies for one",
        "look at the largest clusters (worst_offenders) in account_merge_audit: their "
        "evidence says which kind of pair the matcher over-trusted",
    ),
    "segment_coverage_check": Guidance(
        "segment coverage",
        True,
        "methodology: every active account needs a segment to get a service model",
        "look at segment_assignments' unsegmented_reason counts (worst_offenders); "
        "enrichment_pending is a vendor outage or the credit budget, and clears the night "
        "the lookups answer",
    ),
    "concentration_index": Guidance(
        "largest segment's share",
        True,
        "methodology: one segment dominates; adjust thresholds or weights",
        "compare the framework's tier min_score cut-offs with the month's composite scores",
    ),
    "tier_distribution": Guidance(
        "tier shares",
        True,
        "methodology: composite scores should spread over the tiers roughly in these bands",
        "compare the tier min_score cut-offs and the scoring weights with the month's "
        "composite scores, then drift against last month",
    ),
    "min_accounts_per_segment": Guidance(
        "smallest segment",
        False,
        "methodology: a smaller segment is not statistically meaningful",
        "merge the small segment into a neighbour or lower its tier cut-off",
    ),
    "operationalized_segments": Guidance(
        "segments in use",
        False,
        "methodology: each segment must map to a distinct action",
        "consolidate segments that share a service model (worst_offenders)",
    ),
}


def guidance_for(check_name: str) -> Guidance | None:
    """The guidance of a check; per-field checks (key_field_completeness_arr) share one."""
    for name, guidance in GUIDANCE.items():
        if check_name == name or check_name.startswith(f"{name}_"):
            return guidance
    return None


def _measured(value: float, percent: bool) -> str:
    return f"{value:.1%}" if percent else f"{value:g}"


def explain(check_name: str, assessment: Assessment) -> str:
    """One sentence for an alert: what was measured against what threshold (in the
    methodology's words) and the first thing to check, e.g. `duplicate rate 6.1% >= target
    5% (methodology: ...): look at account_merge_audit's top rules ...`."""
    grade = assessment.grade
    guidance = guidance_for(check_name)
    if guidance is None:
        return f"{check_name}: measured {grade.value:g} ({grade.rule})"
    field_name = check_name.removeprefix("key_field_completeness_")
    measures = guidance.measures.format(field=field_name)
    if check_name == "tier_distribution" and assessment.offenders:
        measured = ", ".join(
            f"{o['tier']} at {o['share']:.1%} outside {o['band']}" for o in assessment.offenders
        )
    elif check_name in ("tier_distribution", "operationalized_segments"):
        measured = grade.rule
    else:
        measured = f"{measures} {_measured(grade.value, guidance.percent)} {grade.rule}"
    return f"{measured} ({guidance.methodology}): {guidance.first_check}"
