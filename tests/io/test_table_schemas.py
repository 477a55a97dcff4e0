"""Table schemas are never inferred from an empty or all-null frame: declared tables get
their declared types, other columns wait for a value, and a column an earlier version
typed wrongly from an empty frame is given its declared type."""

import pandas as pd
import pytest
import sqlalchemy as sa

import segmentation_pipeline.defs.assets  # noqa: F401  (defs.enrichment is imported through it)
from segmentation_pipeline.core.enrich.merge import (
    CONFLICT_COLUMNS,
    NON_MATCH_COLUMNS,
    PROVENANCE_COLUMNS,
)
from segmentation_pipeline.defs.enrichment import REVIEW_TABLES
from segmentation_pipeline.io.table_schemas import DECLARED
from segmentation_pipeline.io.warehouse import Warehouse

NOV, DEC = "2026-11-01", "2026-12-01"


@pytest.fixture
def warehouse(warehouse_url):
    client = Warehouse(warehouse_url)
    yield client
    client.dispose()


def column_kinds(warehouse, table):
    with warehouse.engine.connect() as conn:
        columns = sa.inspect(conn).get_columns(table)
    return {c["name"]: c["type"]._type_affinity.__name__ for c in columns}


def empty_provenance():
    """What the enrichment step writes after a night of failed lookups: Nones assigned
    to an empty frame make a float64 `value` column."""
    frame = pd.DataFrame(columns=list(PROVENANCE_COLUMNS))
    frame["value"] = [None for _ in frame["value"]]
    assert frame["value"].dtype == "float64"
    return frame


def test_the_enrichment_review_tables_declare_every_column_they_are_written_with():
    written = {
        "provenance": PROVENANCE_COLUMNS,
        "conflicts": CONFLICT_COLUMNS,
        "non_matches": NON_MATCH_COLUMNS,
    }
    for attribute, table in REVIEW_TABLES.items():
        assert list(DECLARED[table]) == [*written[attribute], "snapshot_month"]


def test_an_empty_first_night_creates_the_declared_types_and_text_enters_later(warehouse):
    written = warehouse.replace_partition(
        "enrichment_provenance", empty_provenance(), "snapshot_month", NOV
    )
    assert written == 0
    kinds = column_kinds(warehouse, "enrichment_provenance")
    assert (kinds["value"], kinds["confidence"], kinds["from_cache"]) == (
        "String", "Float", "Boolean",
    )  # fmt: skip
    row = pd.DataFrame(
        {
            "account_id": ["a1"],
            "field": ["industry"],
            "value": ["Software"],
            "confidence": [0.9],
            "fetched_at": pd.to_datetime(["2026-12-02T10:00:00Z"], utc=True),
            "from_cache": [False],
        }
    )
    warehouse.replace_partition("enrichment_provenance", row, "snapshot_month", DEC)
    assert list(warehouse.read_table("enrichment_provenance")["value"]) == ["Software"]


def test_a_column_with_no_value_yet_waits_for_one(warehouse):
    first = pd.DataFrame({"account_id": ["a1"], "note": [float("nan")], "score": [1.5]})
    warehouse.replace_partition("undeclared", first, "month", NOV)
    assert "note" not in column_kinds(warehouse, "undeclared")

    second = pd.DataFrame({"account_id": ["a2"], "note": ["checked"], "score": [2.0]})
    warehouse.replace_partition("undeclared", second, "month", DEC)
    assert column_kinds(warehouse, "undeclared")["note"] == "String"
    rows = warehouse.read_table("undeclared").sort_values("account_id")
    assert [None if pd.isna(v) else v for v in rows["note"]] == [None, "checked"]


def test_an_empty_frame_of_an_undeclared_table_creates_nothing(warehouse):
    empty = pd.DataFrame({"account_id": pd.Series([], dtype=object)})
    assert warehouse.replace_partition("later", empty, "month", NOV) == 0
    assert warehouse.sync_partition("later", empty, "month", NOV, ["account_id"]).written == 0
    assert warehouse.upsert("later", empty, ["account_id"]) == 0
    assert warehouse.append("later", empty) == 0
    assert not warehouse.has_table("later")


def test_a_column_an_earlier_version_made_float_from_an_empty_frame_becomes_text(warehouse):
    with warehouse.engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE enrichment_provenance (account_id TEXT, value DOUBLE PRECISION, "
                "snapshot_month TEXT)"
            )
        )
        conn.execute(
            sa.text("INSERT INTO enrichment_provenance VALUES ('a0', 120, :m)"), {"m": NOV}
        )
    row = pd.DataFrame({"account_id": ["a1"], "value": ["Software"]})
    warehouse.replace_partition("enrichment_provenance", row, "snapshot_month", DEC)
    assert column_kinds(warehouse, "enrichment_provenance")["value"] == "String"
    rows = warehouse.read_table("enrichment_provenance").sort_values("account_id")
    assert list(rows["account_id"]) == ["a0", "a1"]
    assert rows["value"].iloc[1] == "Software"
    assert float(rows["value"].iloc[0]) == 120.0  # the old row kept, as text
