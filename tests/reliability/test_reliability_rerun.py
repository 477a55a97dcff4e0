"""Idempotent nights (issue 24): running a month again on the same input leaves every
warehouse table exactly as the first run left it, on SQLite and on PostgreSQL.

The comparison reads every table of the warehouse, whatever wrote it, so a table added
later is covered without touching this file. Columns that by definition record the run
itself are left out (`RUN_RECORD`); everything else, including the ids, times and kept
copies, must come back identical row for row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.defs.partitions import current_month_key
from segmentation_pipeline.io.segment_store import SegmentStore
from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.sample_data import write_sample_crm

MONTH = "2026-11-01"

# Columns that record which run wrote a row, not what the row says. Nothing else is
# excluded: every moment the pipeline stores in these tables is the month's as-of or, for
# `pipeline_state.updated_at`, when a value last changed (so a re-run leaves it alone).
#   segment_history.run_id, segment_transitions.opened_run_id / closed_run_id: the Dagster
#   run that opened or closed a row. A re-run of a month undoes the rows its month opened
#   or closed and writes them again with the same content (`SegmentStore` at the run's
#   as-of), so on those rows they name the re-run, truthfully; every other row keeps them.
RUN_RECORD: dict[str, set[str]] = {
    "segment_history": {"run_id"},
    "segment_transitions": {"opened_run_id", "closed_run_id"},
}


def _text(value) -> str:
    """One canonical text per stored value, equal across drivers and dtypes."""
    if value is None or (not isinstance(value, bytes | str) and pd.isna(value)):
        return "<null>"
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(round(value, 9))
    return str(value)


def dump(url: str) -> dict[str, pd.DataFrame]:
    """Every table of the warehouse, every column but `RUN_RECORD`'s as canonical text,
    rows sorted on all columns."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = {}
            for name in sorted(sa.inspect(conn).get_table_names()):
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                columns = sorted(c.name for c in table.c if c.name not in RUN_RECORD.get(name, ()))
                rows = conn.execute(sa.select(*(table.c[c] for c in columns))).all()
                frame = pd.DataFrame([[_text(v) for v in row] for row in rows], columns=columns)
                tables[name] = frame.sort_values(columns, ignore_index=True)
    finally:
        engine.dispose()
    return tables


