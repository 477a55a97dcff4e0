"""Records refused at the door: each leaves as a rejected-records row with a reason.

An export can hold records the pipeline cannot use as they are: no Id, an Id a
spreadsheet turned into a number (`1.5E+52`: the digits it stood for are lost, and several
records may now share it), a date no account
can have (CreatedDate 9999-12-31), a SystemModstamp in the future (which would pin the
high-water mark), or the same Id twice. Dropping them silently (or crashing on them)
loses accounts without a trace; here each is kept out of the snapshot and written to the
rejected-records table with why, so rows read = accepted + rejected, always.

Of two or more records with one Id, the copy with the latest SystemModstamp is kept (the
CRM's newest version; an unreadable stamp counts as oldest, a tie goes to the later row
of the export) and every other copy is rejected as `duplicate_id`. Ids are compared
trimmed, as the rest of the pipeline reads them. Records stamped in the
future are rejected (`future_timestamp`), not kept: their stamp cannot be trusted to
order edits, and a rejected record comes back by itself once the CRM corrects it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation_pipeline.core.standardize.dates import standardize_timestamps
from segmentation_pipeline.core.standardize.text import as_text, fullmatch

MISSING_ID = "missing_id"
MANGLED_ID = "mangled_id"
DATE_OUT_OF_RANGE = "date_out_of_range"
FUTURE_TIMESTAMP = "future_timestamp"
DUPLICATE_ID = "duplicate_id"
REASONS = (MISSING_ID, MANGLED_ID, DATE_OUT_OF_RANGE, FUTURE_TIMESTAMP, DUPLICATE_ID)
# A number in scientific notation as a spreadsheet writes one (1.5E+52, 1,23457E+14): no
# Salesforce Id holds a sign, so no real Id matches.
_SCIENTIFIC = r"[+-]?\d+(?:[.,]\d+)?[eE][+-]\d+"

REJECTED_COLUMNS: tuple[str, ...] = ("account_id", "source_file", "reason", "detail")


@dataclass(frozen=True)
class Screening:
    """An extract split in two: the records kept (in extract order) and the rejected rows."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    accepted_modstamps: pd.Series
    """The accepted records' SystemModstamp as UTC timestamps (NaT when unreadable)."""

    @property
    def rows_read(self) -> int:
        return len(self.accepted) + len(self.rejected)


