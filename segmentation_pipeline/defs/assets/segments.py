"""Score every account and assign its segment."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.assignment import carry_assignments
from segmentation_pipeline.core.change_set import INPUT_HASH
from segmentation_pipeline.core.governance import segment_coverage, tier_distribution
from segmentation_pipeline.core.input_contract import (
    USAGE_INPUT,
    InputContractError,
    check_usage_matches,
    unmatched_usage_warning,
)
from segmentation_pipeline.core.merged_usage import attributed_usage
from segmentation_pipeline.core.overrides import override_report
from segmentation_pipeline.core.scoring import carry_scores
from segmentation_pipeline.core.transitions import needs_published_tiers
from segmentation_pipeline.defs.assets._carry import carry_step
from segmentation_pipeline.defs.assets._metadata import frame_metadata, share_table
from segmentation_pipeline.defs.partitions import (
    FRAMEWORK_VERSION,
    monthly_partitions,
    run_as_of,
)
from segmentation_pipeline.defs.resources import (
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.io.segment_store import SegmentStore
from segmentation_pipeline.io.state_store import state_stamp


@dg.asset(
    group_name="segmentation",
    kinds={"pandas"},
    partitions_def=monthly_partitions,
    code_version=FRAMEWORK_VERSION,
    description="Firmographic, behavioral and value rubric points, the 1-5 scores and the "
    "weighted composite. A merged duplicate's usage counts for its survivor, an account "
    "merged away in Salesforce's for its master; a usage feed "
    "whose rows mostly name no account fails the step (inputs.usage_min_matched_share). An "
    "account whose row, usage and as-of inputs are unchanged keeps its stored row.",
)
def account_scores(
    context: dg.AssetExecutionContext,
    accounts_enriched: pd.DataFrame,
    product_usage: pd.DataFrame,
    account_merge_audit: pd.DataFrame,
    account_changes: pd.DataFrame,
    framework: FrameworkResource,
    snapshots: SnapshotStoreResource,
) -> dg.MaterializeResult:
    fw = framework.load()
    as_of = run_as_of(context)
    usage = attributed_usage(product_usage, account_merge_audit, fw.dedup)
    try:
        unmatched = check_usage_matches(
            usage["account_id"], accounts_enriched["account_id"],
            fw.inputs.usage_min_matched_share, USAGE_INPUT.what,
        )  # fmt: skip
    except InputContractError as exc:
        raise dg.Failure(description=str(exc)) from None
    if warning := unmatched_usage_warning(unmatched, len(usage)):
        context.log.warning(warning)
    carried, carry_metadata = carry_step(
        snapshots.store(), "account_scores", state_stamp(fw), account_changes,
        lambda stored: carry_scores(accounts_enriched, usage, fw, as_of, stored),
    )  # fmt: skip
    scores = carried.rows
    metadata = frame_metadata(
        scores,
        ["account_id", "firmographic_score", "behavioral_score", "value_score", "composite_score"],
    )
    metadata["framework_version"] = fw.version
    metadata["as_of"] = as_of.isoformat()
    metadata["mean_composite"] = dg.MetadataValue.float(float(scores["composite_score"].mean()))
    metadata["usage_rows_without_account"] = len(unmatched)
    metadata.update(carry_metadata)
    return dg.MaterializeResult(value=scores, metadata=metadata)


@dg.asset(
    group_name="segmentation",
    kinds={"pandas"},
    partitions_def=monthly_partitions,
    code_version=FRAMEWORK_VERSION,
    deps=["crm_review_decisions"],  # tonight's CRM review decisions are stored first
    description="Tier, service model, status, at-risk flag and explanation per account; "
    "Unsegmented rows carry a machine-readable reason. A computed tier that crosses a "
    "boundary is held at the current tier until its transition is approved. Each row "
    "carries its content hash (_assignment_hash), which the warehouse sync and the owner "
    "notifications key on. An account whose scores' input is unchanged and whose queue state "
    "decides as before keeps its stored row.",
)
def segment_assignments(
    context: dg.AssetExecutionContext,
    accounts_enriched: pd.DataFrame,
    account_scores: pd.DataFrame,
    account_changes: pd.DataFrame,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
    snapshots: SnapshotStoreResource,
) -> dg.MaterializeResult:
    fw = framework.load()
    as_of = run_as_of(context)
    # The queue as it stood before this month's as-of: a re-run does not read back the
    # moves its own month already applied (`SegmentStore`); a re-score with a new version
    # is gated against the tiers the month published under the old one.
    state = SegmentStore(warehouse.client().engine, as_of).prior_state(
        published=needs_published_tiers(accounts_enriched["crm_tier"], fw),
        framework_version=fw.version,
    )
    carried, carry_metadata = carry_step(
        snapshots.store(), "segment_assignments", state_stamp(fw), account_changes,
        lambda stored: carry_assignments(
            accounts_enriched, account_scores, fw, state, as_of, stored
        ),
    )  # fmt: skip
    assignments = carried.rows.drop(columns=[INPUT_HASH])
    metadata = frame_metadata(
        assignments,
        [
            "account_id",
            "name",
            "segment",
            "service_model",
            "composite_score",
            "status",
            "explanation",
        ],
    )
    metadata["tier_distribution"] = share_table(tier_distribution(assignments))
    metadata["segment_coverage"] = dg.MetadataValue.float(segment_coverage(assignments))
    metadata["status_counts"] = dg.MetadataValue.json(
        assignments["status"].value_counts().to_dict()
    )
    metadata["unsegmented_reasons"] = dg.MetadataValue.json(
        assignments["unsegmented_reason"].dropna().value_counts().to_dict()
    )
    metadata["at_risk"] = int(assignments["at_risk"].sum())
    metadata["transitions"] = dg.MetadataValue.json(
        assignments["transition_status"].dropna().value_counts().to_dict()
    )
    metadata["enrichment_conflicts_for_review"] = int(
        assignments["enrichment_conflict"].notna().sum()
    )
    overrides = override_report(assignments)
    metadata.update(overrides.as_metadata())
    if len(overrides.disagreements):
        metadata["override_disagreement_accounts"] = dg.MetadataValue.md(
            overrides.disagreements.head(20).to_markdown(index=False)
        )
    metadata["framework_version"] = fw.version
    metadata.update(carry_metadata)
    return dg.MaterializeResult(value=assignments, metadata=metadata)
