"""The warehouse on SQLite and PostgreSQL: partitions swap whole, upserts merge by key,
writes go in bulk, and a write that dies half-way leaves the previous state untouched."""

import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

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
from segmentation_pipeline.io import warehouse as warehouse_module
from segmentation_pipeline.io.table_schemas import DECLARED
from segmentation_pipeline.io.warehouse import Warehouse, normalize_url, sql_type

REPO_ROOT = Path(__file__).resolve().parents[2]
NOV, DEC = "2026-11-01", "2026-12-01"


@pytest.fixture
def warehouse(warehouse_url):
    client = Warehouse(warehouse_url)
    yield client
    client.dispose()


def snapshot(ids, tier="Tier 2", score=3.5):
    return pd.DataFrame({"account_id": ids, "segment": tier, "composite_score": score})


def stored(warehouse, table, order_by="account_id"):
    return warehouse.read_table(table).sort_values(order_by).reset_index(drop=True)


def count_statements(warehouse, verb):
    seen = []
    sa.event.listen(
        warehouse.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *args: (
            seen.append(statement) if statement.lstrip().upper().startswith(verb) else None
        ),
    )
    return seen


# --- replace_partition ----------------------------------------------------------------


def test_replacing_a_month_swaps_its_rows_and_leaves_other_months_alone(warehouse):
    warehouse.replace_partition("snapshots", snapshot(["a", "b"]), "month", NOV)
    warehouse.replace_partition("snapshots", snapshot(["c"]), "month", DEC)
    warehouse.replace_partition("snapshots", snapshot(["b"], tier="Tier 1"), "month", NOV)

    rows = stored(warehouse, "snapshots")
    assert rows[["account_id", "segment", "month"]].values.tolist() == [
        ["b", "Tier 1", NOV],
        ["c", "Tier 2", DEC],
    ]


