"""What to write back to the CRM: the segment fields that changed, and how to send them.

Pure logic over plain frames. Input: `segment_assignments` (one row per account) and the
values the CRM holds now for the segment fields. Output: a `SyncPlan` listing, per
account, the fields whose value differs (old -> new) and the records to send; accounts
under a manual override are never written. Values are compared the way the CRM stores
them (numbers at the field's scale, text cut to the field's length, blank == null), so
an unchanged account produces no write at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

from segmentation_pipeline.core.explanations import display_scores

# Pipeline column -> Salesforce Account field.
DEFAULT_FIELD_MAP: dict[str, str] = {
    "segment": "Customer_Tier__c",
    "service_model_label": "Service_Model__c",
    "composite_score": "Composite_Score__c",
    "provisional": "Segment_Provisional__c",
    "at_risk": "Segment_At_Risk__c",
    "explanation": "Segment_Explanation__c",
    "framework_version": "Segment_Framework_Version__c",
}
# Stamped on every record sent; never compared (it would make every account "changed").
DEFAULT_UPDATED_AT_FIELD = "Segment_Updated_At__c"

WritePath = Literal["none", "collections", "bulk"]

_NUMERIC_TYPES = ("double", "currency", "percent", "int")
_TEXT_TYPES = ("string", "textarea", "picklist", "url", "phone", "email")


@dataclass(frozen=True)
class CrmField:
    """The describe facts about one CRM field that the sync needs."""

    name: str
    type: str
    updateable: bool = True
    length: int = 0
    scale: int = 0
    picklist_values: frozenset[str] = frozenset()
    restricted_picklist: bool = False


class CrmFieldError(ValueError):
    """Configured fields the CRM object does not have (or will not let us write)."""


@dataclass
class SyncPlan:
    """The outcome of comparing wanted with current values.

    `changes`: one row per account to write (account_id, changes = {field: [old, new]}).
    `records`: the payloads to send, aligned with `changes` ({"Id": ..., field: value}).
    `skipped`: accounts not written and why (override, not_in_crm, invalid_value).
    """

    changes: pd.DataFrame
    records: list[dict[str, Any]]
    skipped: pd.DataFrame
    unchanged: int = 0
    field_changes: dict[str, int] = field(default_factory=dict)


def check_fields(
    field_map: Mapping[str, str], updated_at_field: str | None, crm_fields: Mapping[str, CrmField]
) -> None:
    """Fail naming every mapped field the object lacks or cannot update."""
    wanted = list(field_map.values()) + ([updated_at_field] if updated_at_field else [])
    missing = [name for name in wanted if name not in crm_fields]
    readonly = [name for name in wanted if name in crm_fields and not crm_fields[name].updateable]
    problems = []
    if missing:
        problems.append("missing on the CRM object: " + ", ".join(missing))
    if readonly:
        problems.append("not updateable: " + ", ".join(readonly))
    if problems:
        raise CrmFieldError("segment write-back fields " + "; ".join(problems))


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def crm_value(value: Any, crm_field: CrmField) -> Any:
    """A value as the CRM would store it in `crm_field` (JSON-safe), None for blank."""
    kind = crm_field.type
    if kind == "boolean":
        if _is_blank(value):
            return False
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)
    if _is_blank(value):
        return None
    if kind in _NUMERIC_TYPES:
        number = float(value)
        return int(round(number)) if kind == "int" else round(number, crm_field.scale)
    if kind == "datetime":
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    if kind in _TEXT_TYPES and crm_field.length:
        text = text[: crm_field.length]
    return text


def _same(a: Any, b: Any, crm_field: CrmField) -> bool:
    if crm_field.type in _NUMERIC_TYPES and a is not None and b is not None:
        return math.isclose(a, b, abs_tol=0.5 * 10 ** (-crm_field.scale))
    if crm_field.type == "datetime" and a is not None and b is not None:
        return pd.Timestamp(a) == pd.Timestamp(b)
    return a == b


def _picklist_problem(value: Any, crm_field: CrmField) -> str | None:
    if (
        crm_field.type == "picklist"
        and crm_field.restricted_picklist
        and value is not None
        and value not in crm_field.picklist_values
    ):
        allowed = ", ".join(sorted(crm_field.picklist_values))
        return f"{crm_field.name}: {value!r} is not an allowed picklist value ({allowed})"
    return None


def _overridden(row: Mapping[str, Any]) -> bool:
    override = row.get("segment_override")
    flagged = not _is_blank(override) and bool(override)
    return flagged or row.get("status") == "overridden"


def _as_extracted(extracted: pd.DataFrame | None, fields: Iterable[str]) -> pd.DataFrame:
    """The extract's values of the written `fields` it read, by Id (an Id once)."""
    if extracted is None:
        return pd.DataFrame()
    read = extracted[[f for f in dict.fromkeys(fields) if f in extracted.columns]]
    return read[~read.index.duplicated(keep="last")]


