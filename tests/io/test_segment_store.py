"""The segment operations tables in a real SQLite warehouse."""

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from framework_releases import BUNDLED_VERSION, NEXT_VERSION

from segmentation_pipeline.core.history import HistoryChanges, history_changes, history_reads
from segmentation_pipeline.core.transitions import (
    TRANSITION_COLUMNS,
    QueueUpdate,
    gate_transitions,
    update_queue,
)
from segmentation_pipeline.io.segment_store import SegmentStore

NOV = datetime(2026, 11, 1)


@pytest.fixture
def store(sqlite_url):
    return SegmentStore(sa.create_engine(sqlite_url))


def assignments(segment="Tier 2", at_risk=False) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "segment": [segment, "Tier 3"],
            "status": ["segmented", "provisional"],
            "service_model": ["low_touch", "tech_touch"],
            "unsegmented_reason": [None, None],
            "framework_version": [BUNDLED_VERSION, BUNDLED_VERSION],
            "composite_score": [3.2, 2.0],
            "provisional": [False, True],
            "at_risk": [at_risk, False],
            "segment_override": [False, False],
            "explanation": ["why A", "why B"],
        }
    )


def transition(status="pending", **fields) -> pd.DataFrame:
    row = dict.fromkeys(TRANSITION_COLUMNS)
    row |= {"transition_id": "A|Tier 2->Tier 1|x", "account_id": "A", "from_segment": "Tier 2"}
    row |= {"to_segment": "Tier 1", "direction": "upgrade", "status": status, "opened_at": NOV}
    return pd.DataFrame([row | fields])


def test_empty_warehouse_gives_an_empty_state(store):
    state = store.prior_state()
    assert state.transitions.empty and state.decisions.empty and state.history.empty
    assert list(state.transitions.columns) == list(TRANSITION_COLUMNS)


def test_history_round_trip_then_an_unchanged_run_changes_nothing(store, framework):
    store.write(
        history_changes(store.open_history(), assignments(), framework, NOV, "r1"), transition()
    )
    current = store.open_history()
    assert current["account_id"].tolist() == ["A", "B"]
    assert current["valid_from"].tolist() == [pd.Timestamp(NOV)] * 2
    later = datetime(2026, 12, 1)
    assert history_changes(current, assignments(at_risk=True), framework, later, "r2").empty


def test_closing_and_opening_happen_together(store, framework):
    store.write(
        history_changes(store.open_history(), assignments(), framework, NOV, "r1"), transition()
    )
    dec = datetime(2026, 12, 1)
    changes = history_changes(store.open_history(), assignments("Tier 1"), framework, dec, "r2")
    store.write(changes, transition("applied", closed_at=dec, applied_by="approval"))
    history = store.history().sort_values(["account_id", "valid_from"])
    a = history[history["account_id"].eq("A")]
    assert a["segment"].tolist() == ["Tier 2", "Tier 1"]
    assert a["valid_to"].tolist()[0] == pd.Timestamp(dec) and pd.isna(a["valid_to"].tolist()[1])
    assert a["is_current"].astype(bool).tolist() == [False, True]
    queue = store.transitions()
    assert queue[["status", "applied_by"]].values.tolist() == [["applied", "approval"]]


def test_a_failed_write_leaves_both_tables_as_they_were(store, framework):
    store.write(
        history_changes(store.open_history(), assignments(), framework, NOV, "r1"), transition()
    )
    dec = datetime(2026, 12, 1)
    changes = history_changes(store.open_history(), assignments("Tier 1"), framework, dec, "r2")
    twice = pd.concat([transition(), transition()], ignore_index=True)  # duplicate key
    with pytest.raises(sa.exc.IntegrityError):
        store.write(changes, twice)
    assert store.open_history()["segment"].tolist() == ["Tier 2", "Tier 3"]
    assert len(store.history()) == 2 and len(store.transitions()) == 1


