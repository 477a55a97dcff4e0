"""The rows the CRM write-back sends beyond each account's own segment: folded duplicates
(linked to their survivor) and enriched firmographics (by the framework's field map).

Pure frames in, frames out; `core.crm_sync.plan_sync` then diffs them against the org like
the segment fields, so only what changed is written.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from segmentation_pipeline.framework.crm_sync import CrmSyncPolicy, EnrichedField

DUPLICATE_OF_COLUMN = "duplicate_of"
# The enrichment's provenance value for "the CRM's own value": nothing to write back.
CRM_SOURCE = "crm"


def duplicate_rows(
    assignments: pd.DataFrame,
    merge_audit: pd.DataFrame,
    segment_columns: Iterable[str],
    policy: str,
) -> pd.DataFrame:
    """One row per folded record: `account_id`, `duplicate_of` (its survivor) and, under
    policy `survivor_segment`, the survivor's `segment_columns` (and override flag, so an
    overridden survivor's tier is not copied). A folded record whose survivor has no
    assignment is left out: there is nothing to link it to."""
    columns = [c for c in segment_columns if c in assignments.columns]
    if policy == "survivor_segment":
        carried = [c for c in ("segment_override", "status") if c in assignments.columns]
        columns = list(dict.fromkeys([*columns, *carried]))
    else:
        columns = []
    out_columns = ["account_id", DUPLICATE_OF_COLUMN, *columns]
    if merge_audit is None or not len(merge_audit):
        return pd.DataFrame(columns=out_columns)
    links = (
        merge_audit[["account_id", "survivor_id"]]
        .dropna()
        .drop_duplicates("account_id")
        .rename(columns={"survivor_id": DUPLICATE_OF_COLUMN})
    )
    links = links[links["account_id"] != links[DUPLICATE_OF_COLUMN]]
    survivors = assignments[["account_id", *columns]].rename(
        columns={"account_id": DUPLICATE_OF_COLUMN}
    )
    rows = links.merge(survivors, on=DUPLICATE_OF_COLUMN, how="inner")
    return rows[out_columns].sort_values("account_id", kind="stable").reset_index(drop=True)


def enriched_values(accounts: pd.DataFrame, fields: Iterable[EnrichedField]) -> pd.DataFrame:
    """`account_id` and one column per mapped field, holding only values a provider
    supplied at or above the field's `min_confidence` (blank otherwise: no opinion).

    A value without provenance columns (`<column>_source`, `<column>_confidence`) is the
    CRM's own and is never written back."""
    out = pd.DataFrame({"account_id": accounts["account_id"]})
    for spec in fields:
        column = spec.column
        if column not in accounts:
            raise KeyError(f"crm_sync.enriched_fields: accounts have no column {column!r}")
        source = accounts.get(f"{column}_source", pd.Series(None, index=accounts.index))
        confidence = pd.to_numeric(
            accounts.get(f"{column}_confidence", pd.Series(None, index=accounts.index)),
            errors="coerce",
        )
        from_provider = source.notna() & (source.astype(str).str.lower() != CRM_SOURCE)
        trusted = from_provider & (confidence >= spec.min_confidence)
        out[column] = accounts[column].astype(object).where(trusted, None)
    return out.reset_index(drop=True)


def enriched_field_map(config: CrmSyncPolicy) -> dict[str, str]:
    """Pipeline column -> CRM field of the enriched write-back."""
    return {f.column: f.crm_field for f in config.enriched_fields}


def fill_blank_fields(config: CrmSyncPolicy) -> frozenset[str]:
    """CRM fields the enriched write-back only fills where the org holds nothing."""
    return frozenset(f.crm_field for f in config.enriched_fields if f.policy == "fill_blank")
