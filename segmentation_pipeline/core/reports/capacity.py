"""CSM capacity: each owner's accounts and ARR per segment against the service model's
accounts-per-CSM ratio (`service_models.<model>.csm_ratio`).

A mixed book is measured in "books": 25 High-Touch accounts at 15-50 per CSM are half a
full book (25 / 50) and 1.67 minimum books (25 / 15). An owner is overloaded when their
accounts fill more than one full book (sum of accounts / ratio max > 1) and underloaded
when they do not reach one minimum book (sum of accounts / ratio min < 1). Accounts
without a service model (Unsegmented) count in accounts and ARR but not in the load.
Accounts without an owner are no one's book: their row says so instead of grading a load.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from segmentation_pipeline.core.reports.book import UNASSIGNED_OWNER
from segmentation_pipeline.core.reports.grouping import ACCOUNTS_AND_ARR, totals_by
from segmentation_pipeline.framework.models import ServiceModel

ALL_SEGMENTS = "All"
OVERLOADED = "overloaded"
UNDERLOADED = "underloaded"
WITHIN = "within ratio"
UNOWNED = "no owner"  # the load of the accounts no CSM holds
CAPACITY_COLUMNS: tuple[str, ...] = (
    "owner_id",
    "owner",
    "segment",
    "service_model",
    "accounts",
    "arr",
    "csm_ratio_min",
    "csm_ratio_max",
    "full_books",
    "minimum_books",
    "load",
)

# What `csm_capacity` reads of the assignments.
CAPACITY_INPUT_COLUMNS: tuple[str, ...] = (
    "account_id", "owner_id", "owner_name", "segment", "service_model", "arr",
)  # fmt: skip


def owner_labels(assignments: pd.DataFrame) -> pd.Series:
    """What a reader sees for each row's owner: the owner's name when the assignments carry
    an `owner_name`, else the owner id; '(unassigned)' when there is neither."""
    ids = assignments["owner_id"].astype("object").where(assignments["owner_id"].notna())
    ids = ids.fillna(UNASSIGNED_OWNER).astype(str)
    if "owner_name" not in assignments:
        return ids
    names = assignments["owner_name"].astype("object")
    return names.where(names.notna() & names.astype(str).str.strip().ne(""), ids).astype(str)


def csm_capacity(
    assignments: pd.DataFrame, service_models: Mapping[str, ServiceModel]
) -> pd.DataFrame:
    """Per owner: one row per segment they hold, then an 'All' row with the owner's load."""
    frame = assignments.assign(
        owner_id=assignments["owner_id"].astype("object").fillna(UNASSIGNED_OWNER),
        owner=owner_labels(assignments),
        arr=pd.to_numeric(assignments["arr"], errors="coerce"),
    )
    rows = totals_by(
        frame,
        ["owner_id", "owner", "segment"],
        service_model=("service_model", "first"),
        **ACCOUNTS_AND_ARR,
    )
    ratio_min = {k: m.csm_ratio.min for k, m in service_models.items()}
    ratio_max = {k: m.csm_ratio.max for k, m in service_models.items()}
    rows["csm_ratio_min"] = rows["service_model"].map(ratio_min).astype("float64")
    rows["csm_ratio_max"] = rows["service_model"].map(ratio_max).astype("float64")
    rows["full_books"] = rows["accounts"] / rows["csm_ratio_max"]
    rows["minimum_books"] = rows["accounts"] / rows["csm_ratio_min"]
    rows["load"] = None
    summed = ("accounts", "arr", "full_books", "minimum_books")
    totals = totals_by(rows, ["owner_id", "owner"], **{c: (c, "sum") for c in summed})
    totals["segment"] = ALL_SEGMENTS
    totals["load"] = OVERLOADED
    totals.loc[totals["full_books"] <= 1, "load"] = WITHIN
    totals.loc[totals["minimum_books"] < 1, "load"] = UNDERLOADED
    totals.loc[totals["owner_id"].eq(UNASSIGNED_OWNER), "load"] = UNOWNED
    table = pd.concat([rows, totals], ignore_index=True).reindex(columns=list(CAPACITY_COLUMNS))
    table["is_total"] = table["segment"].eq(ALL_SEGMENTS) & table["load"].notna()
    table = table.sort_values(["owner", "owner_id", "is_total", "segment"]).drop(columns="is_total")
    return table.reset_index(drop=True)


def capacity_summary(capacity: pd.DataFrame) -> pd.DataFrame:
    """The owners' 'All' rows, overloaded first, then underloaded, each by load; the
    accounts without an owner last."""
    owners = capacity[capacity["load"].notna()].copy()
    order = {OVERLOADED: 0, UNDERLOADED: 1, WITHIN: 2, UNOWNED: 3}
    owners["_order"] = owners["load"].map(order)
    owners = owners.sort_values(["_order", "full_books"], ascending=[True, False])
    return owners.drop(columns=["_order", "segment", "service_model"]).reset_index(drop=True)
