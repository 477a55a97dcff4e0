"""Segment migration matrix: where the accounts of one period's segments are now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from segmentation_pipeline.core.columns import member_of
from segmentation_pipeline.core.reports.heirs import Heirs, find_heirs

NEW = "(new)"
GONE = "(gone)"
MERGED = "(merged)"  # folded into a duplicate survivor since: its ARR is in the survivor's


def _carried_on(right: pd.DataFrame, heirs: Heirs) -> pd.DataFrame:
    """`after`'s rows with each account's heirs taken together under its id: the segment
    of the heir with the largest ARR, their ARR summed."""
    taken = member_of(right["account_id"], heirs.pairs["heir"]).to_numpy(dtype=bool)
    if not taken.any():
        return right
    carries = pd.Series(heirs.pairs["account_id"].to_numpy(dtype=object), index=heirs.pairs["heir"])
    rows = right[taken].assign(account_id=right.loc[taken, "account_id"].map(carries))
    rows = rows.assign(arr=pd.to_numeric(rows["arr"], errors="coerce"))
    rows = rows.sort_values("arr", ascending=False, na_position="last", kind="stable")
    carried = rows.groupby("account_id", sort=False).agg(
        segment=("segment", "first"), arr=("arr", lambda a: a.sum(min_count=1))
    )
    return pd.concat([right[~taken], carried.reset_index()], ignore_index=True)


def migration_matrix(
    before: pd.DataFrame,
    after: pd.DataFrame,
    merged: Iterable[str] = (),
    folded_before: Mapping[str, str] | pd.Series | None = None,
) -> pd.DataFrame:
    """One row per (from_segment, to_segment) pair that has accounts.

    `before` and `after` are two snapshots (account_id, segment, arr). An account only in
    `after` comes from NEW; one only in `before` goes to MERGED when it is among `merged`
    (the accounts folded into a survivor by `after`'s month), else to GONE. `arr_before` /
    `arr_after` sum the accounts' ARR in each snapshot (missing counts as 0).

    `folded_before` (`before`'s merge audit as folded id -> survivor id) follows an account
    only in `before` to its duplicates folded into it then that are in `after` on their own
    (`core/reports/heirs.py`): it goes to the segment of the one with the largest ARR, with
    their ARR summed, and they do not come from NEW. Without such an heir, one of those
    duplicates among `merged` sends it to MERGED.
    """
    left = before.drop_duplicates("account_id", keep="last")[["account_id", "segment", "arr"]]
    right = after.drop_duplicates("account_id", keep="last")[["account_id", "segment", "arr"]]
    folded_now = pd.Series(list(merged), dtype=object)
    heirs = find_heirs(
        left["account_id"],
        pd.Index(right["account_id"], dtype=object),
        folded_before,
        pd.Series(None, index=folded_now.drop_duplicates(), dtype=object),
    )
    right = _carried_on(right, heirs)
    folded_now = pd.concat([folded_now, pd.Series(heirs.merged.index, dtype=object)])
    joined = left.merge(right, on="account_id", how="outer", suffixes=("_before", "_after"))
    folded = member_of(joined["account_id"], folded_now)
    left_to = pd.Series(GONE, index=joined.index, dtype=object).mask(folded.to_numpy(), MERGED)
    joined = joined.assign(
        from_segment=joined["segment_before"]
        .astype("object")
        .where(joined["segment_before"].notna(), NEW),
        to_segment=joined["segment_after"]
        .astype("object")
        .where(joined["segment_after"].notna(), left_to),
        arr_before=pd.to_numeric(joined["arr_before"], errors="coerce").fillna(0.0),
        arr_after=pd.to_numeric(joined["arr_after"], errors="coerce").fillna(0.0),
    )
    table = (
        joined.groupby(["from_segment", "to_segment"], sort=True)
        .agg(
            accounts=("account_id", "size"),
            arr_before=("arr_before", "sum"),
            arr_after=("arr_after", "sum"),
        )
        .reset_index()
    )
    from_totals = table.groupby("from_segment")["accounts"].transform("sum")
    table["share_of_from"] = (table["accounts"] / from_totals).astype("float64")
    table["moved"] = table["from_segment"].ne(table["to_segment"])
    return table


def migration_pivot(matrix: pd.DataFrame) -> pd.DataFrame:
    """Accounts as a from x to grid (rows: from, columns: to), zeros where nobody moved."""
    grid = matrix.pivot_table(
        index="from_segment", columns="to_segment", values="accounts", aggfunc="sum", fill_value=0
    )
    grid.columns.name = None
    return grid.astype(int)
