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

_MONTH = {"snapshot_month": sa.Text()}
_ANSWER = {
    "provider": sa.Text(),
    "confidence": sa.Double(),
    "fetched_at": sa.DateTime(timezone=True),
}

DECLARED: dict[str, dict[str, sa.types.TypeEngine]] = {
    # A month with nothing rejected still has the table: an empty one says "none".
    "rejected_records": {
        "account_id": sa.Text(),
        "source_file": sa.Text(),
        "reason": sa.Text(),
        "detail": sa.Text(),
        "run_id": sa.Text(),
        **_MONTH,
    },
    "enrichment_provenance": {
        "account_id": sa.Text(),
        "domain": sa.Text(),
        "field": sa.Text(),
        "value": sa.Text(),  # values of every field share it, as text
        "action": sa.Text(),
        **_ANSWER,
        "from_cache": sa.Boolean(),
        "reason": sa.Text(),
        **_MONTH,
    },
    "enrichment_conflicts": {
        "account_id": sa.Text(),
        "domain": sa.Text(),
        "field": sa.Text(),
        "crm_value": sa.Text(),
        "vendor_value": sa.Text(),
        **_ANSWER,
        "resolution": sa.Text(),
        **_MONTH,
    },
    "enrichment_non_matches": {
        "account_id": sa.Text(),
        "domain": sa.Text(),
        "missing_fields": sa.Text(),
        "reason": sa.Text(),
        "detail": sa.Text(),
        **_MONTH,
    },
}


def declared_types(table: str) -> Mapping[str, sa.types.TypeEngine]:
    """The table's declared column types; empty when its columns are typed by values."""
    return DECLARED.get(table, {})
