"""Review decisions from the Dagster launchpad: a run whose config lists decisions
stores them in segment_transition_decisions for the next night's assignment to apply."""

import dagster as dg

from segmentation_pipeline.core.clock import utc_now
from segmentation_pipeline.core.review_decisions import launchpad_decisions, normalize_decisions
from segmentation_pipeline.defs.resources import WarehouseResource
from segmentation_pipeline.io.segment_store import SegmentStore


class ReviewDecision(dg.Config):
    account_id: str
    decision: str  # approve | reject
    decided_by: str
    note: str | None = None
    to_segment: str | None = None  # the move decided on; empty: the account's open one


class ReviewDecisionsConfig(dg.Config):
    decisions: list[ReviewDecision]


@dg.op(description="Store the listed review decisions, taken now, each once.")
def record_review_decisions(
    context: dg.OpExecutionContext, config: ReviewDecisionsConfig, warehouse: WarehouseResource
) -> None:
    entries = launchpad_decisions([d.model_dump() for d in config.decisions], utc_now())
    read = normalize_decisions(entries)
    if len(read.invalid):
        # All or nothing: a launchpad user fixes the list and runs it again.
        raise dg.Failure(
            "review decisions not recorded: "
            + "; ".join(f"{r.account_id}: {r.problem}" for r in read.invalid.itertuples())
        )
    stored = SegmentStore(warehouse.client().engine).record_decisions(read.decisions)
    context.log.info(
        "recorded %d review decision(s): %s", len(stored), ", ".join(stored["account_id"])
    )


@dg.job(
    description="Approve or reject tier moves without SQL: list decisions (account_id, "
    "decision approve/reject, decided_by, note) in the run config; the next nightly run "
    "applies them and its write-back publishes them."
)
def review_decisions_job():
    record_review_decisions()
