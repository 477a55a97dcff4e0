"""The input contract: every input the scores depend on, declared once.

Each CRM export file is named here with the columns the methodology reads from it. A
reader checks a file against its declaration and names, in one line, the file and the
column that is missing, or says the file holds no rows: a run never goes on to turn an
absent input into default scores and a SUCCESS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from segmentation_pipeline.core.columns import AccountIndex
from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS, RAW_USAGE_COLUMNS

# Optional in an accounts export: they only help matching and enrichment.
OPTIONAL_ACCOUNT_COLUMNS = (
    "Website", "Phone", "BillingCity", "OwnerId", "OwnerName", "AnnualRevenue",
)  # fmt: skip


@dataclass(frozen=True)
class InputFile:
    """One export file: its name in a CRM folder, its key column and the columns read."""

    file_name: str
    key: str
    required_columns: tuple[str, ...]
    what: str


ACCOUNTS_INPUT = InputFile(
    file_name="accounts.csv",
    key="Id",
    # Every field a score, a tier rule or the record's bookkeeping reads: the export's
    # columns but those that only help matching and enrichment.
    required_columns=tuple(c for c in RAW_ACCOUNT_COLUMNS if c not in OPTIONAL_ACCOUNT_COLUMNS),
    what="CRM accounts",
)

USAGE_INPUT = InputFile(
    file_name="product_usage.csv",
    key="AccountId",
    required_columns=RAW_USAGE_COLUMNS,
    what="product usage feed",
)

INPUTS: tuple[InputFile, ...] = (ACCOUNTS_INPUT, USAGE_INPUT)


class InputContractError(ValueError):
    """An input breaks the contract; the message is one line naming the file (and column)."""


def missing_columns(columns: Iterable[str], contract: InputFile) -> list[str]:
    """The contract's required columns absent from `columns`, in the contract's order."""
    present = set(columns)
    return [c for c in contract.required_columns if c not in present]


def check_columns(columns: Iterable[str], contract: InputFile, source: str) -> None:
    """Raise one line naming `source` and every required column it lacks."""
    missing = missing_columns(columns, contract)
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        raise InputContractError(
            f"{source}: required {noun} {', '.join(missing)} missing "
            f"(the {contract.what} export must carry {', '.join(contract.required_columns)})"
        )


def check_has_rows(rows: int, contract: InputFile, source: str) -> None:
    """Raise when a file read holds no record at all (header only)."""
    if rows == 0:
        raise InputContractError(f"{source}: no {contract.what} rows (header only)")


def check_usage_feed(rows: int, expected: bool, source: str) -> None:
    """A usage feed with no rows is an error while the framework expects one
    (`inputs.usage_feed`); without the setting every behavioral score would silently be
    the unknown default."""
    if expected and rows == 0:
        raise InputContractError(
            f"{source}: no {USAGE_INPUT.what} rows, and the framework expects a usage feed "
            "(set inputs.usage_feed: false if this deployment has none)"
        )


_SAME_ID = "AccountId must name an account's Id, in its 15- or 18-character form"


def check_usage_matches(
    usage_ids: pd.Series, account_ids: pd.Series, min_share: float, source: str
) -> pd.Series:
    """The usage rows (`usage_ids`, their account ids) that name no account of
    `account_ids`; raise one line when fewer than `min_share` of the rows name one."""
    unmatched = usage_ids[AccountIndex(account_ids).find(usage_ids) < 0]
    rows = len(usage_ids)
    if rows == 0 or rows - len(unmatched) >= min_share * rows:
        return unmatched
    raise InputContractError(
        f"{source}: {_unmatched_rows(unmatched, rows)}; at least {min_share:.0%} must "
        f"({_SAME_ID}; inputs.usage_min_matched_share)"
    )


def unmatched_usage_warning(unmatched: pd.Series, rows: int) -> str | None:
    """One line naming the usage rows that name no account (their accounts score the
    unknown behavioral points), or None when every row names one."""
    if unmatched.empty:
        return None
    return f"{_unmatched_rows(unmatched, rows)}: their usage counts for no account ({_SAME_ID})"


def _unmatched_rows(unmatched: pd.Series, rows: int) -> str:
    examples = ", ".join(repr(i) for i in unmatched.head(3).tolist())
    return (
        f"{len(unmatched):,} of {rows:,} usage rows name no account of the accounts export "
        f"(e.g. {examples})"
    )
