"""SOQL built from validated identifiers and typed literals only.

Nothing user-supplied is pasted into a query: names must look like API names (and are
checked against describe before use), values are rendered as SOQL literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from segmentation_pipeline.io.salesforce.errors import SalesforceFieldError

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "IN")

Condition = tuple[str, str, Any]


def identifier(name: str) -> str:
    if not isinstance(name, str) or not _IDENTIFIER.match(name) or name.endswith("_"):
        raise SalesforceFieldError(f"{name!r} is not a valid Salesforce API name")
    return name


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f"'{escaped}'"
    raise TypeError(f"cannot render {type(value).__name__} as a SOQL literal")


def _condition(cond: Condition) -> str:
    name, op, value = cond
    if op not in _OPERATORS:
        raise ValueError(f"unsupported SOQL operator {op!r}")
    if op == "IN":
        items = list(value)
        if not items:
            raise ValueError(f"IN list for {name} is empty")
        return f"{identifier(name)} IN ({', '.join(literal(v) for v in items)})"
    return f"{identifier(name)} {op} {literal(value)}"


def select(
    sobject: str,
    fields: Sequence[str],
    where: Iterable[Condition] = (),
    order_by: Sequence[str] = (),
) -> str:
    if not fields:
        raise ValueError("a SOQL query needs at least one field")
    soql = f"SELECT {', '.join(identifier(f) for f in fields)} FROM {identifier(sobject)}"
    conditions = [_condition(c) for c in where]
    if conditions:
        soql += " WHERE " + " AND ".join(conditions)
    if order_by:
        soql += " ORDER BY " + ", ".join(identifier(f) for f in order_by)
    return soql


def count(sobject: str, where: Iterable[Condition] = ()) -> str:
    """`SELECT COUNT() FROM ...`: the answer's totalSize is the number of matching rows."""
    return "SELECT COUNT() " + select(sobject, ["Id"], where).split(" ", 2)[2]
