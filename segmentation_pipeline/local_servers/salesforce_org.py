"""An in-memory Salesforce org for the local API server: objects, describe, records, SOQL.

Values are held the way the REST API returns them in JSON (ISO strings for dates and
datetimes, numbers, booleans, None), so the server can hand them out unchanged. The
SOQL subset is what the pipeline sends: `SELECT f, ... FROM Obj [WHERE c AND ...]
[ORDER BY f [ASC|DESC], ...] [LIMIT n]` with comparisons, `IN (...)` and literals.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def format_datetime(value: datetime) -> str:
    """REST shape of a datetime: `2024-05-01T12:00:00.000+0000`."""
    value = value.astimezone(UTC)
    return value.strftime(DATETIME_FORMAT)[:-3] + "+0000"


def parse_datetime(text: str) -> datetime:
    cleaned = text.strip().replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", cleaned):
        cleaned = cleaned[:-2] + ":" + cleaned[-2:]
    parsed = datetime.fromisoformat(cleaned)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- Record ids ---------------------------------------------------------------------
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _id_suffix(id15: str) -> str:
    """The 3-character case checksum that turns a 15-character id into 18 characters."""
    out = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        out += _SUFFIX_CHARS[bits]
    return out


def make_id(prefix: str, number: int) -> str:
    digits = ""
    while True:
        number, rem = divmod(number, 62)
        digits = _BASE62[rem] + digits
        if number == 0:
            break
    id15 = prefix + "0" * (12 - len(digits)) + digits
    return id15 + _id_suffix(id15)


# --- Fields ---------------------------------------------------------------------------
@dataclass
class FieldDef:
    """One field of an sObject, with the properties describe reports."""

    name: str
    type: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    updateable: bool = True
    nillable: bool = True
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    label: str = ""

    def describe(self) -> dict[str, Any]:
        soap = {
            "id": "tns:ID",
            "reference": "tns:ID",
            "boolean": "xsd:boolean",
            "double": "xsd:double",
            "currency": "xsd:double",
            "percent": "xsd:double",
            "int": "xsd:int",
            "date": "xsd:date",
            "datetime": "xsd:dateTime",
        }.get(self.type, "xsd:string")
        return {
            "name": self.name,
            "label": self.label or self.name.removesuffix("__c").replace("_", " "),
            "type": self.type,
            "soapType": soap,
            "length": self.length,
            "precision": self.precision,
            "scale": self.scale,
            "custom": self.name.endswith("__c"),
            "nillable": self.nillable,
            "updateable": self.updateable,
            "createable": self.updateable,
            "filterable": True,
            "sortable": self.type != "textarea",
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
                for v in self.picklist
            ],
        }


def _f(name: str, type_: str, **kw: Any) -> FieldDef:
    defaults = {"string": 255, "url": 255, "phone": 40, "textarea": 255, "picklist": 255}
    if "length" not in kw and type_ in defaults:
        kw["length"] = defaults[type_]
    if type_ in ("id", "reference"):
        kw.setdefault("length", 18)
    return FieldDef(name, type_, **kw)


def _system_fields() -> list[FieldDef]:
    return [
        _f("Id", "id", updateable=False, nillable=False),
        _f("IsDeleted", "boolean", updateable=False, nillable=False),
        _f("CreatedDate", "datetime", updateable=False, nillable=False),
        _f("SystemModstamp", "datetime", updateable=False, nillable=False),
    ]


SEGMENT_TIERS = ("Tier 1", "Tier 2", "Tier 3", "Unsegmented")
SERVICE_MODELS = ("High-Touch", "Low-Touch", "Tech-Touch")


def account_fields() -> list[FieldDef]:
    """The Account object of a org set up as docs/salesforce.md describes."""
    return [
        *_system_fields(),
        _f("Name", "string", nillable=False),
        _f("Website", "url"),
        _f("Industry", "picklist"),
        _f("NumberOfEmployees", "int", precision=8),
        _f("AnnualRevenue", "currency", precision=18),
        _f("BillingCountry", "string", length=80),
        _f("BillingCity", "string", length=40),
        _f("Phone", "phone"),
        _f("OwnerId", "reference"),
        _f("ARR__c", "currency", precision=16, scale=2),
        _f("Contract_Term__c", "picklist"),
        _f("Contract_End_Date__c", "date"),
        _f("Expansion_Pipeline__c", "currency", precision=16, scale=2),
        _f("Strategic_Importance__c", "picklist"),
        _f("Growth_Stage__c", "picklist"),
        _f("Segment_Override__c", "boolean", nillable=False),
        _f("Customer_Tier__c", "picklist", picklist=SEGMENT_TIERS, restricted=True),
        _f("Service_Model__c", "picklist", picklist=SERVICE_MODELS, restricted=True),
        _f("Composite_Score__c", "double", precision=4, scale=2),
        _f("Segment_Provisional__c", "boolean", nillable=False),
        _f("Segment_At_Risk__c", "boolean", nillable=False),
        _f("Segment_Explanation__c", "textarea", length=32768),
        _f("Segment_Framework_Version__c", "string", length=40),
        _f("Segment_Updated_At__c", "datetime"),
        # A lookup to the surviving Account of a folded duplicate (see docs/salesforce.md).
        _f("Duplicate_Of__c", "reference"),
        # Set by a merge on the records it deleted: the Id of the record kept.
        _f("MasterRecordId", "reference", updateable=False),
    ]


def related_objects() -> dict[str, list[FieldDef]]:
    return {
        "Opportunity": [
            *_system_fields(),
            _f("AccountId", "reference"),
            _f("Name", "string"),
            _f("Amount", "currency", precision=18, scale=2),
            _f("StageName", "picklist"),
            _f("Type", "picklist"),
            _f("IsClosed", "boolean", updateable=False, nillable=False),
        ],
        "Contract": [
            *_system_fields(),
            _f("AccountId", "reference"),
            _f("StartDate", "date"),
            _f("EndDate", "date", updateable=False),
            _f("Status", "picklist", picklist=("Draft", "Activated", "Expired")),
        ],
        "Case": [
            *_system_fields(),
            _f("AccountId", "reference"),
            _f("Subject", "string"),
            _f("IsClosed", "boolean", updateable=False, nillable=False),
        ],
        # A reviewer's decision on an account's tier move (docs/salesforce.md).
        "Segment_Review__c": [
            *_system_fields(),
            _f("Account__c", "reference"),
            _f("Decision__c", "picklist", picklist=("Approve", "Reject")),
            _f("To_Segment__c", "picklist", picklist=SEGMENT_TIERS, restricted=True),
            _f("Decided_By__c", "string", length=80),
            _f("Decided_At__c", "datetime"),
            _f("Note__c", "textarea"),
        ],
        # Record owners: the extract reads their names (Name is read-only in Salesforce).
        "User": [
            *_system_fields(),
            _f("Name", "string", length=121, updateable=False),
            _f("IsActive", "boolean", nillable=False),
        ],
    }


KEY_PREFIXES = {
    "Account": "001",
    "Opportunity": "006",
    "Contract": "800",
    "Case": "500",
    "Segment_Review__c": "a0R",
    "User": "005",
}
_BOOLEAN_DEFAULTED = ("boolean",)


class RecordError(Exception):
    """A per-record failure, shaped like Salesforce's `errors` entries."""

    def __init__(self, status_code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.fields = fields or []

    def as_json(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}


class QueryError(Exception):
    """A request-level failure (HTTP 400) with Salesforce's errorCode."""

    def __init__(self, error_code: str, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass
class SObjectTable:
    name: str
    fields: dict[str, FieldDef]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def field_named(self, name: str) -> FieldDef | None:
        direct = self.fields.get(name)
        if direct is not None:
            return direct
        lowered = name.lower()
        return next((f for f in self.fields.values() if f.name.lower() == lowered), None)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.name,
            "keyPrefix": KEY_PREFIXES.get(self.name),
            "custom": False,
            "queryable": True,
            "updateable": True,
            "createable": True,
            "fields": [f.describe() for f in self.fields.values()],
            "urls": {"describe": f"/services/data/vXX.X/sobjects/{self.name}/describe"},
        }


class Org:
    """Objects and records, with a clock that makes every SystemModstamp distinct."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, SObjectTable] = {
            "Account": SObjectTable("Account", {f.name: f for f in account_fields()})
        }
        for name, fields in related_objects().items():
            self.tables[name] = SObjectTable(name, {f.name: f for f in fields})
        self._counter = 0
        self._last_stamp = datetime(2000, 1, 1, tzinfo=UTC)

    # --- clock and ids ---
    def _stamp(self) -> str:
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        return format_datetime(now)

    def table(self, name: str) -> SObjectTable:
        table = self.tables.get(name) or next(
            (t for t in self.tables.values() if t.name.lower() == name.lower()), None
        )
        if table is None:
            raise QueryError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
        return table

    # --- test-side helpers (what a user would do in the Salesforce UI) ---
    def insert(self, sobject: str, values: dict[str, Any]) -> str:
        with self.lock:
            table = self.table(sobject)
            self._counter += 1
            record_id = values.get("Id") or make_id(
                KEY_PREFIXES.get(table.name, "a00"), self._counter
            )
            stamp = self._stamp()
            record: dict[str, Any] = {f.name: None for f in table.fields.values()}
            for f in table.fields.values():
                if f.type in _BOOLEAN_DEFAULTED:
                    record[f.name] = False
            record.update({"Id": record_id, "CreatedDate": stamp, "SystemModstamp": stamp})
            for key, value in values.items():
                fdef = table.field_named(key)
                if fdef is None:
                    raise KeyError(f"{table.name} has no field {key}")
                record[fdef.name] = value
            record["Id"] = record_id
            table.records[record_id] = record
            return record_id

    def insert_many(self, sobject: str, rows: list[dict[str, Any]]) -> list[str]:
        return [self.insert(sobject, row) for row in rows]

    def load_export(self, sobject: str, rows: list[dict[str, Any]]) -> list[str]:
        """Insert rows of a CSV export, typing each cell by its field as an import would;
        cells the field type cannot hold (e.g. "239-479" employees) become null."""
        table = self.table(sobject)
        typed = []
        for row in rows:
            values = {}
            for key, value in row.items():
                fdef = table.field_named(key)
                if fdef is not None and fdef.name != "SystemModstamp":
                    values[fdef.name] = _lenient(fdef, value)
            typed.append(values)
        return self.insert_many(sobject, typed)

    def touch(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        """Change fields as a user would, bumping SystemModstamp; no validation."""
        with self.lock:
            record = self.table(sobject).records[record_id]
            record.update(values)
            record["SystemModstamp"] = self._stamp()

    def delete(self, sobject: str, record_id: str) -> None:
        """To the recycle bin: `queryAll` still lists it, with IsDeleted = true."""
        self.touch(sobject, record_id, {"IsDeleted": True})

    def merge(self, sobject: str, master_id: str, loser_ids: list[str]) -> None:
        """Merge records as Salesforce does (SOAP API `merge()`, Apex `merge`): the losers
        go to the recycle bin with MasterRecordId = the master, their child records
        (Opportunities, Contracts, Cases) move to the master, and the master is saved."""
        with self.lock:
            for loser in loser_ids:
                for table in self.tables.values():
                    if "AccountId" not in table.fields:
                        continue
                    for child_id, child in table.records.items():
                        if child.get("AccountId") == loser:
                            self.touch(table.name, child_id, {"AccountId": master_id})
                self.touch(sobject, loser, {"IsDeleted": True, "MasterRecordId": master_id})
            self.touch(sobject, master_id, {})

    def purge(self, sobject: str, record_id: str) -> None:
        """Hard-deleted (emptied from the recycle bin, or deleted long ago): the record is
        gone from `query` and `queryAll` alike, as from Salesforce's getDeleted."""
        with self.lock:
            del self.table(sobject).records[record_id]

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        return dict(self.table(sobject).records[record_id])

    # --- API-side writes ---
    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        """Validate and apply an update; raises RecordError like the API reports it."""
        with self.lock:
            table = self.table(sobject)
            record = table.records.get(record_id)
            if record is None:
                raise RecordError(
                    "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {record_id}"
                )
            if record.get("IsDeleted"):
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted")
            clean = {}
            for key, value in values.items():
                fdef = table.field_named(key)
                if fdef is None:
                    raise RecordError(
                        "INVALID_FIELD", f"No such column '{key}' on sobject of type {table.name}"
                    )
                if not fdef.updateable:
                    raise RecordError(
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        f"Unable to create/update fields: {fdef.name}.",
                        [fdef.name],
                    )
                clean[fdef.name] = coerce_json_value(fdef, value)
                self._check_lookup(fdef, clean[fdef.name])
            record.update(clean)
            record["SystemModstamp"] = self._stamp()

    def _check_lookup(self, fdef: FieldDef, value: Any) -> None:
        """A lookup must name an existing record of its object, as the API insists."""
        if fdef.name != "Duplicate_Of__c" or value is None:
            return
        target = self.tables["Account"].records.get(value)
        if target is None or target.get("IsDeleted"):
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"Duplicate Of: id value of incorrect type: {value}",
                [fdef.name],
            )

    # --- queries ---
    def run_query(self, soql: str, include_deleted: bool) -> tuple[str, list[dict[str, Any]]]:
        """Return (object name, records with the selected fields) for a SOQL string."""
        parsed = parse_soql(soql)
        with self.lock:
            table = self.table(parsed.sobject)
            counting = parsed.fields == ["COUNT()"]
            fields = []
            for name in [] if counting else parsed.fields:
                fdef = table.field_named(name)
                if fdef is None:
                    raise QueryError(
                        "INVALID_FIELD",
                        f"\n{soql}\nERROR at Row:1:Column:1\nNo such column '{name}' on entity "
                        f"'{table.name}'. If you are attempting to use a custom field, be sure to "
                        "append the '__c' after the custom field name.",
                    )
                fields.append(fdef)
            conditions = [(self._resolve(table, c[0]), c[1], c[2]) for c in parsed.where]
            order = [(self._resolve(table, name), desc) for name, desc in parsed.order_by]
            rows = [
                r
                for r in table.records.values()
                if (include_deleted or not r.get("IsDeleted"))
                and all(_matches(r.get(f.name), f, op, lit) for f, op, lit in conditions)
            ]
            for fdef, desc in reversed(order):
                rows.sort(key=lambda r, f=fdef: _sort_key(r.get(f.name), f), reverse=desc)
            if parsed.limit is not None:
                rows = rows[: parsed.limit]
            if counting:
                return table.name, [{}] * len(rows)
            return table.name, [{f.name: r.get(f.name) for f in fields} for r in rows]

    @staticmethod
    def _resolve(table: SObjectTable, name: str) -> FieldDef:
        fdef = table.field_named(name)
        if fdef is None:
            raise QueryError("INVALID_FIELD", f"No such column '{name}' on entity '{table.name}'.")
        return fdef


