"""Who moves where: tier migrations between two assignments of the same accounts.

Used twice: a framework change (the same month scored with the old and the new version)
and the quarterly review (the same accounts one quarter apart).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.core.schema import UNSEGMENTED

ABSENT = "(absent)"


def paired_segments(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per account of either side: account_id, name, segment_before, segment_after.
    An account only on one side shows as '(absent)' on the other."""
    left = before[["account_id", "segment"]].rename(columns={"segment": "segment_before"})
    right = after[["account_id", "segment"]].rename(columns={"segment": "segment_after"})
    pairs = left.merge(right, on="account_id", how="outer", sort=True, indicator=True)
    for column, missing_from in (("segment_before", "right_only"), ("segment_after", "left_only")):
        pairs[column] = (
            pairs[column].fillna(UNSEGMENTED).where(pairs["_merge"] != missing_from, ABSENT)
        )
    names = pd.concat([after, before])[["account_id", "name"]].drop_duplicates("account_id")
    return pairs.merge(names, on="account_id", how="left")[
        ["account_id", "name", "segment_before", "segment_after"]
    ]


def migration_matrix(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Accounts per (segment before, segment after): rows are 'before', columns 'after'."""
    pairs = paired_segments(before, after)
    matrix = pd.crosstab(pairs["segment_before"], pairs["segment_after"])
    matrix.index.name, matrix.columns.name = "before", "after"
    return matrix


@dataclass(frozen=True)
class ImpactReport:
    accounts: int
    moved: int
    moves: pd.DataFrame  # before, after, accounts (only before != after)
    per_segment: pd.DataFrame  # segment, before, after, moved_in, moved_out, net
    moved_accounts: pd.DataFrame  # account_id, name, segment_before, segment_after

    @property
    def moved_share(self) -> float:
        return self.moved / self.accounts if self.accounts else 0.0


def impact_report(before: pd.DataFrame, after: pd.DataFrame) -> ImpactReport:
    """How many accounts move tier, which moves, and each segment's count old vs new."""
    pairs = paired_segments(before, after)
    moved = pairs[pairs["segment_before"] != pairs["segment_after"]]
    moves = (
        moved.groupby(["segment_before", "segment_after"])
        .size()
        .rename("accounts")
        .reset_index()
        .rename(columns={"segment_before": "before", "segment_after": "after"})
        .sort_values(["accounts", "before", "after"], ascending=[False, True, True])
        .reset_index(drop=True)
    )
    seen = set(pairs["segment_before"].unique()) | set(pairs["segment_after"].unique())
    segments = sorted(seen - {ABSENT})
    count_before = pairs["segment_before"].value_counts()
    count_after = pairs["segment_after"].value_counts()
    moved_out = moved["segment_before"].value_counts()
    moved_in = moved["segment_after"].value_counts()
    per_segment = pd.DataFrame(
        {
            "segment": segments,
            "before": [int(count_before.get(s, 0)) for s in segments],
            "after": [int(count_after.get(s, 0)) for s in segments],
            "moved_in": [int(moved_in.get(s, 0)) for s in segments],
            "moved_out": [int(moved_out.get(s, 0)) for s in segments],
        }
    )
    per_segment["net"] = per_segment["after"] - per_segment["before"]
    return ImpactReport(len(pairs), len(moved), moves, per_segment, moved.reset_index(drop=True))