def test_decisions_are_recorded_in_utc(store):
    store.record_decision(
        "A",
        "approved",
        "cs-ops",
        to_segment="Tier 1",
        decided_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
    )
    decisions = store.decisions()
    assert decisions[["account_id", "decision", "to_segment"]].values.tolist() == [
        ["A", "approved", "Tier 1"]
    ]
    assert decisions["decided_at"].iloc[0] == pd.Timestamp("2026-11-03 09:00")


def test_an_unknown_decision_is_refused(store):
    with pytest.raises(ValueError, match="approved"):
        store.record_decision("A", "maybe", "cs-ops")


# --- the bulk write path on SQLite and PostgreSQL ---------------------------------------


@pytest.fixture
def any_store(warehouse_url):
    from segmentation_pipeline.io.warehouse import Warehouse

    client = Warehouse(warehouse_url)
    yield SegmentStore(client.engine)
    client.dispose()


def test_closing_opening_and_replacing_queue_rows_on_either_database(any_store, framework):
    store = any_store
    store.write(
        history_changes(store.open_history(), assignments(), framework, NOV, "r1"), transition()
    )
    dec = datetime(2026, 12, 1)
    changes = history_changes(store.open_history(), assignments("Tier 1"), framework, dec, "r2")
    assert changes.closed["history_id"].tolist() == ["A@2026-11-01T00:00:00"]
    store.write(changes, transition("applied", closed_at=dec, applied_by="approval"))

    history = store.history().sort_values(["account_id", "valid_from"]).reset_index(drop=True)
    assert history[["account_id", "segment"]].values.tolist() == [
        ["A", "Tier 2"],
        ["A", "Tier 1"],
        ["B", "Tier 3"],
    ]
    assert history["is_current"].tolist() == [False, True, True]
    assert (
        history["valid_to"].iloc[0] == pd.Timestamp(dec)
        and history["valid_to"].iloc[1:].isna().all()
    )
    assert history["provisional"].tolist() == [False, False, True]
    assert history["composite_score"].tolist() == [3.2, 3.2, 2.0]
    queue = store.transitions()
    assert queue[["transition_id", "status", "applied_by"]].values.tolist() == [
        ["A|Tier 2->Tier 1|x", "applied", "approval"]
    ]
    assert queue["opened_at"].iloc[0] == pd.Timestamp(NOV)
    assert queue["closed_at"].iloc[0] == pd.Timestamp(dec)
    # The gate asks only which accounts are provisional now: their open rows come back.
    assert store.prior_state().history[["account_id", "status"]].values.tolist() == [
        ["B", "provisional"]
    ]


def test_a_failed_write_rolls_back_the_closes_on_either_database(any_store, framework):
    store = any_store
    store.write(
        history_changes(store.open_history(), assignments(), framework, NOV, "r1"), transition()
    )
    dec = datetime(2026, 12, 1)
    changes = history_changes(store.open_history(), assignments("Tier 1"), framework, dec, "r2")
    twice = pd.concat([transition(), transition()], ignore_index=True)  # duplicate key
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        store.write(changes, twice)
    current = store.open_history().sort_values("account_id")
    assert current["segment"].tolist() == ["Tier 2", "Tier 3"]
    assert current["valid_to"].isna().all()
    assert len(store.history()) == 2 and len(store.transitions()) == 1


