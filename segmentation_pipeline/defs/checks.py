"""Asset checks graded by the framework's governance thresholds.

Good passes; the methodology's Warning band fails with WARN severity and its Red flag
with ERROR. Key-field completeness and segment coverage are blocking: a red flag there
means garbage would reach the CRM, so the downstream steps (scores, assignments, the
warehouse and the CRM write-back) do not run.

Checks on the same asset share one step (`governance_checks`), so a month of a million
accounts is loaded once for all of them rather than once per check.

Partitioned assets, non-preview checks: an `@asset_check` without `partitions_def` that
takes its asset as an input loads *every* partition of it (and fails on a fresh
instance where past months were never built), while `partitions_def=` on a check is a
preview API in Dagster 1.13. So each check here declares its asset as a dependency
without loading it, takes the month from the run (`context.partition_key`), and loads
exactly that partition through the asset's IO manager. A check-only run (the monthly
audit) names its month with the `dagster/partition` tag; with none, the asset's latest
materialized month is checked. The month is in every evaluation's metadata.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.accounting import account_records
from segmentation_pipeline.core.crm_write_back import enriched_field_map
from segmentation_pipeline.core.governance import (
    GAPS_FILLED,
    KEY_FIELD_CHECK,
    Assessment,
    Frames,
    enrichable_key_fields,
    explain,
    grade_check,
)
from segmentation_pipeline.defs.resources import FrameworkResource
from segmentation_pipeline.framework import Framework, load_framework
from segmentation_pipeline.io.salesforce.sync_log import gaps_filled
from segmentation_pipeline.io.warehouse import Warehouse

ENRICHED = dg.AssetKey("accounts_enriched")
DEDUPLICATED = dg.AssetKey("accounts_deduplicated")
MERGE_AUDIT = dg.AssetKey("account_merge_audit")
ASSIGNMENTS = dg.AssetKey("segment_assignments")

_SEVERITY = {"warning": dg.AssetCheckSeverity.WARN, "red": dg.AssetCheckSeverity.ERROR}


def check_month(context: dg.AssetCheckExecutionContext, asset_key: dg.AssetKey) -> str:
    """The month this evaluation is about: the run's partition, else the latest built one."""
    if context.has_partition_key:
        return context.partition_key
    event = context.instance.get_latest_materialization_event(asset_key)
    partition = event.dagster_event.partition if event and event.dagster_event else None
    if partition is None:
        raise dg.Failure(f"{asset_key.to_user_string()} has no materialized month to check")
    return partition


def load_partition(
    context: dg.AssetCheckExecutionContext, asset_key: dg.AssetKey, month: str
) -> pd.DataFrame:
    """One month of an asset, read back from the IO manager that stored it."""
    return context.resources.io_manager.read_month(asset_key, month)


def check_result(
    assessment: Assessment, month: str, asset: dg.AssetKey | None = None, name: str | None = None
) -> dg.AssetCheckResult:
    grade = assessment.grade
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=grade.level == "good",
        severity=_SEVERITY.get(grade.level, dg.AssetCheckSeverity.WARN),
        metadata={
            "value": dg.MetadataValue.float(round(float(grade.value), 4)),
            "threshold": dg.MetadataValue.float(float(grade.threshold)),
            "grade": grade.level,
            "rule": grade.rule,
            "partition": month,
            "worst_offenders": dg.MetadataValue.json(assessment.offenders),
            "details": dg.MetadataValue.json(assessment.details),
            "summary": explain(name or "", assessment),
        },
    )


@dataclass(frozen=True)
class Grading:
    """One governance check: its name, what it measures and whether it blocks; how it is
    graded is `core.governance.grade_check`."""

    name: str
    description: str
    blocking: bool = False


def governance_checks(
    step: str,
    asset: dg.AssetKey,
    gradings: list[Grading],
    also_reads: tuple[dg.AssetKey, ...] = (),
    warehouse_reads: Callable[[Warehouse, Framework], Frames] | None = None,
) -> dg.AssetChecksDefinition:
    """Checks on one asset that share one step, so its month is loaded once for all of
    them; each keeps its own name, severity and blocking flag. `warehouse_reads` adds
    frames read from the warehouse."""
    specs = [
        dg.AssetCheckSpec(
            g.name,
            asset=asset,
            description=g.description,
            blocking=g.blocking,
            additional_deps=list(also_reads),
        )
        for g in gradings
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=step,
        can_subset=True,
        required_resource_keys={"io_manager", "framework"}
        | ({"warehouse"} if warehouse_reads else set()),
    )
    def _checks(context: dg.AssetCheckExecutionContext):
        framework: FrameworkResource = context.resources.framework
        fw = framework.load()
        month = check_month(context, asset)
        reads = (asset, *also_reads)
        frames = {key.to_user_string(): load_partition(context, key, month) for key in reads}
        if warehouse_reads:
            frames |= warehouse_reads(context.resources.warehouse.client(), fw)
        selected = {key.name for key in context.selected_asset_check_keys}
        for grading in gradings:
            if grading.name in selected:
                assessment = grade_check(grading.name, frames, fw.governance)
                yield check_result(assessment, month, asset, grading.name)

    return _checks


