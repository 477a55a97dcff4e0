"""Product usage: the export per account (and per product line, for multi-product
customers), the account's total relationship, and per-product adoption tags.

Methodology edge case 2: the primary segment is scored on the whole relationship (all
products summed); each product only gets an adoption tag, which triggers product
playbooks without splitting the account into several segments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from segmentation_pipeline.core.columns import distinct_format, join_present, numbers
from segmentation_pipeline.core.schema import RAW_USAGE_TO_STANDARD
from segmentation_pipeline.core.standardize.text import as_text
from segmentation_pipeline.framework.models import Framework

# Optional columns of the usage export beyond the shared schema.
RAW_PRODUCT_USAGE_TO_STANDARD: dict[str, str] = {
    "Product": "product",
    "ProductARR": "product_arr",
    "EngagementScore": "engagement_score",
}
_TEXT_COLUMNS = ("account_id", "product")
_SUMMED = (
    "logins_30d", "active_users", "licensed_users", "features_adopted", "features_available",
    "open_tickets",
)  # fmt: skip
_AVERAGED = ("nps", "onboarding_completion", "engagement_score")
NO_USAGE_TAG = "no usage data"

_STANDARD_NAMES = {**RAW_USAGE_TO_STANDARD, **RAW_PRODUCT_USAGE_TO_STANDARD}
USAGE_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(_STANDARD_NAMES.values()))
# What a usage value can be by its definition (counts are never negative, NPS runs from
# -100 to 100, onboarding completion is a share). A value outside is refused: it reads as
# unknown, like an unreadable one, and the feed's metadata names it.
USAGE_RANGES: dict[str, tuple[float, float]] = {
    **dict.fromkeys(_SUMMED, (0, np.inf)),
    "nps": (-100, 100),
    "onboarding_completion": (0, 1),
}


def conform_usage(usage: pd.DataFrame) -> pd.DataFrame:
    """Every standardized usage column present (missing ones empty), numbers numeric."""
    usage = usage.reindex(columns=list(USAGE_COLUMNS))
    for column in usage.columns.drop(list(_TEXT_COLUMNS)):
        usage[column] = numbers(usage[column])
    usage["product"] = usage["product"].astype(object).where(usage["product"].notna(), None)
    return usage


def out_of_range(usage: pd.DataFrame) -> pd.DataFrame:
    """Per conformed usage row and ranged column: is the value outside USAGE_RANGES. More
    features adopted than the product offers is out of range too: a typo or swapped
    columns, not more than full adoption. (More active users than licensed seats is a
    real overage and stays.) So is a count with a fraction: "1.234" logins from a
    spreadsheet that groups thousands with dots would otherwise count as one login."""
    ranged = USAGE_RANGES.items()
    outside = pd.DataFrame(
        {c: usage[c].notna() & ~usage[c].between(lo, hi) for c, (lo, hi) in ranged}
    )
    for column in _SUMMED:
        outside[column] |= usage[column].notna() & (usage[column] % 1 != 0)
    outside["features_adopted"] |= usage["features_adopted"] > usage["features_available"]
    return outside


def named_usage_values(
    raw_usage: pd.DataFrame, examples: int = 3
) -> tuple[dict[str, list], dict[str, list]]:
    """(out of range, unreadable): per export column, a few of its values outside
    USAGE_RANGES, and a few that are text but no number ('85%', 'TRUE'); both read as
    unknown, so the feed's metadata names them (columns with none left out). The feed is
    read once for both."""
    raw = raw_usage.rename(columns=_STANDARD_NAMES)
    usage = conform_usage(raw)
    names = {v: k for k, v in _STANDARD_NAMES.items()}
    outside = out_of_range(usage)
    refused = {
        names[c]: raw.loc[outside[c].to_numpy(), c].head(examples).tolist()
        for c in outside.columns
        if outside[c].any()
    }
    unreadable = {}
    for column in usage.columns.drop(list(_TEXT_COLUMNS)).intersection(raw.columns):
        empty = usage[column].isna().to_numpy()  # unread or blank: text only where empty
        texts = raw.loc[empty, column]
        unread = texts[as_text(texts).notna().to_numpy()]
        if len(unread):
            unreadable[names[column]] = unread.head(examples).tolist()
    return refused, unreadable


def repeated_usage_rows(raw_usage: pd.DataFrame, shown: int = 20) -> dict[str, int]:
    """Account id -> how many rows of one (account, product) hold different values (the
    last is kept: `standardize_usage`), for the `shown` accounts with most; exact copies
    of a row change nothing and are left out."""
    raw = raw_usage.rename(columns=_STANDARD_NAMES)
    ids = as_text(raw["account_id"]).astype(object)
    keys = pd.DataFrame({"account_id": ids, "product": raw.get("product")})
    same_key = (keys.duplicated(keep=False) & ids.notna()).to_numpy()
    if not same_key.any():  # the usual feed: the values need no reading
        return {}
    usage = conform_usage(raw[same_key]).assign(account_id=ids[same_key])
    distinct = usage.drop_duplicates()
    repeated = distinct[distinct.duplicated(["account_id", "product"], keep=False)]
    counts = repeated["account_id"].value_counts().head(shown)
    return {str(k): int(n) for k, n in counts.items()}


def standardize_usage(raw_usage: pd.DataFrame) -> pd.DataFrame:
    """Usage export in Salesforce-style names -> snake_case rows, numeric where numeric.

    One row per account, or per account and product when the export has a Product
    column; a repeated (account, product) keeps its last row. A value outside its range
    (USAGE_RANGES) reads as unknown."""
    usage = conform_usage(raw_usage.rename(columns=_STANDARD_NAMES))
    outside = out_of_range(usage)
    for column in outside.columns:
        usage.loc[outside[column].to_numpy(), column] = np.nan
    # Ids read as the accounts' are (`core.standardize.accounts`), so " 001A..." matches.
    usage["account_id"] = as_text(usage["account_id"]).astype(object)
    usage = usage.dropna(subset=["account_id"])
    usage = usage.drop_duplicates(["account_id", "product"], keep="last")
    return usage.reset_index(drop=True)


def account_usage(usage: pd.DataFrame, at: np.ndarray, size: int) -> pd.DataFrame:
    """Usage per account, row i for the account at position i (`at`: each usage row's
    account position, -1 for an unknown account): counts summed over its products,
    rates averaged, and `has_usage`."""
    known = at >= 0
    grouped = usage[known].groupby(at[known], sort=False)
    summed = grouped[list(_SUMMED)].sum(min_count=1)
    averaged = grouped[list(_AVERAGED)].mean()
    per_account = pd.concat([summed, averaged], axis=1).reindex(range(size))
    per_account["has_usage"] = np.bincount(at[known], minlength=size) > 0
    return per_account


def adoption_scores(points: pd.DataFrame, decimals: int) -> pd.Series:
    """A product's adoption maturity: mean of its usage, adoption and engagement points."""
    columns = ["beh_usage_points", "beh_adoption_points", "beh_engagement_points"]
    return points[columns].mean(axis=1, skipna=True).round(decimals)