def test_the_narrow_queue_update_matches_the_whole_queue_on_either_database(any_store):
    """queue_update reads pending ids, counts and the closing rows only; it must give
    what update_queue over the whole stored queue gives."""
    store = any_store
    rows = [("a1", "A", "applied"), ("p1", "B", "pending"), ("p2", "C", "pending"),
            ("p3", "D", "pending"), ("w1", "E", "withdrawn")]  # fmt: skip
    stored = pd.concat(
        [transition(s, transition_id=t, account_id=a) for t, a, s in rows], ignore_index=True
    )
    store.write(HistoryChanges(pd.DataFrame(), pd.DataFrame(), 0), stored)
    tonight = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "F"],
            "composite_score": 3.0,
            "transition_id": ["a1", "p1", "p2", "n1"],
            "transition_from": "Tier 2",
            "transition_to": "Tier 1",
            "transition_direction": "upgrade",
            "transition_status": ["applied", "pending", "applied", "pending"],
            "transition_rule": ["approval", None, "grace", None],
            "decided_by": None,
        }
    )
    dec = datetime(2026, 12, 1)
    narrow = store.queue_update(tonight, dec, "r2")
    queue, changed = update_queue(store.transitions(), tonight, dec, "r2")
    full = QueueUpdate.of(queue, changed)
    by_id = ["transition_id"]
    pd.testing.assert_frame_equal(
        narrow.changed.sort_values(by_id).reset_index(drop=True),
        full.changed.sort_values(by_id).reset_index(drop=True),
    )
    assert narrow.changed["transition_id"].tolist() == ["p2", "p3", "n1"]  # a1 stays closed
    assert (narrow.row_count, full.row_count) == (6, 6)
    assert (
        narrow.status_counts
        == full.status_counts
        == {
            "applied": 2,
            "pending": 2,
            "withdrawn": 2,
        }
    )
    preview = ["transition_id", "account_id", "from_segment", "to_segment", "opened_at"]
    assert narrow.pending_preview["transition_id"].tolist() == ["p1", "n1"]
    pd.testing.assert_frame_equal(narrow.pending_preview[preview], full.pending_preview[preview])