def key_field_completeness_checks(framework: Framework) -> dg.AssetChecksDefinition:
    """One blocking check per key field, so each field alerts on its own."""
    return governance_checks(
        "key_field_completeness",
        ENRICHED,
        [
            Grading(
                name=f"{KEY_FIELD_CHECK}{field}",
                blocking=True,
                description=f"Share of accounts with a usable {field} after enrichment; "
                "below minimum viable is a red flag that blocks scoring and the CRM "
                "write-back.",
            )
            for field in framework.governance.key_fields
        ],
    )


def _gaps_filled(warehouse: Warehouse, fw: Framework) -> Frames:
    fields = enrichable_key_fields(fw.governance)
    crm_fields = [
        crm for column, crm in enriched_field_map(fw.crm_sync).items() if column in fields
    ]
    return {GAPS_FILLED: pd.DataFrame({"account_id": gaps_filled(warehouse.engine, crm_fields)})}


enrichment_coverage_check = governance_checks(
    "enrichment_coverage",
    ENRICHED,
    [
        Grading(
            "enrichment_coverage",
            "Of the accounts that reached enrichment with a firmographic key field empty "
            "(or whose empty field the enrichment write-back has filled in the CRM), the "
            "share that left with none empty (the vendor match rate).",
        )
    ],
    also_reads=(DEDUPLICATED,),
    warehouse_reads=_gaps_filled,
)

duplicate_rate_check = governance_checks(
    "duplicate_rate",
    DEDUPLICATED,
    [
        Grading(
            "duplicate_rate",
            "Duplicate records folded / records extracted from the CRM.",
        ),
        Grading(
            "dedup_fold_share",
            "The same share against governance.max_folded_share, a ceiling no real CRM "
            "reaches: above it the matcher has gone wrong, and scoring, the warehouse and "
            "the CRM write-back do not run.",
            blocking=True,
        ),
    ],
    also_reads=(MERGE_AUDIT,),
)

segment_assignment_checks = governance_checks(
    "segment_assignment_checks",
    ASSIGNMENTS,
    [
        Grading(
            name="segment_coverage_check",
            blocking=True,
            description="Accounts with a segment / active accounts: >= good passes, below "
            "warning is a red flag that blocks the warehouse snapshot and the CRM write-back.",
        ),
        Grading(
            name="concentration_index",
            description="Largest segment / all accounts; above the maximum one segment dominates.",
        ),
        Grading(
            name="tier_distribution",
            description="Each tier's share of segmented accounts against its expected band.",
        ),
        Grading(
            name="min_accounts_per_segment",
            description="Every segment holds at least the minimum viable number of accounts.",
        ),
        Grading(
            name="operationalized_segments",
            description="Distinct segments in use with a service model: good 4-8, warning "
            "9-15, red 16+ or 1-2 (framework defaults).",
        ),
    ],
)


CRM_ACCOUNTS = dg.AssetKey("crm_accounts")
REJECTED = dg.AssetKey("crm_rejected_records")


@dg.asset_check(
    asset=ASSIGNMENTS,
    name="record_accounting",
    blocking=True,
    additional_deps=[CRM_ACCOUNTS, MERGE_AUDIT, REJECTED],
    required_resource_keys={"io_manager"},
    description="Every record accounted for: the month's records (snapshot accounts + "
    "rejected records) = segmented + provisional + overridden + unsegmented with a reason "
    "+ merged duplicates (merge audit) + rejected. An imbalance blocks the warehouse "
    "snapshot and the CRM write-back.",
)
def record_accounting_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    month = check_month(context, ASSIGNMENTS)
    ledger = account_records(
        accounts_in=len(load_partition(context, CRM_ACCOUNTS, month)),
        assignments=load_partition(context, ASSIGNMENTS, month),
        merged=len(load_partition(context, MERGE_AUDIT, month)),
        rejected=len(load_partition(context, REJECTED, month)),
    )
    # Graded like the governance checks (value, threshold, grade, ...) so one reader of
    # check metadata reads them all.
    return dg.AssetCheckResult(
        passed=ledger.balanced,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if ledger.balanced else f"records do not balance: {ledger.summary()}",
        metadata={
            "value": dg.MetadataValue.float(float(ledger.rows_out)),
            "threshold": dg.MetadataValue.float(float(ledger.rows_in)),
            "grade": "good" if ledger.balanced else "red",
            "rule": "rows in = rows out, every row with an exit",
            "partition": month,
            "worst_offenders": dg.MetadataValue.json([]),
            "details": dg.MetadataValue.json(ledger.counts()),
            "summary": ledger.summary(),
            **ledger.counts(),
        },
    )


def all_checks(framework: Framework | None = None) -> list[dg.AssetChecksDefinition]:
    """Every governance check; key fields come from the configured framework."""
    framework = framework or load_framework(os.environ.get("SEGMENTATION_FRAMEWORK") or None)
    return [
        key_field_completeness_checks(framework),
        enrichment_coverage_check,
        duplicate_rate_check,
        segment_assignment_checks,
        record_accounting_check,
    ]
