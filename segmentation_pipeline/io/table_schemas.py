"""Declared column types of warehouse tables written from frames that are often empty.

The warehouse otherwise takes a column's type from the first frame that carries a value
in it (`WarehouseWriter.table`). A table that readers expect to exist with all its
columns even after a night that produced no rows (the enrichment review tables after a
vendor outage, say) declares its types here, and they win over anything a frame's
dtypes suggest: an empty `value` column must not become a float column that every later
night's text then fails to enter.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa


def _text(*names: str) -> dict[str, sa.types.TypeEngine]:
    return {name: sa.Text() for name in names}


_ANSWER = {
    "provider": sa.Text(),
    "confidence": sa.Double(),
    "fetched_at": sa.DateTime(timezone=True),
}

DECLARED: dict[str, dict[str, sa.types.TypeEngine]] = {
    # A month with nothing rejected still has the table: an empty one says "none".
    "rejected_records": _text(
        "account_id", "source_file", "reason", "detail", "run_id", "snapshot_month"
    ),
    # `value`, `crm_value` and `vendor_value` hold every field's values, as text.
    "enrichment_provenance": {
        **_text("account_id", "domain", "field", "value", "action"),
        **_ANSWER,
        "from_cache": sa.Boolean(),
        **_text("reason", "snapshot_month"),
    },
    "enrichment_conflicts": {
        **_text("account_id", "domain", "field", "crm_value", "vendor_value"),
        **_ANSWER,
        **_text("resolution", "snapshot_month"),
    },
    "enrichment_non_matches": _text(
        "account_id", "domain", "missing_fields", "reason", "detail", "snapshot_month"
    ),
}


def declared_types(table: str) -> Mapping[str, sa.types.TypeEngine]:
    """The table's declared column types; empty when its columns are typed by values."""
    return DECLARED.get(table, {})
