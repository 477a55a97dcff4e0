"""Every record accounted for: rows in = segmented + provisional + overridden +
unsegmented with a reason + merged duplicates + rejected records.

`rows in` is the month's records: the accounts held in the month's CRM snapshot plus the
month's rejected records. Each leaves by exactly one door; a row with no status, an
Unsegmented row with no reason, or a count that does not add up is an imbalance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from segmentation_pipeline.core.assignment import STATUSES

SEGMENTED, PROVISIONAL, OVERRIDDEN, UNSEGMENTED = STATUSES


@dataclass(frozen=True)
class RecordAccount:
    rows_in: int
    segmented: int
    provisional: int
    overridden: int
    unsegmented_with_reason: int
    merged: int
    rejected: int
    without_exit: int
    """Assignment rows with no known status, or Unsegmented with no reason."""

    @property
    def rows_out(self) -> int:
        return (
            self.segmented
            + self.provisional
            + self.overridden
            + self.unsegmented_with_reason
            + self.merged
            + self.rejected
        )

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_out and self.without_exit == 0

    def counts(self) -> dict[str, int]:
        return {**asdict(self), "rows_out": self.rows_out}

    def summary(self) -> str:
        """One line with every count, e.g. for a failed check."""
        return (
            f"rows in {self.rows_in} {'=' if self.rows_in == self.rows_out else '!='} "
            f"{self.rows_out} out: segmented {self.segmented} + provisional "
            f"{self.provisional} + overridden {self.overridden} + unsegmented with reason "
            f"{self.unsegmented_with_reason} + merged {self.merged} + rejected "
            f"{self.rejected}; rows without an exit {self.without_exit}"
        )


def account_records(
    accounts_in: int, assignments: pd.DataFrame, merged: int, rejected: int
) -> RecordAccount:
    """The ledger of one month: `accounts_in` snapshot accounts (plus `rejected` records)
    against the segment assignments, the merge-audit rows and the rejected records."""
    status = assignments["status"]
    reason = assignments["unsegmented_reason"]
    has_reason = reason.notna() & reason.astype("string").str.strip().ne("").fillna(False)
    unsegmented = status.eq(UNSEGMENTED)
    known = status.isin(STATUSES)
    return RecordAccount(
        rows_in=accounts_in + rejected,
        segmented=int(status.eq(SEGMENTED).sum()),
        provisional=int(status.eq(PROVISIONAL).sum()),
        overridden=int(status.eq(OVERRIDDEN).sum()),
        unsegmented_with_reason=int((unsegmented & has_reason).sum()),
        merged=merged,
        rejected=rejected,
        without_exit=int((~known).sum() + (unsegmented & ~has_reason).sum()),
    )
