"""Segment migration matrix: where the accounts of one period's segments are now."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from segmentation_pipeline.core.columns import member_of

NEW = "(new)"
GONE = "(gone)"
MERGED = "(merged)"  # folded into a duplicate survivor since: its ARR is in the survivor's


def migration_matrix(
    before: pd.DataFrame, after: pd.DataFrame, merged: Iterable[str] = ()
) -> pd.DataFrame:
    """One row per (from_segment, to_segment) pair that has accounts.

    `before` and `after` are two snapshots (account_id, segment, arr). An account only in
    `after` comes from NEW; one only in `before` goes to MERGED when it is among `merged`
    (the accounts folded into a survivor by `after`'s month), else to GONE. `arr_before` /
    `arr_after` sum the accounts' ARR in each snapshot (missing counts as 0).
    """
    left = before.drop_duplicates("account_id", keep="last")[["account_id", "segment", "arr"]]
    right = after.drop_duplicates("account_id", keep="last")[["account_id", "segment", "arr"]]
    joined = left.merge(right, on="account_id", how="outer", suffixes=("_before", "_after"))
    folded = member_of(joined["account_id"], pd.Series(list(merged), dtype=object))
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
