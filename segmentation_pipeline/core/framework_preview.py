"""What a candidate framework would do to a month, before anyone adopts it.

The month's stored inputs (enriched accounts, usage, the merge audit) are scored and
assigned under the candidate file exactly as the nightly assets would, and compared with
the month as it is stored: who moves tier, the accounts per segment before and after, and
the governance checks' grades under the candidate's thresholds. Pure: the caller reads
the inputs and prints the result; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from segmentation_pipeline.core import governance as g
from segmentation_pipeline.core.assignment import assign_segments
from segmentation_pipeline.core.merged_usage import attributed_usage
from segmentation_pipeline.core.scoring import score_accounts
from segmentation_pipeline.framework.models import Framework


@dataclass(frozen=True)
class MonthInputs:
    """One stored month: the pipeline's inputs to scoring and its stored assignments."""

    deduplicated: pd.DataFrame
    enriched: pd.DataFrame
    usage: pd.DataFrame
    merge_audit: pd.DataFrame
    assignments: pd.DataFrame


@dataclass(frozen=True)
class Preview:
    moves: pd.DataFrame  # before, after, accounts: computed tier moves
    segments: pd.DataFrame  # segment -> accounts now, accounts under the candidate
    grades: dict[str, g.Assessment]
    candidate: pd.DataFrame  # the candidate's assignments
    stored_versions: list[str]  # the framework versions the stored month was scored with

    @property
    def accounts_moving(self) -> int:
        return int(self.moves["accounts"].sum()) if len(self.moves) else 0


def candidate_assignments(inputs: MonthInputs, candidate: Framework, as_of: datetime):
    """The month assigned under `candidate` as the nightly assets assign it, from an empty
    transition queue (the tiers the candidate computes, before any review hold)."""
    usage = attributed_usage(inputs.usage, inputs.merge_audit, candidate.dedup)
    scores = score_accounts(inputs.enriched, usage, candidate, as_of)
    return assign_segments(inputs.enriched, scores, candidate, None, as_of)


def governance_grades(
    inputs: MonthInputs, assignments: pd.DataFrame, fw: Framework
) -> dict[str, g.Assessment]:
    """The governance checks of the nightly run, graded by `fw`'s thresholds."""
    frames = {
        g.ENRICHED: inputs.enriched,
        g.DEDUPLICATED: inputs.deduplicated,
        g.MERGE_AUDIT: inputs.merge_audit,
        g.ASSIGNMENTS: assignments,
    }
    return {
        name: g.grade_check(name, frames, fw.governance) for name in g.check_names(fw.governance)
    }


def preview(inputs: MonthInputs, candidate: Framework, as_of: datetime) -> Preview:
    """The month under `candidate` against the month as stored."""
    after = candidate_assignments(inputs, candidate, as_of)
    before = inputs.assignments.set_index("account_id")["computed_segment"]
    now = after.set_index("account_id")["computed_segment"]
    both = pd.DataFrame({"before": before, "after": now}).dropna()
    moved = both[both["before"] != both["after"]]
    moves = (
        moved.groupby(["before", "after"]).size().rename("accounts").reset_index()
        if len(moved)
        else pd.DataFrame(columns=["before", "after", "accounts"])
    )
    segments = pd.DataFrame(
        {
            "now": inputs.assignments["segment"].value_counts(),
            "candidate": after["segment"].value_counts(),
        }
    )
    segments = segments.fillna(0).astype(int).sort_index()
    versions = inputs.assignments["framework_version"].dropna().astype(str).unique().tolist()
    return Preview(moves, segments, governance_grades(inputs, after, candidate), after, versions)
