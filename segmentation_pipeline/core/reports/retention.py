"""Churn and retention by segment, from consecutive monthly snapshots.

Definitions (one measurement per segment per month M, with m = the month before M):

* **Active customer in a month**: an account of that month's snapshot, unless
  (a) the snapshot carries an explicit churn flag for it (a boolean `churned` column, when
  the extract provides one), or (b) its contract end date falls inside that month and on
  or before the run's as-of day: the contract ran out and no renewal moved the date on
  (inactive reason `contract_ended`). A finished month's as-of is its last day, so every
  end date of the month counts; the open month's is the day of the run, so a contract
  ending later this month is still a paying customer, not churn that has not happened
  (and may yet be renewed). A contract end date *before* the month is stale CRM data, not
  a fresh churn: the account counts as active again, so one lapse is counted once.
* **Cohort (S, m)**: the accounts active in month m whose segment in m is S. Breakdown
  rows (industry, region ...) use the cohort's values in m as well. Accounts folded into a
  survivor by deduplication in M are left out of the cohort (`merged_accounts`): a merge
  is not a churn. Nor is it an expansion: the survivor's ARR in M holds the folded
  accounts' ARR, so their ARR in m is taken off the survivor's ARR_M.
* **Carried on by its duplicates** (`core/reports/heirs.py`): a cohort account not active
  in M (its record deleted in the CRM, say) whose duplicates, folded into it in m, are
  active in M as accounts of their own is retained through them, its *heirs*: its ARR_M
  is theirs, summed. If instead such a duplicate was folded into a survivor C in M, the
  account counts as folded into C in M (the rule above: merged, its ARR in m taken off
  C's ARR_M). The heirs' own ARR in m is in the account's (deduplication summed it), and
  they are not new in M.
* **Churned in M**: a cohort account that is not active in M: absent from M's snapshot,
  flagged churned, or its contract ended during M by the run's as-of.
  One carried on by its duplicates (above) is not churned.
* **Retained**: a cohort account active in M. `logo_retention` = retained / cohort.
  One carried on by its duplicates is retained.
* **ARR**: ARR_m is the account's ARR in m, ARR_M its ARR in M if retained and 0 if
  churned. A data gap is not a revenue change: for a retained account a missing value on
  one side takes the other side's value; a churned account with no ARR in m adds 0.
  An account carried on by its duplicates has their ARR_M.
* **GRR** (gross revenue retention) = sum(min(ARR_M, ARR_m)) / sum(ARR_m): churn and
  contraction count, expansion does not, so GRR <= 1.
* **NRR** (net revenue retention) = sum(ARR_M) / sum(ARR_m) over the cohort: expansion
  counts too; accounts that are new in M never enter it.
* Both are empty (NaN) when the cohort has no ARR.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd
from pandas.api.typing import DataFrameGroupBy

from segmentation_pipeline.core.columns import map_by_key
from segmentation_pipeline.core.reports.grouping import by_segment
from segmentation_pipeline.core.reports.heirs import find_heirs
from segmentation_pipeline.core.reports.months import month_bounds
from segmentation_pipeline.framework.reporting import BREAKDOWN_COLUMNS

ACTIVITY_COLUMNS: tuple[str, ...] = (
    "account_id",
    "segment",
    "tier_label",
    "arr",
    *BREAKDOWN_COLUMNS,
    "contract_end_date",
    "active",
    "inactive_reason",
)
# All `customer_activity` reads of the assignments (the contract end date comes from the
# enriched accounts, the last two columns are its own): the asset loads only these.
ACTIVITY_INPUT_COLUMNS: tuple[str, ...] = (
    *(c for c in ACTIVITY_COLUMNS if c not in ("contract_end_date", "active", "inactive_reason")),
    "churned",
)
CONTRACT_ENDED = "contract_ended"
CHURN_FLAG = "churn_flag"


def parse_contract_end(values: pd.Series) -> pd.Series:
    """ISO dates (Salesforce date fields) -> naive timestamps; anything else -> NaT."""
    parsed = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=True)
    return parsed.dt.tz_localize(None)


def contract_end_cutoff(month: str, as_of: date | datetime | None = None) -> pd.Timestamp:
    """The first day whose contract ends have not happened yet for `month` seen at
    `as_of` (a calendar day on the framework's wall clock; a time of day is dropped):
    the day after `as_of`, but never past the month's end. No `as_of` is the month's
    last day (a finished month).

    A contract that ends on the as-of day has ended (an end date names the contract's
    last day, and a finished month counts its last day's ends too); one that ends
    later has not, so the open month never books churn ahead of the calendar.
    """
    _, end = month_bounds(month)
    if as_of is None:
        return end
    return min(end, pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1))


def customer_activity(
    assignments: pd.DataFrame,
    month: str,
    contracts: pd.DataFrame | None = None,
    as_of: date | datetime | None = None,
) -> pd.DataFrame:
    """Each account of `month`'s snapshot with `active` and, when inactive, why.

    `contracts` (account_id, contract_end_date) gives the contract end date the CRM held
    that month; without it only the explicit churn flag can make an account inactive.
    `as_of` is the run's as-of day (see `contract_end_cutoff`): a contract ending after
    it has not ended yet, so a run of the open month counts only the churn that has
    happened; a finished month (as-of its last day, or none given) counts all of its
    contract ends, as it always did.
    """
    activity = assignments.drop(columns=["contract_end_date"], errors="ignore")
    activity = activity.drop_duplicates("account_id", keep="last").reset_index(drop=True)
    if contracts is not None and "contract_end_date" in contracts:
        ends = contracts.drop_duplicates("account_id", keep="last").set_index("account_id")
        end_dates = parse_contract_end(ends["contract_end_date"])
        activity["contract_end_date"] = map_by_key(activity["account_id"], end_dates)
    else:
        activity["contract_end_date"] = pd.NaT
    start, _ = month_bounds(month)
    cutoff = contract_end_cutoff(month, as_of)
    ended = activity["contract_end_date"].ge(start) & activity["contract_end_date"].lt(cutoff)
    flagged = (
        activity["churned"].fillna(False).astype(bool)
        if "churned" in activity
        else pd.Series(False, index=activity.index)
    )
    activity["active"] = ~(ended | flagged)
    activity["inactive_reason"] = np.select(
        [flagged, ended], [CHURN_FLAG, CONTRACT_ENDED], default=None
    )
    activity["arr"] = pd.to_numeric(activity["arr"], errors="coerce").astype("float64")
    return activity.reindex(columns=list(ACTIVITY_COLUMNS))


def _member(ids: pd.Series, members: Iterable[str]) -> pd.Series:
    """ids.isin(members) through a hash index (isin on Arrow strings is slow at scale)."""
    index = members if isinstance(members, pd.Index) else pd.Index(list(members), dtype=str)
    return pd.Series(index.unique().get_indexer(ids) >= 0, index=ids.index)


def folded_into(merge_audit: pd.DataFrame) -> pd.Series:
    """The merge audit as folded account id -> survivor id."""
    if merge_audit.empty or "survivor_id" not in merge_audit:
        return pd.Series(dtype=object)
    pairs = merge_audit.drop_duplicates("account_id")
    return pd.Series(pairs["survivor_id"].to_numpy(dtype=object), index=pairs["account_id"])


def _absorbed(cohort: pd.DataFrame, survivors: pd.Series) -> pd.Series:
    """Per cohort account, the ARR in m of the cohort accounts folded into it in M."""
    folded = cohort[cohort["merged"]]
    if folded.empty:
        return pd.Series(0.0, index=cohort.index)
    into = map_by_key(folded["account_id"], survivors).to_numpy(dtype=object)
    by_survivor = folded["arr"].fillna(0.0).groupby(into).sum()
    return map_by_key(cohort["account_id"], by_survivor).astype("float64").fillna(0.0)


def segment_retention(
    cohort_activity: pd.DataFrame,
    next_activity: pd.DataFrame,
    breakdowns: Sequence[str] = (),
    merged_into: Mapping[str, str] | pd.Series | None = None,
    folded_before: Mapping[str, str] | pd.Series | None = None,
) -> pd.DataFrame:
    """Logo retention, GRR and NRR of each segment's cohort from month m to month M.

    `cohort_activity` and `next_activity` are `customer_activity` frames of m and M;
    `merged_into` maps each account folded into a survivor in M to that survivor, and
    `folded_before` each account folded into a survivor in m (`folded_into` of m's merge
    audit). See the module docstring for every definition.
    """
    survivors = pd.Series(merged_into if merged_into is not None else {}, dtype=object)
    cohort = cohort_activity[cohort_activity["active"].astype(bool)].copy()
    still_active = next_activity[next_activity["active"].astype(bool)]
    next_arr = still_active.drop_duplicates("account_id").set_index("account_id")["arr"]
    # A cohort account carried on by its duplicates holds their ARR_M (and what was
    # folded into them in M); one whose duplicate went to another survivor is folded.
    heirs = find_heirs(cohort["account_id"], next_arr.index, folded_before, survivors)
    survivors = heirs.holder(pd.concat([survivors, heirs.merged]))
    next_arr = pd.concat([next_arr, heirs.carried(next_arr)])
    cohort["merged"] = _member(cohort["account_id"], survivors.index)

    counted = ~cohort["merged"]
    retained = _member(cohort["account_id"], next_arr.index) & counted
    arr_next = map_by_key(cohort["account_id"], next_arr).astype("float64").where(retained)
    arr_next = (arr_next - _absorbed(cohort, survivors)).clip(lower=0.0)
    arr_start = cohort["arr"].fillna(arr_next).fillna(0.0).where(counted, 0.0)
    arr_end = arr_next.fillna(arr_start).where(retained, 0.0)
    cohort = cohort.assign(
        in_cohort=counted,
        retained=retained,
        churned=counted & ~retained,
        arr_start=arr_start,
        arr_end=arr_end,
        arr_kept=np.minimum(arr_start, arr_end),
    )

    def aggregate(groups: DataFrameGroupBy) -> pd.DataFrame:
        return groups.agg(
            cohort_accounts=("in_cohort", "sum"),
            retained_accounts=("retained", "sum"),
            churned_accounts=("churned", "sum"),
            merged_accounts=("merged", "sum"),
            arr_start=("arr_start", "sum"),
            arr_retained_gross=("arr_kept", "sum"),
            arr_end=("arr_end", "sum"),
        )

    table = by_segment(cohort, breakdowns, aggregate)
    cohort_size = table["cohort_accounts"].where(table["cohort_accounts"] > 0)
    start = table["arr_start"].where(table["arr_start"] > 0)
    table["logo_retention"] = (table["retained_accounts"] / cohort_size).astype("float64")
    table["logo_churn"] = 1.0 - table["logo_retention"]
    table["grr"] = (table["arr_retained_gross"] / start).astype("float64")
    table["nrr"] = (table["arr_end"] / start).astype("float64")
    return table
