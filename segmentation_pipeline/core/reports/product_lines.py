"""Segment performance per product line: for each segment, how many of its accounts use
each product, the product's ARR and NPS there. It reads the usage export's per-product rows
(Product, ProductARR); an export without a Product column has no product lines.
"""

from __future__ import annotations

import pandas as pd

from segmentation_pipeline.core.reports.grouping import totals_by

PRODUCT_LINE_COLUMNS: tuple[str, ...] = (
    "segment",
    "tier_label",
    "product",
    "accounts",
    "segment_accounts",
    "penetration",
    "product_arr",
    "mean_product_arr",
    "mean_nps",
)


def segment_product_lines(assignments: pd.DataFrame, usage: pd.DataFrame | None) -> pd.DataFrame:
    """`usage` has account_id, product, product_arr and (optionally) nps, one row per account
    and product. `penetration` is the share of the segment's accounts using the product;
    `mean_nps` averages the accounts that gave one."""
    if usage is None or "product" not in usage:
        return pd.DataFrame(columns=list(PRODUCT_LINE_COLUMNS))
    lines = usage.reindex(columns=["account_id", "product", "product_arr", "nps"])
    lines = lines[lines["product"].notna()].drop_duplicates(["account_id", "product"], keep="last")
    lines = lines.assign(
        product_arr=pd.to_numeric(lines["product_arr"], errors="coerce"),
        nps=pd.to_numeric(lines["nps"], errors="coerce"),
    )
    segments = assignments[["account_id", "segment", "tier_label"]]
    joined = lines.merge(segments, on="account_id", how="inner")
    table = totals_by(
        joined,
        ["segment", "product"],
        tier_label=("tier_label", "first"),
        accounts=("account_id", "nunique"),
        product_arr=("product_arr", "sum"),
        mean_product_arr=("product_arr", "mean"),
        mean_nps=("nps", "mean"),
    )
    sizes = segments.groupby("segment", dropna=False)["account_id"].size()
    table["segment_accounts"] = table["segment"].map(sizes).astype("int64")
    table["penetration"] = table["accounts"] / table["segment_accounts"]
    return table.reindex(columns=list(PRODUCT_LINE_COLUMNS))