def test_values_of_every_kind_round_trip_and_nulls_stay_null(warehouse):
    text = ["plain", "tab\there", "line\nbreak", "back\\slash", "\\N", "", "naïve", None]
    n = len(text)
    frame = pd.DataFrame(
        {
            "account_id": [f"id{i}" for i in range(n)],
            "text": text,
            "score": [1.5, None, 2.0, 3.25, 0.0, -1.0, 4.0, 5.0],
            "count": list(range(n)),
            "flag": [True, False] * (n // 2),
            "seen_at": pd.to_datetime(["2026-11-02T10:30:00Z"] * (n - 1) + [None], utc=True),
        }
    )
    warehouse.replace_partition("kinds", frame, "month", NOV)

    rows = stored(warehouse, "kinds")
    assert rows["text"].tolist()[:-1] == text[:-1]
    assert pd.isna(rows["text"].iloc[-1])  # None stays NULL; "" and "\N" stay text
    assert rows["score"].isna().tolist() == [False, True] + [False] * (n - 2)
    assert rows["score"].dropna().tolist() == [1.5, 2.0, 3.25, 0.0, -1.0, 4.0, 5.0]
    assert rows["count"].tolist() == list(range(n))
    assert rows["flag"].astype(bool).tolist() == [True, False] * (n // 2)
    seen = pd.to_datetime(rows["seen_at"], utc=True)
    assert seen.iloc[0] == pd.Timestamp("2026-11-02T10:30:00Z")
    assert pd.isna(seen.iloc[-1])


def test_a_frame_with_a_new_column_widens_the_table(warehouse):
    warehouse.replace_partition("snapshots", snapshot(["a"]), "month", NOV)
    wider = snapshot(["c"]).assign(at_risk=True)
    warehouse.replace_partition("snapshots", wider, "month", DEC)

    rows = stored(warehouse, "snapshots")
    assert pd.isna(rows.loc[0, "at_risk"])
    assert bool(rows.loc[1, "at_risk"]) is True


def test_an_empty_frame_empties_the_partition(warehouse):
    warehouse.replace_partition("snapshots", snapshot(["a"]), "month", NOV)
    assert warehouse.replace_partition("snapshots", snapshot([]), "month", NOV) == 0
    assert warehouse.read_table("snapshots").empty


def test_replacing_some_keys_of_a_partition_leaves_its_other_rows_and_months(warehouse):
    warehouse.replace_partition("snapshots", snapshot(["a", "b", "c"]), "month", NOV)
    warehouse.replace_partition("snapshots", snapshot(["a"]), "month", DEC)
    with warehouse.transaction() as tx:
        # b is rewritten twice over (two rows now), c is gone, a stays
        rows = pd.concat([snapshot(["b"], tier="Tier 1"), snapshot(["b"], tier="Tier 2")])
        written = tx.replace_partition_keys(
            "snapshots", rows, "month", NOV, "account_id", ["b", "c"]
        )
    assert written == 2
    kept = stored(warehouse, "snapshots")
    november = kept[kept["month"] == NOV].sort_values(["account_id", "segment"])
    assert november[["account_id", "segment"]].values.tolist() == [
        ["a", "Tier 2"], ["b", "Tier 1"], ["b", "Tier 2"],
    ]  # fmt: skip
    assert kept[kept["month"] == DEC]["account_id"].tolist() == ["a"]


# --- sync_partition: write only what differs ---------------------------------------------


def test_syncing_a_partition_rewrites_only_changed_new_and_removed_rows(warehouse):
    accounts = [f"a{i}" for i in range(10)]
    first = warehouse.sync_partition("snapshots", snapshot(accounts), "month", NOV, ["account_id"])
    assert (first.written, first.deleted, first.unchanged) == (10, 0, 0)
    warehouse.replace_partition("snapshots", snapshot(["x"]), "month", DEC)

    night = snapshot(accounts[1:] + ["new"])
    night.loc[night["account_id"] == "a5", "segment"] = "Tier 1"
    sync = warehouse.sync_partition("snapshots", night, "month", NOV, ["account_id"])

    assert (sync.written, sync.deleted, sync.unchanged) == (2, 2, 8)  # a5 + new; a0 + old a5
    rows = stored(warehouse, "snapshots")
    november = rows[rows["month"] == NOV].set_index("account_id")
    assert sorted(november.index) == sorted(accounts[1:] + ["new"])
    assert november.loc["a5", "segment"] == "Tier 1"
    assert rows[rows["month"] == DEC]["account_id"].tolist() == ["x"]


def test_rows_keyed_by_two_text_columns_are_found_by_both(warehouse):
    def rules(*rows):
        return pd.DataFrame(rows, columns=["account_id", "rule", "arr"])

    keys = ["account_id", "rule"]
    same = rules(*[(f"f{i}", "low", 1.0) for i in range(10)])  # a sync rewrites a minority
    stored_rows = rules(("a", "high", 1.0), ("a", "score", 1.0), ("b", "low", 2.0),
                        ("x\x1fy", "z", 3.0))  # fmt: skip
    stored_rows = pd.concat([stored_rows, same], ignore_index=True)
    warehouse.sync_partition("outliers", stored_rows, "month", NOV, keys)
    # Another order; a's score row changed, b left, c came; ("x", "y\x1fz") joins to the
    # same text as the stored ("x\x1fy", "z") but is another key.
    night = rules(("c", "low", 4.0), ("a", "score", 9.0), ("a", "high", 1.0),
                  ("x\x1fy", "z", 3.0), ("x", "y\x1fz", 3.0))  # fmt: skip
    night = pd.concat([same, night], ignore_index=True)
    sync = warehouse.sync_partition("outliers", night, "month", NOV, keys)
    assert (sync.written, sync.deleted, sync.unchanged) == (3, 2, 12)
    kept = stored(warehouse, "outliers").sort_values(keys)
    assert kept[[*keys, "arr"]].values.tolist() == night.sort_values(keys).values.tolist()


def test_syncing_an_unchanged_partition_writes_nothing(warehouse):
    frame = snapshot([f"a{i}" for i in range(10)])
    warehouse.sync_partition("snapshots", frame, "month", NOV, ["account_id"])
    inserts, deletes = count_statements(warehouse, "INSERT"), count_statements(warehouse, "DELETE")
    sync = warehouse.sync_partition("snapshots", frame, "month", NOV, ["account_id"])
    assert (sync.written, sync.deleted, sync.unchanged) == (0, 0, 10)
    assert not inserts and not deletes


def test_a_sync_given_the_rows_hashes_stores_those_it_would_have_worked_out(warehouse):
    from segmentation_pipeline.core.changes import frame_hashes

    frame = snapshot([f"a{i}" for i in range(10)])
    hashes = frame_hashes(frame)
    warehouse.sync_partition("snapshots", frame, "month", NOV, ["account_id"], hashes=hashes)
    assert stored(warehouse, "snapshots")["_row_hash"].tolist() == hashes.view("int64").tolist()
    sync = warehouse.sync_partition("snapshots", frame, "month", NOV, ["account_id"])
    assert (sync.written, sync.deleted, sync.unchanged) == (0, 0, 10)
    with pytest.raises(ValueError, match="9 row hashes given for 10 rows"):
        warehouse.sync_partition(
            "snapshots", frame, "month", NOV, ["account_id"], hashes=hashes[1:]
        )


ACCOUNTS = [f"a{i}" for i in range(10)]


@pytest.mark.parametrize("order", ["same order", "reordered"])
def test_a_night_of_the_same_keys_finds_its_changes_in_either_order(warehouse, order):
    warehouse.sync_partition("snapshots", snapshot(ACCOUNTS), "month", NOV, ["account_id"])
    night = snapshot(ACCOUNTS)
    night.loc[night["account_id"] == "a5", "segment"] = "Tier 1"
    if order == "reordered":
        night = night.iloc[::-1].reset_index(drop=True)
    sync = warehouse.sync_partition("snapshots", night, "month", NOV, ["account_id"])
    assert (sync.written, sync.deleted, sync.unchanged) == (1, 1, 9)
    rows = stored(warehouse, "snapshots").set_index("account_id")
    assert rows.loc["a5", "segment"] == "Tier 1" and (rows["segment"] == "Tier 2").sum() == 9


def test_stored_repeated_keys_make_the_next_sync_replace_the_partition(warehouse):
    twice = snapshot(["a", "a", "b"], tier="Tier 1")
    warehouse.sync_partition("snapshots", twice, "month", NOV, ["account_id"])
    sync = warehouse.sync_partition("snapshots", snapshot(["a", "b"]), "month", NOV, ["account_id"])
    assert (sync.written, sync.deleted) == (2, 3)
    assert stored(warehouse, "snapshots")["segment"].tolist() == ["Tier 2", "Tier 2"]


@pytest.mark.parametrize("other_write", ["replace_partition", "replace_partition_keys"])
def test_any_other_write_to_the_table_is_seen_by_the_next_sync(warehouse, other_write):
    """Writes that leave the row count as it was: the next sync still sees the rows
    changed."""
    warehouse.sync_partition("snapshots", snapshot(ACCOUNTS), "month", NOV, ["account_id"])
    with warehouse.transaction() as tx:
        if other_write == "replace_partition":
            tx.replace_partition("snapshots", snapshot(ACCOUNTS, "Tier 3"), "month", NOV)
        else:
            tx.replace_partition_keys(
                "snapshots", snapshot(["a1"], "Tier 3"), "month", NOV, "account_id", ["a1"]
            )
    warehouse.sync_partition("snapshots", snapshot(ACCOUNTS), "month", NOV, ["account_id"])
    november = stored(warehouse, "snapshots").query("month == @NOV")
    assert sorted(november["account_id"]) == sorted(ACCOUNTS)
    assert set(november["segment"]) == {"Tier 2"}


def test_a_manual_sql_update_of_a_segment_snapshots_row_is_seen_by_the_next_sync(warehouse):
    """The sync compares with the rows as they stand, so a row edited by hand is
    rewritten even though the partition still holds as many rows as it wrote."""
    table = "segment_snapshots"
    warehouse.sync_partition(table, snapshot(ACCOUNTS), "month", NOV, ["account_id"])
    with warehouse.engine.begin() as conn:
        conn.execute(
            sa.text(
                f"UPDATE {table} SET segment = 'Tier 9', _row_hash = _row_hash + 1"
                " WHERE account_id = 'a3'"
            )
        )
    sync = warehouse.sync_partition(table, snapshot(ACCOUNTS), "month", NOV, ["account_id"])
    assert (sync.written, sync.deleted, sync.unchanged) == (1, 1, 9)
    assert set(stored(warehouse, table)["segment"]) == {"Tier 2"}


def test_rows_removed_behind_the_warehouse_back_are_seen_by_the_next_sync(warehouse):
    accounts = [f"a{i}" for i in range(10)]
    warehouse.sync_partition("snapshots", snapshot(accounts), "month", NOV, ["account_id"])
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM snapshots WHERE account_id IN ('a1', 'a2')"))
    sync = warehouse.sync_partition("snapshots", snapshot(accounts), "month", NOV, ["account_id"])
    assert (sync.written, sync.deleted, sync.unchanged) == (2, 0, 8)
    assert stored(warehouse, "snapshots")["account_id"].tolist() == accounts


def test_a_failed_sync_leaves_the_previous_state_for_the_next(warehouse, monkeypatch):
    accounts = [f"a{i}" for i in range(10)]
    warehouse.sync_partition("snapshots", snapshot(accounts), "month", NOV, ["account_id"])
    night = snapshot(accounts, tier="Tier 1").iloc[:2]
    night = pd.concat([night, snapshot(accounts).iloc[2:]], ignore_index=True)
    real_insert = warehouse_module.WarehouseWriter.insert

    def insert_then_fail(self, table, frame):
        real_insert(self, table, frame)
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(warehouse_module.WarehouseWriter, "insert", insert_then_fail)
    with pytest.raises(RuntimeError):
        warehouse.sync_partition("snapshots", night, "month", NOV, ["account_id"])
    monkeypatch.undo()
    sync = warehouse.sync_partition("snapshots", night, "month", NOV, ["account_id"])
    assert (sync.written, sync.deleted, sync.unchanged) == (2, 2, 8)


def test_when_most_rows_changed_the_partition_is_replaced_whole(warehouse):
    warehouse.sync_partition("snapshots", snapshot(["a", "b", "c"]), "month", NOV, ["account_id"])
    sync = warehouse.sync_partition(
        "snapshots", snapshot(["a", "b", "c"], tier="Tier 3"), "month", NOV, ["account_id"]
    )
    assert (sync.written, sync.deleted, sync.unchanged) == (3, 3, 0)
    assert set(warehouse.read_table("snapshots")["segment"]) == {"Tier 3"}


# --- upsert, append, delete, state ---------------------------------------------------


def test_upsert_inserts_new_keys_updates_known_ones_and_keeps_unsent_columns(warehouse):
    first = pd.DataFrame(
        {"account_id": ["a", "b"], "segment": ["Tier 1", "Tier 2"], "owner": ["u1", "u2"]}
    )
    warehouse.upsert("current", first, ["account_id"])
    change = pd.DataFrame(
        {"account_id": ["b", "c", "c"], "segment": ["Tier 3", "Tier 2", "Tier 1"]}
    )
    assert warehouse.upsert("current", change, ["account_id"]) == 2

    rows = stored(warehouse, "current")
    assert rows["account_id"].tolist() == ["a", "b", "c"]
    assert rows["segment"].tolist() == ["Tier 1", "Tier 3", "Tier 1"]  # last "c" row wins
    assert rows["owner"].tolist()[:2] == ["u1", "u2"]  # not sent, so kept
    assert pd.isna(rows["owner"].iloc[2])


def test_upsert_on_a_composite_key(warehouse):
    rows = pd.DataFrame({"account_id": ["a", "a"], "month": [NOV, DEC], "score": [1.0, 2.0]})
    warehouse.upsert("scores", rows, ["account_id", "month"])
    warehouse.upsert(
        "scores",
        pd.DataFrame({"account_id": ["a"], "month": [DEC], "score": [9.0]}),
        ["account_id", "month"],
    )
    assert stored(warehouse, "scores", ["month"])["score"].tolist() == [1.0, 9.0]


def test_append_accumulates_history_rows(warehouse):
    warehouse.append("history", snapshot(["a"]))
    warehouse.append("history", snapshot(["a"], tier="Tier 1"))
    assert stored(warehouse, "history", ["segment"])["segment"].tolist() == ["Tier 1", "Tier 2"]


def test_state_is_remembered_and_overwritten(warehouse):
    assert warehouse.get_state("crm_accounts") is None
    warehouse.set_state("crm_accounts", {"high_water_mark": "2026-11-02T00:00:00+00:00"})
    warehouse.set_state("crm_accounts", {"high_water_mark": "2026-11-03T00:00:00+00:00"})
    assert warehouse.get_state("crm_accounts") == {"high_water_mark": "2026-11-03T00:00:00+00:00"}


def test_writes_in_one_transaction_commit_together(warehouse):
    with warehouse.transaction() as tx:
        tx.upsert("mirror", snapshot(["a"]), ["account_id"])
        tx.set_state("mirror", {"rows": 1})
    assert warehouse.get_state("mirror") == {"rows": 1}
    assert len(warehouse.read_table("mirror")) == 1


# --- bulk, not row by row -------------------------------------------------------------


def test_rows_go_in_bulk_not_one_statement_per_row(warehouse, monkeypatch):
    monkeypatch.setattr(warehouse_module, "CHUNK_ROWS", 100)
    inserts = count_statements(warehouse, "INSERT")
    copies = []
    if warehouse.engine.dialect.name == "postgresql":
        import psycopg

        original_copy = psycopg.Cursor.copy

        def spy(cursor, statement, *args, **kwargs):
            copies.append(statement)
            return original_copy(cursor, statement, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "copy", spy)

    warehouse.replace_partition("snapshots", snapshot([f"a{i}" for i in range(250)]), "month", NOV)

    assert len(warehouse.read_table("snapshots")) == 250
    if warehouse.engine.dialect.name == "postgresql":
        assert len(copies) == 3 and not inserts  # COPY per 100-row chunk, no INSERT
    else:
        assert len(inserts) == 3  # one executemany per chunk


# --- a crash in the middle of a write ---------------------------------------------------


def test_a_write_that_fails_half_way_leaves_the_previous_state(warehouse, monkeypatch):
    warehouse.replace_partition("snapshots", snapshot(["old1", "old2"]), "month", NOV)
    monkeypatch.setattr(warehouse_module, "CHUNK_ROWS", 2)
    original = warehouse_module.WarehouseWriter._write_rows
    calls = []

    def fail_on_second_chunk(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, *args)

    monkeypatch.setattr(warehouse_module.WarehouseWriter, "_write_rows", fail_on_second_chunk)
    new = snapshot(["new1", "new2", "new3", "new4"]).assign(extra_column="x")
    with pytest.raises(RuntimeError, match="disk full"):
        warehouse.replace_partition("snapshots", new, "month", NOV)
    calls.clear()
    with pytest.raises(RuntimeError, match="disk full"):
        warehouse.replace_partition("brand_new_table", new, "month", NOV)

    rows = stored(warehouse, "snapshots")
    assert rows["account_id"].tolist() == ["old1", "old2"]
    assert "extra_column" not in rows  # the ALTER TABLE was rolled back too
    assert not warehouse.has_table("brand_new_table")  # and so was the CREATE TABLE


CRASHING_WRITER = """
import os, sys
import pandas as pd
from segmentation_pipeline.io import warehouse as wh

wh.CHUNK_ROWS = 2
original, calls = wh.WarehouseWriter._write_rows, []

def die_on_second_chunk(self, *args):
    calls.append(1)
    if len(calls) == 2:
        os._exit(17)  # the process dies: no exception handler, no rollback, no cleanup
    return original(self, *args)

wh.WarehouseWriter._write_rows = die_on_second_chunk
new = pd.DataFrame({"account_id": ["new1", "new2", "new3", "new4"], "segment": "Tier 1"})
wh.Warehouse(sys.argv[1]).replace_partition("snapshots", new, "month", "2026-11-01")
"""


def test_a_process_killed_mid_write_leaves_the_previous_state(warehouse, warehouse_url):
    warehouse.replace_partition("snapshots", snapshot(["old1", "old2"]), "month", NOV)
    warehouse.dispose()

    died = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASHING_WRITER), warehouse_url],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert died.returncode == 17, died.stderr

    assert stored(warehouse, "snapshots")["account_id"].tolist() == ["old1", "old2"]
    # Nothing is left locked: the next write goes through.
    warehouse.replace_partition("snapshots", snapshot(["new1"]), "month", NOV)
    assert warehouse.read_table("snapshots")["account_id"].tolist() == ["new1"]