def plan_sync(
    assignments: pd.DataFrame,
    crm_current: pd.DataFrame,
    crm_fields: Mapping[str, CrmField],
    field_map: Mapping[str, str] = DEFAULT_FIELD_MAP,
    updated_at_field: str | None = DEFAULT_UPDATED_AT_FIELD,
    updated_at: datetime | None = None,
    fill_blank: Collection[str] = (),
    keep_when_blank: Collection[str] = (),
    override_field: str | None = None,
    extracted: pd.DataFrame | None = None,
) -> SyncPlan:
    """Compare wanted segment values with `crm_current` (indexed by `Id`, one column per
    CRM field) and list what must be written.

    Accounts with `segment_override` (or status "overridden") are skipped; so are accounts
    the CRM does not hold and accounts whose new value the describe forbids (a value not
    in a restricted picklist): those go to `skipped` with the reason. CRM fields in
    `fill_blank` are written only where the CRM holds nothing (a person's value wins);
    a blank wanted value of a field in `keep_when_blank` means "no opinion", never "clear".
    `override_field` (a CRM checkbox in `crm_current`): a record the CRM itself marks as
    manually overridden is skipped too, whatever the wanted row says.
    `extracted` (indexed by `Id`): the CRM fields as tonight's extract read them. A record
    whose current value of a field to be written differs from it was edited in the CRM
    while the night ran (a CSM setting the tier): it is skipped (`changed_since_extract`),
    and the next night reads the edit as any other, instead of it being written over.
    """
    check_fields(field_map, updated_at_field, crm_fields)
    missing_cols = [c for c in ["account_id", *field_map] if c not in assignments.columns]
    if missing_cols:
        raise KeyError("segment_assignments lacks column(s): " + ", ".join(missing_cols))
    if "composite_score" in field_map:  # the CRM shows the score as the explanation does
        assignments = assignments.assign(
            composite_score=display_scores(assignments["composite_score"])
        )
    stamp = crm_value(updated_at, crm_fields[updated_at_field]) if updated_at_field else None
    read = _as_extracted(extracted, field_map.values())
    current = crm_current.to_dict("index") if len(crm_current) else {}

    change_rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    unchanged = 0
    per_field = dict.fromkeys(field_map.values(), 0)
    for row in assignments.to_dict("records"):
        account_id = row["account_id"]
        if _overridden(row):
            skipped.append({"account_id": account_id, "reason": "override", "detail": None})
            continue
        held = current.get(account_id)
        if held is None:
            skipped.append(
                {"account_id": account_id, "reason": "not_in_crm", "detail": "no such record"}
            )
            continue
        if override_field and crm_value(held.get(override_field), CrmField("", "boolean")):
            skipped.append({"account_id": account_id, "reason": "override", "detail": None})
            continue
        diff: dict[str, list[Any]] = {}
        problems = []
        for column, name in field_map.items():
            spec = crm_fields[name]
            new = crm_value(row.get(column), spec)
            old = crm_value(held.get(name), spec)
            if _same(old, new, spec):
                continue
            if (name in fill_blank and old is not None) or (
                name in keep_when_blank and new is None
            ):
                continue
            problem = _picklist_problem(new, spec)
            if problem:
                problems.append(problem)
            diff[name] = [old, new]
        if problems:
            skipped.append(
                {"account_id": account_id, "reason": "invalid_value", "detail": "; ".join(problems)}
            )
            continue
        edited = [
            f"{name}: the extract read {read.at[account_id, name]!r}, the CRM holds {pair[0]!r}"
            for name, pair in diff.items()
            if account_id in read.index
            and name in read.columns
            and not _same(crm_value(read.at[account_id, name], crm_fields[name]), pair[0],
                          crm_fields[name])
        ]  # fmt: skip
        if edited:
            skipped.append(
                {"account_id": account_id, "reason": "changed_since_extract",
                 "detail": "; ".join(edited)}
            )  # fmt: skip
            continue
        if not diff:
            unchanged += 1
            continue
        for name in diff:
            per_field[name] += 1
        record = {"Id": account_id, **{name: pair[1] for name, pair in diff.items()}}
        if updated_at_field:
            record[updated_at_field] = stamp
        records.append(record)
        change_rows.append({"account_id": account_id, "changes": diff})

    return SyncPlan(
        changes=pd.DataFrame(change_rows, columns=["account_id", "changes"]),
        records=records,
        skipped=pd.DataFrame(skipped, columns=["account_id", "reason", "detail"]),
        unchanged=unchanged,
        field_changes={k: v for k, v in per_field.items() if v},
    )


