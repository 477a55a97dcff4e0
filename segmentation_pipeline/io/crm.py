"""Where accounts come from: the CRM protocol and the embedded file CRM.

A CRM source hands back raw frames in Salesforce field names (core/schema.py), so
every stage downstream is the same whether the rows came from the API or an export.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from segmentation_pipeline.core.clock import as_utc
from segmentation_pipeline.core.input_contract import (
    ACCOUNTS_INPUT,
    USAGE_INPUT,
    InputContractError,
    InputFile,
    check_columns,
    check_has_rows,
)
from segmentation_pipeline.core.record_ids import in_known_form
from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS, RAW_USAGE_COLUMNS
from segmentation_pipeline.core.standardize.dates import standardize_timestamps
from segmentation_pipeline.core.standardize.text import as_text
from segmentation_pipeline.io.state_store import StateStore


class CrmError(RuntimeError):
    """The CRM could not give a usable extract; the message says which file or field."""


class CrmInputMissing(CrmError):
    """An export file is absent or holds no rows (a deployment may say it has no such feed)."""


@dataclass(frozen=True)
class AccountExtract:
    """Accounts changed since the last high-water mark (all of them on a full extract)."""

    accounts: pd.DataFrame
    deleted_ids: list[str] = field(default_factory=list)
    high_water_mark: datetime | None = None
    full_refresh: bool = True
    source: str = ""
    """Where the records came from (the export file), for rejected-records rows."""
    kept: dict | None = None
    """State of the source's own to commit with the mark (e.g. the related records it
    holds), handed back the next night as `CrmState.kept`."""
    notes: dict = field(default_factory=dict)
    """What the source says about its read, for the extract's metadata."""
    listed_ids: pd.Series | None = None
    """Every Id the source holds now, when it can tell (a file export lists them all): a
    held account missing from it is deleted, on an incremental night too. None: the
    source reports its deletions itself (`deleted_ids`)."""


@dataclass(frozen=True)
class CrmState:
    """Where a CRM source may keep state of its own between nights, and what it asked to
    keep with the last committed mark (`AccountExtract.kept`)."""

    store: StateStore
    kept: dict | None = None


# Optional User export beside accounts.csv: OwnerId,Name.
OWNERS_FILE = "owners.csv"