def primary_products(usage: pd.DataFrame, at: np.ndarray) -> np.ndarray:
    """Per usage row: is it its account's largest product by ARR (ties count as largest)."""
    arr = np.nan_to_num(usage["product_arr"].to_numpy(dtype=float), nan=-np.inf)
    largest = np.full(int(at.max(initial=-1)) + 2, -np.inf)
    np.fmax.at(largest, at, arr)
    return arr >= largest[at]


def adoption_tags(
    usage: pd.DataFrame, adoption: pd.Series, framework: Framework, at: np.ndarray
) -> pd.Series:
    """Per usage row: the pilot tag for a secondary product below the pilot ARR (the
    '$5K analytics pilot'), else the first tag whose min_score the adoption score reaches."""
    rule = framework.assignment.multi_product
    names = np.array([t.tag for t in rule.adoption_tags] + [NO_USAGE_TAG, rule.pilot_tag])
    which = np.select(
        [adoption.to_numpy() >= t.min_score for t in rule.adoption_tags],
        np.arange(len(rule.adoption_tags)),
        default=len(rule.adoption_tags),
    )
    pilot = usage["product_arr"].to_numpy(dtype=float) < rule.pilot_max_arr
    pilot &= ~primary_products(usage, at)
    which = np.where(pilot, len(names) - 1, which)
    return pd.Series(names.astype(object)[which], index=usage.index, dtype=object)


def product_adoption(usage: pd.DataFrame, tags: pd.Series, at: np.ndarray, n: int) -> pd.DataFrame:
    """Per account position (`at` as in `account_usage`): number of products, their
    summed ARR and a compact tag list such as 'Analytics: pilot; Core Platform: mature'."""
    rows = np.flatnonzero(usage["product"].notna().to_numpy() & (at >= 0))
    at = at[rows]
    product = usage["product"].to_numpy(dtype=object)[rows]
    labels = distinct_format(
        lambda name, tag: f"{name}: {tag}",
        pd.Series(product, dtype=object),
        pd.Series(tags.to_numpy(dtype=object)[rows], dtype=object),
    )
    columns = []
    for name in sorted(set(product)):
        mine = np.flatnonzero(product == name)
        row_of_account = np.full(n, -1)
        row_of_account[at[mine]] = mine
        columns.append(labels.take(pa.array(row_of_account, mask=row_of_account < 0)))
    text = join_present(columns, "; ") if columns else pa.nulls(n, pa.string())
    arr = usage["product_arr"].to_numpy(dtype=float)[rows]
    priced = ~np.isnan(arr)
    total = np.bincount(at[priced], weights=arr[priced], minlength=n)
    return pd.DataFrame(
        {
            "products": np.bincount(at, minlength=n),
            "product_arr_total": np.where(np.bincount(at[priced], minlength=n) > 0, total, np.nan),
            "product_adoption": pd.Series(text.to_pandas(), dtype=object).to_numpy(),
        },
    )