def test_a_warehouse_from_an_earlier_release_gains_the_indexes_latest_activity_uses(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    store = SegmentStore(engine)
    store.create_tables()
    with engine.begin() as conn:  # as an earlier release left them: no index on the moments
        for name in ("valid_from", "opened_at", "closed_at"):
            table = "segment_history" if name == "valid_from" else "segment_transitions"
            conn.exec_driver_sql(f"DROP INDEX ix_{table}_{name}")
    this_release = SegmentStore(engine)
    this_release.write(HistoryChanges(pd.DataFrame(), pd.DataFrame(), 0), transition())
    assert this_release.latest_activity() == datetime(2026, 11, 1)
    with engine.connect() as conn:
        plans = [
            " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
            for query in (
                "SELECT max(valid_from) FROM segment_history",
                "SELECT max(opened_at) FROM segment_transitions",
                "SELECT max(closed_at) FROM segment_transitions",
            )
        ]
    assert all("USING COVERING INDEX ix_segment_" in plan for plan in plans), plans


# --- the open rows and the queue, read from the tables as they stand --------------------


def night(store, framework, frame, moment, run_id) -> HistoryChanges:
    changes = history_changes(
        store.open_history(history_reads(framework)), frame, framework, moment, run_id
    )
    store.write(changes, pd.DataFrame())
    return changes


def test_the_open_rows_are_the_current_version_of_each_account(any_store, framework):
    store, columns = any_store, history_reads(framework)
    night(store, framework, assignments(), NOV, "r1")
    moved = assignments("Tier 1")
    moved.loc[1, ["status", "unsegmented_reason", "segment"]] = ["unsegmented", "no_arr", None]
    night(store, framework, moved, datetime(2026, 12, 1), "r2")
    gone = moved.iloc[[0]]  # B left the CRM: its row closes
    night(store, framework, gone, datetime(2027, 1, 1), "r3")
    current = store.open_history(columns)
    assert current["account_id"].tolist() == ["A"] and current["segment"].tolist() == ["Tier 1"]


def test_open_rows_changed_or_removed_by_hand_are_seen(store, framework):
    night(store, framework, assignments(), NOV, "r1")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM segment_history WHERE account_id = 'B'")
        conn.exec_driver_sql("UPDATE segment_history SET segment = 'Tier 9' WHERE account_id = 'A'")
    current = store.open_history(history_reads(framework))
    assert current[["account_id", "segment"]].values.tolist() == [["A", "Tier 9"]]


def queue_rows(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.concat(
        [transition(s, transition_id=t, account_id=a) for t, a, s in rows], ignore_index=True
    )


def quiet() -> HistoryChanges:
    return HistoryChanges(pd.DataFrame(), pd.DataFrame(), 0)


def test_the_gate_reads_the_live_queue_in_id_order(any_store):
    store = any_store
    store.write(quiet(), queue_rows(("p2", "B", "pending"), ("p1", "A", "pending")))
    dec = datetime(2026, 12, 1)
    # p1 is applied, p2 withdrawn (it leaves the live queue), p3 opens.
    tonight = queue_rows(("p1", "A", "applied"), ("p2", "B", "withdrawn"), ("p3", "C", "pending"))
    tonight.loc[0, "closed_at"] = dec
    store.write(quiet(), tonight)
    queue = store.prior_state().transitions
    assert queue[["transition_id", "status"]].values.tolist() == [
        ["p1", "applied"],
        ["p3", "pending"],
    ]
    assert queue["closed_at"].tolist()[0] == pd.Timestamp(dec)


def test_queue_rows_withdrawn_by_hand_are_seen(store):
    store.write(quiet(), queue_rows(("p1", "A", "pending"), ("p2", "B", "pending")))
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE segment_transitions SET status = 'withdrawn' WHERE transition_id = 'p1'"
        )
    assert store.prior_state().transitions["transition_id"].tolist() == ["p2"]


def test_a_failed_write_leaves_the_queue_before_it(store):
    store.write(quiet(), queue_rows(("p1", "A", "pending")))
    twice = queue_rows(("p2", "B", "pending"), ("p2", "B", "pending"))  # duplicate key
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        store.write(quiet(), twice)
    assert store.prior_state().transitions["transition_id"].tolist() == ["p1"]
    store.write(quiet(), queue_rows(("p3", "C", "pending")))
    assert store.prior_state().transitions["transition_id"].tolist() == ["p1", "p3"]


def test_pending_ids_come_in_id_order(store):
    store.write(
        quiet(),
        queue_rows(("p3", "C", "pending"), ("a1", "A", "applied"), ("p1", "B", "pending")),
    )
    assert store.pending_transition_ids().tolist() == ["p1", "p3"]


# --- a run at a moment the tables already record (a re-run of a month) -----------------


def test_a_run_at_a_recorded_moment_reads_the_tables_as_they_stood_before_it(any_store, framework):
    """November opens A's move; December applies it (A's history moves to Tier 1) and
    opens a move for B. Read at December's as-of, the tables are November's again."""
    store, dec = any_store, datetime(2026, 12, 1)
    store.write(
        history_changes(store.open_history(), assignments(), framework, NOV, "r1"), transition()
    )
    moves = pd.concat(
        [
            transition("applied", closed_at=dec, applied_by="approval", closed_run_id="r2"),
            transition(transition_id="n", account_id="B", from_segment="Tier 3",
                       to_segment="Tier 2", opened_at=dec),
        ],
        ignore_index=True,
    )  # fmt: skip
    changes = history_changes(store.open_history(), assignments("Tier 1"), framework, dec, "r2")
    store.write(changes, moves)
    assert SegmentStore(store.engine).transition_status_counts() == {"applied": 1, "pending": 1}

    again = SegmentStore(store.engine, as_of=dec)
    queue = again.prior_state().transitions
    assert queue[["transition_id", "status"]].values.tolist() == [["A|Tier 2->Tier 1|x", "pending"]]
    assert pd.isna(queue["closed_at"].iloc[0])
    assert again.pending_transition_ids().tolist() == ["A|Tier 2->Tier 1|x"]
    assert again.transition_status_counts() == {"pending": 1}
    by_id = again.transitions_by_id(pd.Series(["A|Tier 2->Tier 1|x", "n"]))
    assert by_id[["transition_id", "status", "applied_by"]].values.tolist() == [
        ["A|Tier 2->Tier 1|x", "pending", None]
    ]
    open_rows = again.open_history().sort_values("account_id")
    assert open_rows[["account_id", "segment"]].values.tolist() == [
        ["A", "Tier 2"],
        ["B", "Tier 3"],
    ]
    assert open_rows["valid_from"].tolist() == [pd.Timestamp(NOV)] * 2
    # An earlier moment sees no more than that either; a later one sees everything.
    assert SegmentStore(store.engine, as_of=datetime(2026, 12, 2)).transition_status_counts() == {
        "applied": 1,
        "pending": 1,
    }


def test_a_run_at_a_recorded_moment_replaces_what_the_earlier_run_wrote(any_store, framework):
    """December written once with A's move applied; December again, now with nothing
    moving: the tables end as November left them, as if the first December never ran."""
    store, dec = any_store, datetime(2026, 12, 1)
    store.write(
        history_changes(store.open_history(), assignments(), framework, NOV, "r1"), transition()
    )
    november = (store.history(), store.transitions())
    changes = history_changes(store.open_history(), assignments("Tier 1"), framework, dec, "r2")
    store.write(changes, transition("applied", closed_at=dec, applied_by="approval"))

    again = SegmentStore(store.engine, as_of=dec)
    open_rows = again.open_history(history_reads(framework))
    unchanged = history_changes(open_rows, assignments(), framework, dec, "r3")
    assert unchanged.empty
    again.write(unchanged, again.transitions_by_id(pd.Series(dtype=object)))
    history = store.history().sort_values("history_id", ignore_index=True)
    pd.testing.assert_frame_equal(
        history, november[0].sort_values("history_id", ignore_index=True), check_dtype=False
    )
    pd.testing.assert_frame_equal(store.transitions(), november[1], check_dtype=False)
    open_rows = SegmentStore(store.engine).open_history(history_reads(framework))
    assert sorted(open_rows["segment"]) == ["Tier 2", "Tier 3"]


def test_the_published_tier_is_the_open_history_rows_segment_as_before_the_runs_moment(
    sqlite_url, framework
):
    engine = sa.create_engine(sqlite_url)
    store = SegmentStore(engine)
    changes = history_changes(store.open_history(), assignments(), framework, NOV, "r1")
    store.write(changes, transition().iloc[:0])
    published = SegmentStore(engine).prior_state().published
    assert published.sort_values("account_id").values.tolist() == [["A", "Tier 2"], ["B", "Tier 3"]]
    # A re-run at NOV reads the tables as they stood before it: nothing published yet.
    assert SegmentStore(engine, NOV).prior_state().published.empty
    # When every account has a CRM tier, the published ones are not read at all.
    assert SegmentStore(engine).prior_state(published=False).published.empty


def test_a_rescore_with_another_version_is_gated_against_the_tier_its_month_published(
    sqlite_url, framework
):
    """`framework adopt` re-scores the month that first published A (no CRM tier) at
    Tier 2: that tier stays current, so the new version's Tier 1 waits in the queue as it
    does in every later month. A re-run with the same version still replaces its rows."""
    engine = sa.create_engine(sqlite_url)
    store = SegmentStore(engine)
    changes = history_changes(store.open_history(), assignments(), framework, NOV, "r1")
    store.write(changes, transition().iloc[:0])
    candidate = framework.model_copy(update={"version": NEXT_VERSION})
    state = SegmentStore(engine, NOV).prior_state(framework_version=candidate.version)
    frame = pd.DataFrame({"account_id": ["A"], "crm_tier": [None], "computed_segment": ["Tier 1"]})
    one = pd.Series([True])
    gated = gate_transitions(frame, one, ~one, state, candidate, NOV)
    assert gated.loc[0, ["segment", "current_tier", "transition_status"]].tolist() == [
        "Tier 2",
        "Tier 2",
        "pending",
    ]
    rerun = SegmentStore(engine, NOV).prior_state(framework_version=framework.version)
    assert rerun.published.empty