# --- value coercion -----------------------------------------------------------------
_NUMERIC = ("double", "currency", "percent", "int")


def _check_picklist(fdef: FieldDef, value: Any) -> None:
    if (
        fdef.type == "picklist"
        and fdef.restricted
        and value is not None
        and (value not in fdef.picklist)
    ):
        raise RecordError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{fdef.describe()['label']}: bad value for restricted picklist field: {value}",
            [fdef.name],
        )


def _wrong_type(fdef: FieldDef, text: str) -> RecordError:
    return RecordError(
        "INVALID_TYPE_ON_FIELD_IN_RECORD", f"{fdef.name}: value not of required type: {text}"
    )


def coerce_json_value(fdef: FieldDef, value: Any) -> Any:
    """Check a JSON value against the field the way the API does, and normalize it."""
    if value is None:
        if not fdef.nillable and fdef.type != "boolean":
            raise RecordError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{fdef.name}]"
            )
        return False if fdef.type == "boolean" else None
    if fdef.type in _NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecordError(
                "JSON_PARSER_ERROR", f"Cannot deserialize instance of {fdef.type} from {value!r}"
            )
        return round(float(value), fdef.scale) if fdef.type != "int" else int(value)
    if fdef.type == "boolean":
        if not isinstance(value, bool):
            raise RecordError(
                "JSON_PARSER_ERROR", f"Cannot deserialize instance of boolean: {value!r}"
            )
        return value
    text = str(value)
    if fdef.type == "datetime":
        try:
            return format_datetime(parse_datetime(text))
        except ValueError:
            raise RecordError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{fdef.name}: value not of required type: {text}",
            ) from None
    if fdef.type == "date":
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            raise RecordError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{fdef.name}: value not of required type: {text}",
            ) from None
    _check_picklist(fdef, text)
    if fdef.length and len(text) > fdef.length:
        raise RecordError(
            "STRING_TOO_LONG",
            f"{fdef.describe()['label']}: data value too large: {text[:20]}... "
            f"(max length={fdef.length})",
            [fdef.name],
        )
    return text


