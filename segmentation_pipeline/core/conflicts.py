"""Enrichment conflicts after M&A (methodology edge case 5).

The enrichment stage records a vendor value that disagrees with a non-empty CRM value
as a conflict row (account_id, field, crm_value, vendor_value, provider) and passes
them on in the accounts' `enrichment_conflicts` column. Here every such account is
flagged for CS Ops review, and on an overridden account the CRM value is put back if a
vendor value got through: a human owns that account, a vendor does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation_pipeline.framework.models import Framework

CONFLICT_COLUMNS: tuple[str, ...] = ("account_id", "field", "crm_value", "vendor_value", "provider")
CONFLICTS_COLUMN = "enrichment_conflicts"


def _as_list(cell: object) -> list:
    if isinstance(cell, str):
        try:
            cell = json.loads(cell)
        except json.JSONDecodeError:
            return []
    if isinstance(cell, dict):
        return [cell]
    return list(cell) if isinstance(cell, list | tuple | np.ndarray) else []


def conflict_rows(accounts: pd.DataFrame) -> pd.DataFrame:
    """The `enrichment_conflicts` column (a list of conflict records, or its JSON, per
    account; usually empty) as one row per conflict; unreadable cells yield no row."""
    if CONFLICTS_COLUMN not in accounts:
        return pd.DataFrame(columns=list(CONFLICT_COLUMNS))
    cells = accounts[CONFLICTS_COLUMN]
    cells = cells[cells.notna()]
    if cells.empty:
        return pd.DataFrame(columns=list(CONFLICT_COLUMNS))
    records = pd.Series([_as_list(c) for c in cells], index=cells.index).explode().dropna()
    records = records[records.map(lambda r: isinstance(r, dict))]
    rows = pd.DataFrame(list(records), index=records.index)
    rows["account_id"] = accounts.loc[records.index, "account_id"].to_numpy()
    return rows.reindex(columns=list(CONFLICT_COLUMNS)).reset_index(drop=True)


def _same(current: np.ndarray, vendor: np.ndarray) -> np.ndarray:
    """Is the account's value the vendor's? Numbers compare as numbers ('12000' == 12000.0)."""
    as_numbers = [
        pd.to_numeric(pd.Series(v, dtype=object), errors="coerce") for v in (current, vendor)
    ]
    numeric = as_numbers[0].notna() & as_numbers[1].notna()
    texts = [pd.Series(v, dtype=object).astype(str).str.strip() for v in (current, vendor)]
    return np.where(numeric, as_numbers[0] == as_numbers[1], texts[0] == texts[1])


def _shown(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "?").astype(str)


def _like(column: pd.Series, values: np.ndarray) -> np.ndarray:
    """CRM values (recorded as text or numbers) in the column's own kind."""
    if pd.api.types.is_numeric_dtype(column):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy()
    return values


@dataclass(frozen=True)
class HeldConflicts:
    accounts: pd.DataFrame  # CRM values restored on overridden accounts
    summary: pd.Series  # per account: "industry: Technology -> Healthcare (vendor)" or None


def hold_conflicts(
    accounts: pd.DataFrame, conflicts: pd.DataFrame, framework: Framework
) -> HeldConflicts:
    """Flag conflicting accounts; never let a vendor value stand on an overridden one."""
    fields = framework.assignment.enrichment_conflicts.review_fields
    conflicts = conflicts[conflicts["field"].isin(fields)]
    summary = pd.Series(None, index=accounts.index, dtype=object)
    if conflicts.empty:
        return HeldConflicts(accounts, summary)
    out = accounts.copy()
    overridden = out["segment_override"].fillna(False).astype(bool)
    position = pd.Series(np.arange(len(out)), index=out["account_id"].to_numpy())
    position = position[~position.index.duplicated()]
    for field, rows in conflicts.groupby("field"):
        if field not in out:
            continue
        at = position.reindex(rows["account_id"]).to_numpy()
        known = ~np.isnan(at)
        at, crm_value, vendor_value = (
            at[known].astype(int),
            rows["crm_value"].to_numpy()[known],
            rows["vendor_value"].to_numpy()[known],
        )
        holds = overridden.to_numpy()[at] & _same(out[field].to_numpy()[at], vendor_value)
        column = out.columns.get_loc(field)
        out.iloc[at[holds], column] = _like(out[field], crm_value[holds])
    shown = {c: _shown(conflicts[c]) for c in ("field", "crm_value", "vendor_value", "provider")}
    text = (
        shown["field"]
        + ": "
        + shown["crm_value"]
        + " -> "
        + shown["vendor_value"]
        + " ("
        + shown["provider"]
        + ")"
    )
    per_account = text.groupby(conflicts["account_id"].to_numpy()).agg("; ".join)
    summary = pd.Series(
        per_account.reindex(out["account_id"].to_numpy()).to_numpy(dtype=object),
        index=out.index,
    )
    return HeldConflicts(out, summary)
