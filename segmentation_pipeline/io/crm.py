"""Where accounts come from: the CRM protocol and the embedded file CRM.

A CRM source hands back raw frames in Salesforce field names (core/schema.py), so
every stage downstream is the same whether the rows came from the API or an export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pandas as pd

from segmentation_pipeline.core.clock import as_utc
from segmentation_pipeline.core.schema import (
    RAW_ACCOUNT_COLUMNS,
    RAW_USAGE_COLUMNS,
    REQUIRED_RAW_ACCOUNT_COLUMNS,
)


class CrmError(RuntimeError):
    """The CRM could not give a usable extract; the message says which file or field."""


@dataclass(frozen=True)
class AccountExtract:
    """Accounts changed since the last high-water mark (all of them on a full extract)."""

    accounts: pd.DataFrame
    deleted_ids: list[str] = field(default_factory=list)
    high_water_mark: datetime | None = None
    full_refresh: bool = True


class CrmSource(Protocol):
    def read_accounts(self, since: datetime | None = None) -> AccountExtract: ...

    def read_usage(self) -> pd.DataFrame: ...


def _read_csv(path: Path) -> pd.DataFrame:
    """Everything as text: parsing belongs to standardization, where a bad value is
    flagged instead of crashing the read. Only a truly empty cell is null.

    pyarrow's multithreaded reader is tried first (a million-account export in a
    quarter of the time); a file it refuses (ragged rows, another encoding) is read
    again by pandas' own parser, whose answer or error then stands."""
    options = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    try:
        return pd.read_csv(path, engine="pyarrow", **options)
    except FileNotFoundError:
        raise CrmError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        pass
    try:
        return pd.read_csv(path, **options)
    except FileNotFoundError:
        raise CrmError(f"{path}: file not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise CrmError(f"{path}: not a readable CSV export ({exc})") from None


def _conform(
    frame: pd.DataFrame, columns: tuple[str, ...], required: tuple[str, ...], source: Path
):
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise CrmError(f"{source}: required column(s) missing: {', '.join(missing)}")
    out = frame.reindex(columns=[*columns, *[c for c in frame.columns if c not in columns]])
    return out


class FileCrm:
    """A folder of CSV exports named accounts.csv and product_usage.csv."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def read_accounts(self, since: datetime | None = None) -> AccountExtract:
        path = self.folder / "accounts.csv"
        accounts = _conform(
            _read_csv(path), RAW_ACCOUNT_COLUMNS, REQUIRED_RAW_ACCOUNT_COLUMNS, path
        )
        modstamp = pd.to_datetime(accounts["SystemModstamp"], errors="coerce", utc=True)
        if since is not None:
            keep = modstamp > as_utc(since)
            accounts = accounts[keep.fillna(True)].reset_index(drop=True)
        hwm = modstamp.max()
        return AccountExtract(
            accounts=accounts,
            high_water_mark=None if pd.isna(hwm) else hwm.to_pydatetime(),
            full_refresh=since is None,
        )

    def read_usage(self) -> pd.DataFrame:
        path = self.folder / "product_usage.csv"
        if not path.exists():
            return pd.DataFrame(columns=list(RAW_USAGE_COLUMNS))
        return _conform(_read_csv(path), RAW_USAGE_COLUMNS, ("AccountId",), path)