def coerce_csv_value(fdef: FieldDef, text: str) -> Any:
    """Bulk API 2.0 CSV cell -> JSON value; `#N/A` means null."""
    if text == "#N/A":
        return coerce_json_value(fdef, None)
    try:
        if fdef.type in _NUMERIC:
            return coerce_json_value(fdef, float(text) if fdef.type != "int" else int(text))
        if fdef.type == "boolean":
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return lowered in ("true", "1")
    except ValueError:
        raise RecordError(
            "INVALID_TYPE_ON_FIELD_IN_RECORD", f"{fdef.name}: value not of required type: {text}"
        ) from None
    return coerce_json_value(fdef, text)


def _lenient(fdef: FieldDef, value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return False if fdef.type == "boolean" else None
    text = str(value).strip()
    try:
        if fdef.type in _NUMERIC:
            number = float(text.replace("$", "").replace(",", ""))
            return int(number) if fdef.type == "int" else number
        if fdef.type == "boolean":
            return text.lower() in ("true", "1", "yes")
        return coerce_json_value(fdef, text)
    except (ValueError, RecordError):
        return None


def csv_cell(value: Any) -> str:
    """JSON value -> Bulk API 2.0 query result cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*\+0000", value):
        return value.replace("+0000", "Z")
    return str(value)


# --- SOQL subset ------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<str>'(?:[^'\\]|\\.)*')"
    r"|(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>!=|<=|>=|=|<|>)"
    r"|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)"
    r")"
)


@dataclass
class ParsedQuery:
    fields: list[str]
    sobject: str
    where: list[tuple[str, str, Any]]
    order_by: list[tuple[str, bool]]
    limit: int | None


def _tokens(soql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = soql.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError("MALFORMED_QUERY", f"unexpected token near: {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if kind == "dt":
        return parse_datetime(raw)
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "num":
        return float(raw)
    if kind == "word" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if kind == "word" and raw.lower() == "null":
        return None
    raise QueryError("MALFORMED_QUERY", f"unexpected literal: {raw}")


def parse_soql(soql: str) -> ParsedQuery:
    toks = _tokens(soql)
    i = 0

    def peek_word(*words: str) -> bool:
        return i < len(toks) and toks[i][0] == "word" and toks[i][1].upper() in words

    def expect_word(word: str) -> None:
        nonlocal i
        if not peek_word(word):
            raise QueryError("MALFORMED_QUERY", f"expecting {word}")
        i += 1

    expect_word("SELECT")
    fields: list[str] = []
    if peek_word("COUNT") and toks[i + 1 : i + 3] == [("punct", "("), ("punct", ")")]:
        fields.append("COUNT()")
        i += 3
    while not fields:
        if i >= len(toks) or toks[i][0] != "word":
            raise QueryError("MALFORMED_QUERY", "expecting a field name")
        names = [toks[i][1]]
        i += 1
        while i < len(toks) and toks[i] == ("punct", ","):
            names.append(toks[i + 1][1])
            i += 2
        fields.extend(names)
    expect_word("FROM")
    sobject = toks[i][1]
    i += 1
    where: list[tuple[str, str, Any]] = []
    if peek_word("WHERE"):
        i += 1
        while True:
            name = toks[i][1]
            i += 1
            if peek_word("IN"):
                i += 1
                if toks[i] != ("punct", "("):
                    raise QueryError("MALFORMED_QUERY", "expecting (")
                i += 1
                values = []
                while toks[i] != ("punct", ")"):
                    if toks[i] != ("punct", ","):
                        values.append(_literal(*toks[i]))
                    i += 1
                i += 1
                where.append((name, "IN", values))
            else:
                kind, op = toks[i]
                if kind != "op":
                    raise QueryError("MALFORMED_QUERY", f"expecting an operator after {name}")
                where.append((name, op, _literal(*toks[i + 1])))
                i += 2
            if peek_word("AND"):
                i += 1
                continue
            break
    order: list[tuple[str, bool]] = []
    if peek_word("ORDER"):
        i += 1
        expect_word("BY")
        while True:
            name = toks[i][1]
            i += 1
            desc = False
            if peek_word("ASC", "DESC"):
                desc = toks[i][1].upper() == "DESC"
                i += 1
            order.append((name, desc))
            if i < len(toks) and toks[i] == ("punct", ","):
                i += 1
                continue
            break
    limit = None
    if peek_word("LIMIT"):
        limit = int(float(toks[i + 1][1]))
        i += 2
    if i != len(toks):
        raise QueryError("MALFORMED_QUERY", f"unexpected token: {toks[i][1]}")
    return ParsedQuery(fields, sobject, where, order, limit)


def _typed(value: Any, fdef: FieldDef) -> Any:
    if value is None:
        return None
    if fdef.type == "datetime":
        return parse_datetime(value) if isinstance(value, str) else value
    if fdef.type == "date":
        return date.fromisoformat(value) if isinstance(value, str) else value
    if fdef.type in _NUMERIC:
        return float(value)
    return value


def _matches(value: Any, fdef: FieldDef, op: str, literal: Any) -> bool:
    left = _typed(value, fdef)
    if op == "IN":
        return left in [_typed(v, fdef) if isinstance(v, str) else v for v in literal]
    if literal is None:
        return (left is None) == (op == "=")
    if left is None:
        return op == "!="
    right = literal
    if fdef.type == "datetime" and isinstance(right, date) and not isinstance(right, datetime):
        right = datetime(right.year, right.month, right.day, tzinfo=UTC)
    try:
        return {
            "=": left == right,
            "!=": left != right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[op]
    except TypeError:
        raise QueryError(
            "INVALID_QUERY_FILTER_OPERATOR", f"value of filter criterion for field '{fdef.name}'"
        ) from None


def _sort_key(value: Any, fdef: FieldDef) -> tuple[int, Any]:
    typed = _typed(value, fdef)
    return (1, "") if typed is None else (0, typed)