def empty_rejections() -> pd.DataFrame:
    """A rejected-records frame with no rows and text columns (never inferred from data)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTED_COLUMNS})


def _stamp(values: pd.Series, row: int) -> str:
    text = values.iloc[row]
    return "" if pd.isna(text) else str(text)


def screen_records(
    extract: pd.DataFrame,
    *,
    latest_believable: pd.Timestamp,
    source_file: str,
    day_first: bool = False,
    key: str = "Id",
) -> Screening:
    """Split a raw extract (Salesforce field names, text values) into accepted records and
    rejected rows. The first reason that applies wins, in the order of REASONS; duplicates
    are resolved among the records that passed the other tests."""
    rows = extract.reset_index(drop=True)
    n = len(rows)
    reasons = np.full(n, None, dtype=object)
    details = np.full(n, None, dtype=object)
    limit = pd.Timestamp(latest_believable)
    limit = limit.tz_localize("UTC") if limit.tzinfo is None else limit.tz_convert("UTC")
    null = pd.Series(None, index=rows.index, dtype=object)

    ids, scientific = null, np.zeros(n, dtype=bool)
    if key in rows.columns:
        # Read as standardization reads it: " 001A " and "001A" are one record, and a
        # second copy of it is a duplicate, not a second account.
        text = as_text(rows[key])
        if not text.equals(rows[key].astype(text.dtype)):
            rows[key] = text
        ids = text.astype(object).where(text.notna(), None)
        scientific = fullmatch(text, _SCIENTIFIC)
    no_id = ids.isna().to_numpy()
    reasons[no_id] = MISSING_ID
    details[no_id] = [f"row {i + 1} of the export has no {key}" for i in np.flatnonzero(no_id)]
    mangled = scientific & ~no_id
    reasons[mangled] = MANGLED_ID
    details[mangled] = [
        f"row {i + 1}: {key} {ids.iloc[i]} is a number in scientific notation (a spreadsheet "
        "saved the Id as a number; export it as text)"
        for i in np.flatnonzero(mangled)
    ]

    checks = ((DATE_OUT_OF_RANGE, "CreatedDate"), (FUTURE_TIMESTAMP, "SystemModstamp"))
    stamps = {}
    for reason, column in checks:
        raw = rows[column] if column in rows.columns else null
        stamps[column], _ = standardize_timestamps(raw, day_first)
        late = (stamps[column] > limit).fillna(False).to_numpy(dtype=bool) & (reasons == None)  # noqa: E711
        reasons[late] = reason
        # The limit moves with the clock: naming it would make a re-run on the same
        # input rewrite the detail, so the detail names the setting instead.
        details[late] = [
            f"{column} {_stamp(raw, i)} is later than now plus the tolerance "
            "(inputs.future_tolerance_minutes)"
            for i in np.flatnonzero(late)
        ]

    # Duplicates among the records still standing: the latest SystemModstamp wins. Only
    # the rows of a repeated Id are sorted (a million distinct Ids cost one hash pass).
    standing = np.flatnonzero(reasons == None)  # noqa: E711
    repeated = standing[ids.iloc[standing].duplicated(keep=False).to_numpy()]
    if len(repeated):
        candidates = pd.DataFrame(
            {
                "id": ids.iloc[repeated].to_numpy(),
                "stamp": stamps["SystemModstamp"].iloc[repeated].array,
                "row": repeated,
            }
        )
        ordered = candidates.sort_values(["id", "stamp", "row"], na_position="first")
        by_id = ordered.groupby("id", sort=False)["row"]
        loser = ordered.duplicated("id", keep="last").to_numpy()
        winner_row = by_id.transform("last").to_numpy()[loser]
        copies = by_id.transform("size").to_numpy()[loser]
        raw_stamps = rows["SystemModstamp"] if "SystemModstamp" in rows.columns else null
        for row, kept, count in zip(
            ordered["row"].to_numpy()[loser], winner_row, copies, strict=True
        ):
            reasons[row] = DUPLICATE_ID
            details[row] = (
                f"row {row + 1}: {count} records with this {key}; kept row {kept + 1} "
                f"(latest SystemModstamp {_stamp(raw_stamps, kept) or 'none'})"
            )

    rejected_mask = reasons != None  # noqa: E711
    rejected = pd.DataFrame(
        {
            "account_id": ids.to_numpy(dtype=object)[rejected_mask],
            "source_file": source_file,
            "reason": reasons[rejected_mask],
            "detail": details[rejected_mask],
        },
        columns=list(REJECTED_COLUMNS),
    ).astype(object)
    accepted = rows[~rejected_mask].reset_index(drop=True)
    modstamps = stamps["SystemModstamp"][~rejected_mask].reset_index(drop=True)
    return Screening(accepted, rejected.reset_index(drop=True), modstamps)


def believable_mark(
    mark: pd.Timestamp | None, accepted_stamps: pd.Series, latest_believable: pd.Timestamp
) -> pd.Timestamp | None:
    """The high-water mark to keep: the source's own when it is believable, else the latest
    accepted record's stamp that is (a future stamp never advances the mark)."""
    if mark is not None and pd.Timestamp(mark) <= latest_believable:
        return pd.Timestamp(mark)
    fair = accepted_stamps[accepted_stamps <= latest_believable]
    return None if fair.dropna().empty else fair.max()


def carry_rejections(
    previous: pd.DataFrame | None,
    tonight: pd.DataFrame,
    read_ids: Iterable[str],
    deleted_ids: Iterable[str],
    full_refresh: bool,
    run_id: str,
) -> pd.DataFrame:
    """The month's rejected records after tonight, each with the `run_id` of the run that
    first rejected it this month (a re-run on the same input changes no row).

    A full extract's verdicts replace all earlier ones; an incremental one replaces the
    verdicts of the Ids it read again (and of deleted ones) and keeps the rest: a record not
    re-read is still rejected. `previous` is the same month's earlier result, or None."""
    found = tonight.assign(run_id=run_id)
    if previous is not None and not previous.empty:
        verdict = list(REJECTED_COLUMNS)
        earlier = previous.drop_duplicates(verdict)[[*verdict, "run_id"]]
        first = found.drop(columns="run_id").merge(earlier, on=verdict, how="left")["run_id"]
        found["run_id"] = first.fillna(run_id).to_numpy()
    if full_refresh or previous is None or previous.empty:
        return found.reset_index(drop=True).astype(object)
    settled = set(read_ids) | set(deleted_ids)
    still = previous[~previous["account_id"].isin(settled)]
    carried = pd.concat([still, found], ignore_index=True) if len(still) else found
    return carried.drop_duplicates(list(REJECTED_COLUMNS)).reset_index(drop=True).astype(object)