# --- types and URLs -------------------------------------------------------------------


def test_column_types_follow_the_frame():
    frame = pd.DataFrame(
        {
            "flag": [True],
            "n": [1],
            "x": [1.5],
            "text": ["a"],
            "at": [datetime(2026, 11, 2, tzinfo=UTC)],
            "mixed": [{"a": 1}],
            "maybe_int": pd.array([None], dtype="Int64"),
        }
    )
    types = {c: type(sql_type(frame[c])) for c in frame.columns}
    assert types == {
        "flag": sa.Boolean,
        "n": sa.BigInteger,
        "x": sa.Double,
        "text": sa.Text,
        "at": sa.DateTime,
        "mixed": sa.Text,
        "maybe_int": sa.BigInteger,
    }


def test_a_bare_postgresql_url_uses_psycopg_3():
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert normalize_url("sqlite:///w.sqlite") == "sqlite:///w.sqlite"


def test_sqlite_values_are_what_the_column_types_bind_processors_make():
    from segmentation_pipeline.io.warehouse import _python_values, _sqlite_values

    dialect = sa.create_engine("sqlite://").dialect
    columns = {
        "naive": (pd.Series(pd.to_datetime(["2026-11-01 09:30:01.25", None])), sa.DateTime()),
        "aware": (
            pd.Series(pd.to_datetime(["2026-11-01 09:30", None]).tz_localize("Europe/Paris")),
            sa.DateTime(timezone=True),
        ),
        "flags": (pd.Series([True, False]), sa.Boolean()),
        "floats": (pd.Series([0.1 + 0.2, 1e-300]), sa.Float()),
        "gappy": (pd.Series([1.5, None]), sa.Double()),
        "text": (pd.Series(["a", None], dtype="str"), sa.Text()),
    }
    for name, (series, column_type) in columns.items():
        # SQLAlchemy's own SQLite storage (DATETIME as text with microseconds, 0/1 flags).
        process = column_type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        expected = [None if v is None else process(v) for v in _python_values(series, column_type)]
        assert _sqlite_values(series, column_type, dialect) == expected, name


