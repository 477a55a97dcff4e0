"""Value-rubric inputs read from CRM fields: expansion pipeline from open opportunities,
contract length from contract fields, strategic importance from a picklist or a flag."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from segmentation_pipeline.core.columns import lookup, timestamps
from segmentation_pipeline.framework.models import Framework

MULTI_YEAR_MIN_DAYS_LEFT = 365


def expansion_pipeline(opportunities: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Open expansion opportunity amount per account, from Salesforce Opportunity rows
    (AccountId, Amount, IsClosed, Type). Closed opportunities and other types don't count."""
    kinds = framework.assignment.value_inputs.expansion_opportunity_types
    totals = open_expansion_amounts(opportunities, kinds)
    return totals.rename("expansion_pipeline").rename_axis("account_id").reset_index()


def open_expansion_amounts(opportunities: pd.DataFrame, kinds: Iterable[str]) -> pd.Series:
    """Amount of open opportunities of the expansion `kinds` per AccountId (NaN where an
    account has opportunities but none that count). An `IsClosed` column is optional:
    without it every row is taken as open (a query that read open ones only)."""
    counted = opportunities["Type"].isin(list(kinds))
    if "IsClosed" in opportunities:
        closed = opportunities["IsClosed"].astype("string").str.lower().isin(["true", "1"])
        counted &= ~closed
    amount = pd.to_numeric(opportunities["Amount"], errors="coerce").where(counted)
    return amount.groupby(opportunities["AccountId"]).sum(min_count=1)


def contract_terms(
    accounts: pd.DataFrame, framework: Framework, as_of: datetime | None
) -> pd.Series:
    """The contract-length value: the CRM's term where it has one, else read from the end
    date (past due beyond the configured days; more than a year left -> multi-year)."""
    past_due_after = framework.assignment.value_inputs.contract_past_due_after_days
    term = accounts["contract_term"].astype(object).where(accounts["contract_term"].notna())
    if "contract_end_date" not in accounts or past_due_after is None or as_of is None:
        return term
    end = timestamps(accounts["contract_end_date"])
    days_left = (end - pd.Timestamp(as_of, tz="UTC")).dt.days
    derived = pd.Series(
        np.select(
            [days_left < -past_due_after, days_left > MULTI_YEAR_MIN_DAYS_LEFT],
            ["Past due", "Multi-year"],
            default=None,
        ),
        index=accounts.index,
        dtype=object,
    )
    return term.where(term.notna(), derived)


def strategic_values(accounts: pd.DataFrame, framework: Framework) -> pd.Series:
    """Picklist values as they are; checkbox-style flags ('true', 'no') mapped to one."""
    flags = framework.assignment.value_inputs.strategic_flag_values
    return lookup(accounts["strategic_importance"], lambda v: flags.get(str(v).strip().lower(), v))