def choose_write_path(n_records: int, bulk_threshold: int) -> WritePath:
    """sObject Collections for small change sets, one Bulk API 2.0 job from the threshold up."""
    if n_records <= 0:
        return "none"
    return "bulk" if n_records >= bulk_threshold else "collections"


def chunked(records: list[dict[str, Any]], size: int = 200) -> list[list[dict[str, Any]]]:
    """Collections take at most 200 records per call."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    return [records[i : i + size] for i in range(0, len(records), size)]


def changes_text(changes: Mapping[str, list[Any]]) -> str:
    """A stable JSON rendering of {field: [old, new]} for the sync log."""
    return json.dumps(dict(changes), sort_keys=True, default=str)


@dataclass(frozen=True)
class WriteBackEcho:
    """How the pipeline's own write-back looks when the CRM hands it back: the raw
    columns it writes, and the flag under which those columns are a person's input
    instead (a manual override is never written, so its tier is always someone's edit)."""

    fields: tuple[str, ...]
    manual_flag: str | None = None
    # The fields the flag hands to a person (the segment's); empty: all of `fields`.
    manual_fields: tuple[str, ...] = ()


def echoed_write_backs(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    ids: list[str],
    key: str,
    echo: WriteBackEcho,
    ignore: tuple[str, ...] = (),
) -> list[str]:
    """Of the records `ids` that changed between two extracts, those whose only change
    is in the pipeline's own write-back fields (and not under a manual override): the
    next night's echo of the last write-back, not an edit in the CRM."""
    if previous is None or not ids or not echo.fields:
        return []
    before = previous.drop_duplicates(key).set_index(key).reindex(ids)
    after = current.drop_duplicates(key).set_index(key).reindex(ids)
    skip = {*echo.fields, *ignore}
    compared = [c for c in after.columns if c in before.columns and c not in skip]
    same = (before[compared].isna() & after[compared].isna()) | before[compared].eq(after[compared])
    own = same.all(axis=1)
    if echo.manual_flag and echo.manual_flag in after:
        manual = after[echo.manual_flag].astype(str).str.strip().str.lower().isin(["true", "1"])
        governed = [c for c in (echo.manual_fields or echo.fields) if c in after and c in before]
        moved = ~(
            (before[governed].isna() & after[governed].isna())
            | before[governed].eq(after[governed])
        ).all(axis=1)
        own &= ~(manual & moved) if echo.manual_fields else ~manual
    return own[own].index.tolist()


@dataclass(frozen=True)
class Unwritten:
    """What a write-back left out of the CRM: the check's verdict on one run's log."""

    accounts: int  # records whose write failed, was not sent or could not be confirmed
    again: int  # of those, records the previous run could not write either
    by_error: dict[str, int]  # error code (or outcome) -> records
    # Why the run stopped before it read the CRM's values: nothing was compared, so no
    # record is known to be written (None: the run compared them).
    not_compared: str | None = None

    @property
    def passed(self) -> bool:
        return self.accounts == 0 and self.not_compared is None

    def summary(self) -> str:
        if self.not_compared is not None:
            return (
                "the write-back stopped before it compared any record with the CRM "
                f"({self.not_compared}); nothing was written, the next run compares them all"
            )
        if self.passed:
            return "every changed record was written"
        errors = ", ".join(f"{code} {n}" for code, n in self.by_error.items())
        text = f"{self.accounts} record(s) not written to the CRM ({errors})"
        if self.again:
            text += (
                f"; {self.again} of them failed the previous run too: something in the org "
                "(a validation rule, a permission) keeps them out"
            )
        return text + ". Every run sends them again; crm_sync_log has each record's error."


def unwritten(
    log: pd.DataFrame,
    previous: pd.DataFrame,
    outcomes: Collection[str],
    not_compared: str | None = None,
) -> Unwritten:
    """`log`: one run's rows (account_id, outcome, error_code); `previous`: the accounts
    the run before could not write; `outcomes`: the outcomes that leave a record unwritten;
    `not_compared`: why the run stopped before it read the CRM (its empty log then says
    nothing about what is written)."""
    rows = log[log["outcome"].isin(list(outcomes))]
    codes = rows["error_code"].fillna(rows["outcome"]).value_counts()
    again = rows["account_id"].isin(set(previous["account_id"]))
    by_error = {str(k): int(n) for k, n in codes.items()}
    return Unwritten(len(rows), int(again.sum()), by_error, not_compared)