def differences(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> list[str]:
    """One line per table that differs: rows only before / only after, and the columns
    in which the differing rows differ (table, column, count)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            lines.append(f"{name}: only {'after' if name in after else 'before'}")
            continue
        old, new = before[name], after[name]
        if list(old.columns) != list(new.columns):
            lines.append(f"{name}: columns {list(old.columns)} -> {list(new.columns)}")
            continue
        if old.equals(new):
            continue
        merged = old.merge(new, how="outer", indicator=True)
        gone = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
        came = merged[merged["_merge"] == "right_only"].drop(columns="_merge")
        changed = {
            c: int((gone[c].value_counts().sub(came[c].value_counts(), fill_value=0) != 0).sum())
            for c in old.columns
        }
        columns = ", ".join(f"{c} ({n} values)" for c, n in changed.items() if n)
        lines.append(
            f"{name}: {len(gone)} rows only before, {len(came)} only after; differ in {columns}"
        )
    return lines


def assert_same_tables(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    found = differences(before, after)
    assert not found, "re-run changed the warehouse:\n" + "\n".join(found)


def test_differences_name_the_table_and_column():
    """The comparison itself: a changed cell is reported, equal tables are not."""
    one = {"t": pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"]})}
    other = {"t": pd.DataFrame({"a": ["1", "2"], "b": ["x", "z"]})}
    assert differences(one, one) == []
    assert differences(one, other) == [
        "t: 1 rows only before, 1 only after; differ in b (2 values)"
    ]
    assert differences(one, {}) == ["t: only before"]


def generated_crm(folder: Path, n_accounts: int, seed: int) -> Path:
    folder.mkdir()
    write_sample_crm(folder, n_accounts=n_accounts, seed=seed)
    return folder


OCTOBER = "2026-10-01"


def approve_some_pending(url: str, decided_at: datetime, every: int = 3) -> int:
    """CS Ops approves every `every`-th pending move (by transition id) at `decided_at`."""
    warehouse = Warehouse(url)
    try:
        store = SegmentStore(warehouse.engine)
        queue = store.transitions()
        pending = queue[queue["status"] == "pending"].sort_values("transition_id")
        chosen = pending.iloc[::every]
        for row in chosen.itertuples():
            store.record_decision(
                row.account_id, "approved", "ops@example.com", row.to_segment, None, decided_at
            )
    finally:
        warehouse.dispose()
    return len(chosen)


def test_rerun_of_a_month_that_applied_moves_changes_no_table(night, sample_crm, warehouse_url):
    """On the bundled sample, October opens moves and runs again: nothing changes (QA saw
    63 snapshot rows change on a 47k-row base). CS Ops approves some, November applies
    them (and moves provisional accounts that aged out): a second November changes
    nothing. This is QA's case: before the fix the applied moves' snapshot rows lost their
    transition."""
    crm = sample_crm
    first_october = night(crm, OCTOBER, warehouse_url=warehouse_url)
    assert first_october.success, first_october.failure_messages()
    after_october = dump(warehouse_url)
    assert len(after_october["segment_transitions"]) > 0  # the case under test is present
    again = night(crm, OCTOBER, warehouse_url=warehouse_url)
    assert again.success, again.failure_messages()
    assert_same_tables(after_october, dump(warehouse_url))
    assert approve_some_pending(warehouse_url, datetime(2026, 11, 16, 9, tzinfo=UTC)) > 0
    first = night(crm, MONTH, warehouse_url=warehouse_url)
    assert first.success, first.failure_messages()
    after_first = dump(warehouse_url)
    queue = after_first["segment_transitions"]
    applied = queue[(queue["status"] == "applied") & (queue["opened_at"] < queue["closed_at"])]
    assert len(applied) > 0  # moves opened in October, applied in November
    again = night(crm, MONTH, warehouse_url=warehouse_url)
    assert again.success, again.failure_messages()
    assert_same_tables(after_first, dump(warehouse_url))


def edit_export(crm: Path, every: int = 7) -> int:
    """A CRM user's day: every `every`-th account's ARR tripled (moves up a tier or
    more), one account deleted. Returns the accounts changed."""
    accounts = pd.read_csv(crm / "accounts.csv", dtype=str, keep_default_na=False)
    arr = pd.to_numeric(accounts["ARR__c"].str.replace(r"[$,]", "", regex=True), errors="coerce")
    edited = accounts.index[::every][arr.iloc[::every].notna().to_numpy()]
    accounts.loc[edited, "ARR__c"] = (arr[edited] * 3).round(2).astype(str)
    accounts.loc[edited, "SystemModstamp"] = "2026-11-20T10:00:00.000+0000"
    accounts.drop(index=accounts.index[-1]).to_csv(crm / "accounts.csv", index=False)
    return len(edited) + 1


def history_disagreements(url: str, month: str) -> int:
    """Accounts of the month's snapshot whose open history row says another segment or
    status (a night that built on its own month's effect leaves such rows stale)."""
    warehouse = Warehouse(url)
    try:
        snapshot = warehouse.read_table("segment_snapshots")
        history = warehouse.read_table("segment_history")
    finally:
        warehouse.dispose()
    snapshot = snapshot[snapshot["snapshot_month"] == month]
    current = history[history["is_current"].astype(bool)]
    assert not current["account_id"].duplicated().any()
    both = snapshot.merge(current, on="account_id", how="left", suffixes=("", "_history"))
    differs = both["segment"].ne(both["segment_history"]) | both["status"].ne(
        both["status_history"]
    )
    return int(differs.sum())


def test_a_night_on_an_edited_export_then_its_rerun_changes_no_table(
    night, tmp_path, warehouse_url
):
    """Night 1 of a month, the export edited, night 2 of the same month (it replaces
    night 1's effect), then night 2 again: the tables after the re-run equal night 2's."""
    crm = generated_crm(tmp_path / "crm", 1500, seed=7)
    assert night(crm, OCTOBER, warehouse_url=warehouse_url).success
    assert night(crm, MONTH, warehouse_url=warehouse_url).success
    assert edit_export(crm) > 100
    second = night(crm, MONTH, warehouse_url=warehouse_url)
    assert second.success, second.failure_messages()
    assert history_disagreements(warehouse_url, MONTH) == 0  # night 1 replaced, not stale
    queue = dump(warehouse_url)["segment_transitions"]
    withdrawn = queue[queue["status"] == "withdrawn"]
    assert (withdrawn["opened_at"] < withdrawn["closed_at"]).all()  # none of night 1's own
    after_second = dump(warehouse_url)
    again = night(crm, MONTH, warehouse_url=warehouse_url)
    assert again.success, again.failure_messages()
    assert_same_tables(after_second, dump(warehouse_url))


def test_a_finished_month_run_again_after_the_next_keeps_its_last_state(
    night, tmp_path, warehouse_url
):
    """README: finished months keep their last state. October, November, then October
    again (a backfill: the queue and history only move forward and are left alone; its
    snapshot is scored on the queue as it stood before October's as-of, not on what
    November applied): every table is as November left it, but the extractor's cursor
    (`pipeline_state` row `crm_accounts`: the month it read last and that read's snapshot
    file), which records the backfill's own read and sends the next night of November to
    a full reconcile."""
    crm = generated_crm(tmp_path / "crm", 1500, seed=11)
    assert night(crm, OCTOBER, warehouse_url=warehouse_url).success
    assert approve_some_pending(warehouse_url, datetime(2026, 11, 16, 9, tzinfo=UTC)) > 0
    assert night(crm, MONTH, warehouse_url=warehouse_url).success
    after_november = dump(warehouse_url)
    again = night(crm, OCTOBER, warehouse_url=warehouse_url)
    assert again.success, again.failure_messages()
    after_october = dump(warehouse_url)
    for tables in (after_november, after_october):
        state = tables["pipeline_state"]
        tables["pipeline_state"] = state[state["name"] != "crm_accounts"]
    assert_same_tables(after_november, after_october)


def test_the_open_month_run_again_later_changes_no_table(night, tmp_path, warehouse_url):
    """The open month's as-of is the moment it runs, so its second run is a later moment,
    not a replay: it must still leave the tables as they were, the moves applied by the
    first run shown on the month's rows as that run showed them."""
    open_month = current_month_key()
    previous = (pd.Timestamp(open_month) - pd.offsets.MonthBegin(1)).strftime("%Y-%m-%d")
    crm = generated_crm(tmp_path / "crm", 1500, seed=24)
    assert night(crm, previous, warehouse_url=warehouse_url).success
    decided = datetime.now(UTC) - pd.Timedelta(minutes=1)
    assert approve_some_pending(warehouse_url, decided) > 0
    first = night(crm, open_month, warehouse_url=warehouse_url)
    assert first.success, first.failure_messages()
    after_first = dump(warehouse_url)
    queue = after_first["segment_transitions"]
    assert (queue["status"] == "applied").any()
    again = night(crm, open_month, warehouse_url=warehouse_url)
    assert again.success, again.failure_messages()
    assert_same_tables(after_first, dump(warehouse_url))
