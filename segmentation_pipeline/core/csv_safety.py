"""Spreadsheet formula injection: a CSV cell a spreadsheet would run as a formula.

OWASP's rule (CSV Injection): a cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return is prefixed with a single quote, which spreadsheets show as text and
never evaluate. Every CSV meant for people goes through `neutralize_formulas` (Arrow,
column-wise) or `neutralize_cell` (one value).

Numbers are not formulas: the cells of a numeric column (an ARR of -5, say) are
rendered by the writer from a number and stay as they are; OWASP's concern is text a
user controls, and `'-5` would turn a number into text in every spreadsheet. A "-5"
inside a text column is text and is prefixed like any other.

Files parsed by a program rather than opened by a person are not neutralised: the
Salesforce Bulk API upload (the quote would be written into the CRM as data) and the
generated sample CRM exports (`sample_data`, stand-ins for the pipeline's input).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_TRIGGER_PATTERN = "^[=+\\-@\t\r]"


def neutralize_formulas(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The text cells with the OWASP quote prefixed to those a spreadsheet would run."""
    starts = pc.match_substring_regex(text, _TRIGGER_PATTERN)
    if not pc.any(starts).as_py():
        return text
    empty = pa.scalar("", type=text.type)
    escaped = pc.binary_join_element_wise(pa.scalar(ESCAPE, type=text.type), text, empty)
    return pc.if_else(starts, escaped, text)


def neutralize_cell(value: object) -> object:
    """One cell: text starting with a trigger gets the quote; anything else is returned."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return ESCAPE + value
    return value