def _read_csv(path: Path) -> pd.DataFrame:
    """Everything as text: parsing belongs to standardization, where a bad value is
    flagged instead of crashing the read. Only a truly empty cell is null.

    pyarrow's multithreaded reader is tried first (a million-account export in a
    quarter of the time); a file it refuses (line breaks inside quotes, ragged rows,
    another encoding) is read again by pandas' own parser, whose answer or error then
    stands. A record with fewer fields than the header, or with a value past the
    header's last column, is refused first, naming its line: pandas would pad the one
    and take the first column of the other as an index, and every value after the
    missing or extra field would land in another column's place and be scored there.
    Empty fields past the header's last column (every record ending in a separator the
    header lacks) are dropped."""
    if not path.exists():
        raise CrmInputMissing(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise CrmInputMissing(f"{path}: empty file (not even a header)")
    separator = _declared_separator(path)
    options = {
        "dtype": str,
        "keep_default_na": False,
        "na_values": [""],
        "sep": separator or ",",
        "skiprows": 1 if separator else 0,
    }
    try:
        return pd.read_csv(path, engine="pyarrow", **options)
    except FileNotFoundError:
        raise CrmInputMissing(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        pass
    try:
        _check_record_widths(path, separator)
        return pd.read_csv(path, index_col=False, **options)
    except FileNotFoundError:
        raise CrmInputMissing(f"{path}: file not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        reason = " ".join(str(exc).split())  # the parser's own message may end in a newline
        raise CrmError(f"{path}: not a readable CSV export ({reason})") from None


def _declared_separator(path: Path) -> str | None:
    """The separator a `sep=;` first line names: Excel writes it (and reads it) so a file
    travels between locales whose lists use other separators. That line is no header."""
    with path.open("rb") as file:
        first = file.readline(64).decode("utf-8-sig", errors="replace").strip()
    found = re.fullmatch(r"sep=(.)", first)
    return found[1] if found else None


def _check_record_widths(path: Path, separator: str | None = None) -> None:
    """Raise a ParserError naming the first record (quoted line breaks read as the CSV
    rules say) with fewer fields than the header or a value past its last column, or the
    first record longer than the header in a file where others are not (an unquoted
    separator inside a value whose last column happens to be empty); blank lines are
    skipped, as pandas skips them. Every record ending in empty fields the header lacks
    is a tool's trailing separator, and passes."""
    with path.open(newline="", encoding="utf-8") as file:
        if separator:
            file.readline()
        records = csv.reader(file, delimiter=separator or ",")
        width = len(next(records, []))
        exact = longer = None
        for record in records:
            if not record:
                continue
            if len(record) < width or any(record[width:]):
                _refuse_record(records.line_num, len(record), width)
            if len(record) == width:
                exact = exact or records.line_num
            elif longer is None:
                longer = (records.line_num, len(record))
            if exact and longer:
                _refuse_record(*longer, width)


def _refuse_record(line: int, fields: int, width: int) -> None:
    raise pd.errors.ParserError(
        f"the record ending on line {line} has {fields} fields, the header {width}"
    )


def _conform(
    frame: pd.DataFrame, columns: tuple[str, ...], contract: InputFile, source: Path
) -> pd.DataFrame:
    """The export checked against its contract (required columns, each given once, at
    least one row), with every known column present and in order."""
    # Spaces around a known header name are no part of it (no field name holds one). The
    # reader names a repeated header "ARR__c.1"; no Salesforce field name holds a dot.
    frame = frame.rename(columns=lambda c: c.strip() if c.strip() in columns else c)
    names = list(frame.columns)
    repeated = [c for c in columns if names.count(c) > 1 or f"{c}.1" in names]
    if repeated:
        raise CrmError(
            f"{source}: column {repeated[0]} given more than once (which one holds the "
            "values cannot be told)"
        )
    try:
        check_columns(frame.columns, contract, str(source))
    except InputContractError as exc:
        raise CrmError(str(exc)) from None
    try:
        check_has_rows(len(frame), contract, str(source))
    except InputContractError as exc:
        raise CrmInputMissing(str(exc)) from None
    return frame.reindex(columns=[*columns, *[c for c in frame.columns if c not in columns]])


class FileCrm:
    """A folder of CSV exports named accounts.csv and product_usage.csv."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def read_accounts(self, since: datetime | None = None) -> AccountExtract:
        path = self.folder / ACCOUNTS_INPUT.file_name
        accounts = _conform(_read_csv(path), RAW_ACCOUNT_COLUMNS, ACCOUNTS_INPUT, path)
        names_by_owner = self.read_owner_names()
        # A User export may give the other form of the accounts' OwnerIds (15 or 18).
        owner_ids, _ = in_known_form(
            pd.Series(list(names_by_owner), dtype=object), accounts["OwnerId"]
        )
        names_by_owner = dict(zip(owner_ids, names_by_owner.values(), strict=True))
        named = accounts["OwnerId"].map(names_by_owner).astype(object)
        names = accounts["OwnerName"].astype(object).fillna(named)
        # Missing as None, as every other text column of the export reads: a night's
        # fresh rows then compare equal with the snapshot's carried ones.
        accounts["OwnerName"] = names.where(names.notna(), None)
        # Read by standardization's own parser; an unreadable stamp is NaT (read again).
        modstamp, _ = standardize_timestamps(accounts["SystemModstamp"])
        # Ids read as the pipeline reads them (trimmed): the file lists every account.
        listed = as_text(accounts["Id"]).dropna()
        if since is not None:
            keep = modstamp > as_utc(since)
            accounts = accounts[keep.fillna(True)].reset_index(drop=True)
        hwm = modstamp.max()
        return AccountExtract(
            accounts=accounts,
            high_water_mark=None if pd.isna(hwm) else hwm.to_pydatetime(),
            full_refresh=since is None,
            source=ACCOUNTS_INPUT.file_name,
            listed_ids=listed,
        )

    def read_owner_names(self) -> dict[str, str]:
        """OwnerId -> Name from the optional owners.csv (a User export): names for the
        owners reports and views show; without the file, accounts carry their Ids only."""
        path = self.folder / OWNERS_FILE
        if not path.exists():
            return {}
        owners = _read_csv(path)
        missing = [c for c in ("OwnerId", "Name") if c not in owners.columns]
        if missing:
            raise CrmError(f"{path}: missing column(s) {', '.join(missing)}")
        owners = owners.dropna(subset=["OwnerId"]).drop_duplicates("OwnerId", keep="last")
        return dict(zip(owners["OwnerId"], owners["Name"], strict=True))

    def read_usage(self) -> pd.DataFrame:
        """The usage export; CrmInputMissing when it is absent, empty or header only
        (whether that is an error is the framework's call: `inputs.usage_feed`)."""
        path = self.folder / USAGE_INPUT.file_name
        return _conform(_read_csv(path), RAW_USAGE_COLUMNS, USAGE_INPUT, path)