# --- concurrent steps on one SQLite file ------------------------------------------------


def test_sqlite_writers_in_separate_clients_wait_for_each_other(tmp_path):
    """Steps of one run in separate processes (Dagster's multiprocess executor, the default
    for runs the daemon launches) write to the same SQLite warehouse: a write that reads
    first must wait for the other's transaction, not fail with 'database is locked'."""
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    first, second = Warehouse(url), Warehouse(url)
    first.replace_partition("mirror", snapshot(["a"]).assign(month=NOV), "month", NOV)
    holding, release = threading.Event(), threading.Event()

    def hold_a_write():
        with first.transaction() as tx:
            tx.upsert("mirror", snapshot(["b"]).assign(month=NOV), ["account_id"])
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_a_write)
    holder.start()
    try:
        assert holding.wait(10)
        threading.Timer(0.5, release.set).start()
        with second.engine.begin() as conn:
            seen = conn.execute(sa.text("SELECT count(*) FROM mirror")).scalar_one()
            conn.execute(sa.text("DELETE FROM mirror WHERE account_id = 'a'"))
    finally:
        release.set()
        holder.join()
    assert seen == 2  # it waited for the first write to commit, then read
    assert stored(first, "mirror")["account_id"].tolist() == ["b"]
    first.dispose()
    second.dispose()


def test_a_whole_partition_written_with_its_key_column_is_indexed_for_replacing_keys(warehouse):
    with warehouse.transaction() as tx:
        tx.replace_partition("review", snapshot(["a", "b"]), "month", NOV, key_column="account_id")
    indexes = {
        tuple(index["column_names"]) for index in sa.inspect(warehouse.engine).get_indexes("review")
    }
    assert ("month", "account_id") in indexes


# -- Schemas are never inferred from an empty or all-null frame ----------------------
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
