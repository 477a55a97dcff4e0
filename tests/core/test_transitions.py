"""The boundary-crossing review queue (methodology edge case 4), run after run.

The account: 500 employees, Software, US, Early-stage (firmographic 4), usage at 4
points, multi-year named logo. At $45K ARR it computes Tier 2 (3.9125); at $130K,
Tier 1 (4.0875); shrunk to a $5K month-to-month commodity account with usage at 2
points, Tier 3 (2.4125)."""

from dataclasses import replace

import pandas as pd
import pytest

from segmentation_pipeline.core.assignment import assign_segments
from segmentation_pipeline.core.scoring import score_accounts
from segmentation_pipeline.core.transitions import (
    TRANSITION_COLUMNS,
    PriorState,
    QueueUpdate,
    closing_transitions,
    empty_decisions,
    needs_published_tiers,
    new_transition_ids,
    pending_preview,
    queue_changes,
    status_counts_after,
    update_queue,
)
from segmentation_pipeline.framework import parse_framework

NOV = pd.Timestamp("2026-11-01")
DEC = pd.Timestamp("2026-12-01")
ACCOUNT = {
    "account_id": "001A",
    "employees": 500,
    "growth_stage": "Early-stage",
    "strategic_importance": "Named logo",
    "crm_tier": "Tier 2",
}
AT_45K, AT_130K = ACCOUNT | {"arr": 45_000}, ACCOUNT | {"arr": 130_000}
AT_5K = ACCOUNT | {"arr": 5_000, "contract_term": "Month-to-month"}
AT_5K |= {"strategic_importance": "Commodity"}
POOR_USAGE = (
    {
        "active_users": 30,
        "features_adopted": 4,
        "open_tickets": 3,
        "nps": -10,
        "onboarding_completion": 0.3,
    },
)


class Queue:
    """Runs assignment with the state earlier runs left, as the pipeline does."""

    def __init__(self, make_accounts, make_usage, framework):
        self.make_accounts, self.make_usage, self.framework = make_accounts, make_usage, framework
        self.state = PriorState.empty()
        self.runs = 0

    def run(self, account: dict, as_of: pd.Timestamp, usage=({},)):
        self.runs += 1
        frame = self.make_accounts(account)
        scores = score_accounts(frame, self.make_usage(*usage), self.framework, as_of)
        rows = assign_segments(frame, scores, self.framework, self.state, as_of)
        queue, changed = update_queue(self.state.transitions, rows, as_of, f"run{self.runs}")
        history = rows[["account_id", "status"]]
        published = rows[["account_id", "segment"]]
        self.state = replace(self.state, transitions=queue, history=history, published=published)
        self.changed = changed
        return rows.iloc[0]

    def decide(self, decision: str, at: pd.Timestamp, to_segment: str | None = "Tier 1"):
        row = {"account_id": "001A", "to_segment": to_segment, "decision": decision}
        row |= {"decided_by": "cs-ops@example.com", "decided_at": at, "note": None}
        decisions = pd.concat([empty_decisions(), pd.DataFrame([row])], ignore_index=True)
        self.state = replace(self.state, decisions=decisions)


@pytest.fixture
def queue(make_accounts, make_usage, framework):
    return Queue(make_accounts, make_usage, framework)


def with_policy(framework, **transitions):
    data = framework.model_dump()
    data["assignment"]["transitions"].update(transitions)
    return parse_framework(data)


def test_crossing_opens_one_pending_transition_and_keeps_the_tier(queue):
    row = queue.run(AT_130K, NOV)
    assert (row["segment"], row["computed_segment"]) == ("Tier 2", "Tier 1")
    assert row["transition_status"] == "pending"
    assert len(queue.changed) == 1
    opened = queue.changed.iloc[0]
    assert (opened["from_segment"], opened["to_segment"], opened["direction"]) == (
        "Tier 2",
        "Tier 1",
        "upgrade",
    )
    assert opened["opened_at"] == NOV and pd.isna(opened["closed_at"])


def test_unchanged_rerun_changes_no_queue_row(queue):
    queue.run(AT_130K, NOV)
    first = queue.state.transitions.copy()
    row = queue.run(AT_130K, NOV + pd.Timedelta(days=1))
    assert queue.changed.empty
    assert row["transition_id"] == first["transition_id"].iloc[0]
    pd.testing.assert_frame_equal(queue.state.transitions, first)


def test_approval_applies_the_move_and_closes_the_row(queue):
    queue.run(AT_130K, NOV)
    queue.decide("approved", NOV + pd.Timedelta(days=3))
    row = queue.run(AT_130K, NOV + pd.Timedelta(days=7))
    assert (row["segment"], row["transition_status"], row["transition_rule"]) == (
        "Tier 1",
        "applied",
        "approval",
    )
    assert row["decided_by"] == "cs-ops@example.com"
    closed = queue.changed.iloc[0]
    assert (closed["status"], closed["closed_at"]) == ("applied", NOV + pd.Timedelta(days=7))


def test_a_later_run_of_the_month_shows_the_move_applied_earlier_in_it(queue):
    """The next night of the same month (or a re-run) writes the same row as the night
    that applied the move; the next month no longer carries it (test below)."""
    queue.run(AT_130K, NOV)
    queue.decide("approved", NOV + pd.Timedelta(days=3))
    applied = queue.run(AT_130K, NOV + pd.Timedelta(days=7))
    later = queue.run(AT_130K, NOV + pd.Timedelta(days=8))
    assert queue.changed.empty
    pd.testing.assert_series_equal(later, applied, check_names=False)
    assert (later["current_tier"], later["segment"], later["transition_status"]) == (
        "Tier 2",
        "Tier 1",
        "applied",
    )


def test_applied_move_holds_while_the_crm_still_shows_the_old_tier(queue):
    queue.run(AT_130K, NOV)
    queue.decide("approved", NOV + pd.Timedelta(days=3))
    queue.run(AT_130K, NOV + pd.Timedelta(days=7))
    row = queue.run(AT_130K, DEC)  # no write-back: the CRM still says Tier 2
    assert (row["current_tier"], row["segment"]) == ("Tier 1", "Tier 1")
    assert pd.isna(row["transition_status"]) and queue.changed.empty


def test_falling_back_after_an_applied_move_is_a_new_crossing(queue):
    queue.run(AT_130K, NOV)
    queue.decide("approved", NOV + pd.Timedelta(days=3))
    queue.run(AT_130K, NOV + pd.Timedelta(days=7))
    row = queue.run(AT_45K, DEC)
    assert (row["segment"], row["transition_to"], row["transition_direction"]) == (
        "Tier 1",
        "Tier 2",
        "downgrade",
    )


def test_rejection_keeps_the_tier_and_is_not_asked_again(queue):
    queue.run(AT_130K, NOV)
    queue.decide("rejected", NOV + pd.Timedelta(days=2))
    row = queue.run(AT_130K, NOV + pd.Timedelta(days=7))
    assert (row["segment"], row["transition_status"]) == ("Tier 2", "rejected")
    assert queue.changed["status"].tolist() == ["rejected"]
    again = queue.run(AT_130K, DEC)
    assert (again["segment"], again["transition_status"]) == ("Tier 2", "rejected")
    assert queue.changed.empty


@pytest.mark.parametrize(
    ("decided_at", "to_segment"),
    [
        (NOV - pd.Timedelta(days=1), "Tier 1"),  # taken before the transition opened
        (NOV + pd.Timedelta(days=1), "Tier 3"),  # about another move
        (NOV + pd.Timedelta(days=8), "Tier 1"),  # taken after the run's as-of (a later run's)
    ],
)
def test_decisions_that_do_not_concern_the_open_transition_are_ignored(
    queue, decided_at, to_segment
):
    queue.run(AT_130K, NOV)
    queue.decide("approved", decided_at, to_segment)
    assert queue.run(AT_130K, NOV + pd.Timedelta(days=7))["transition_status"] == "pending"


def test_decision_without_a_target_applies_to_the_open_transition(queue):
    queue.run(AT_130K, NOV)
    queue.decide("approved", NOV + pd.Timedelta(days=1), to_segment=None)
    assert queue.run(AT_130K, NOV + pd.Timedelta(days=7))["segment"] == "Tier 1"


@pytest.mark.parametrize(("days", "applied"), [(13, False), (14, True)])
def test_grace_period_applies_an_undecided_move(
    make_accounts, make_usage, framework, days, applied
):
    graceful = with_policy(framework, upgrade={"policy": "review", "grace_days": 14})
    queue = Queue(make_accounts, make_usage, graceful)
    queue.run(AT_130K, NOV)
    row = queue.run(AT_130K, NOV + pd.Timedelta(days=days))
    assert (row["segment"] == "Tier 1") is applied
    assert row["transition_rule"] == ("grace" if applied else None)


def test_upgrades_and_downgrades_follow_their_own_policy(make_accounts, make_usage, framework):
    fast_down = with_policy(framework, downgrade={"policy": "immediate", "grace_days": None})
    down = Queue(make_accounts, make_usage, fast_down).run(AT_5K, NOV, POOR_USAGE)
    assert (down["segment"], down["transition_status"], down["transition_rule"]) == (
        "Tier 3",
        "applied",
        "immediate",
    )
    up = Queue(make_accounts, make_usage, fast_down).run(AT_130K, NOV)
    assert (up["segment"], up["transition_status"]) == ("Tier 2", "pending")


def test_going_back_to_the_current_tier_withdraws_the_pending_move(queue):
    queue.run(AT_130K, NOV)
    row = queue.run(AT_45K, NOV + pd.Timedelta(days=1))
    assert (row["segment"], row["transition_status"]) == ("Tier 2", None)
    assert queue.changed["status"].tolist() == ["withdrawn"]


def test_a_new_target_supersedes_the_pending_move(queue):
    queue.run(AT_130K, NOV)
    row = queue.run(AT_5K, NOV + pd.Timedelta(days=1), POOR_USAGE)
    assert (row["transition_to"], row["transition_direction"]) == ("Tier 3", "downgrade")
    assert sorted(queue.changed["status"]) == ["pending", "withdrawn"]
    assert len(queue.state.transitions) == 2


def test_override_withdraws_a_pending_move(queue):
    queue.run(AT_130K, NOV)
    row = queue.run(AT_130K | {"segment_override": True}, NOV + pd.Timedelta(days=1))
    assert (row["status"], row["segment"]) == ("overridden", "Tier 2")
    assert queue.changed["status"].tolist() == ["withdrawn"]


def test_provisional_account_is_reassigned_at_once_when_it_ages_out(queue):
    created = pd.Timestamp(NOV, tz="UTC") - pd.Timedelta(days=10)
    young = AT_130K | {"created_date": created, "crm_tier": "Tier 2"}
    first = queue.run(young, NOV, usage=())
    assert (first["status"], first["segment"]) == ("provisional", "Tier 1")
    # 40 days old, with poor usage: computes Tier 2, the CRM shows Tier 3
    aged = young | {"crm_tier": "Tier 3"}
    row = queue.run(aged, NOV + pd.Timedelta(days=30), usage=({"active_users": 30},))
    assert (row["status"], row["segment"], row["transition_rule"]) == (
        "segmented",
        row["computed_segment"],
        "provisional_exit",
    )
    assert queue.changed["status"].tolist() == ["applied"]


def test_an_account_new_to_the_pipeline_without_a_crm_tier_is_assigned_without_review(queue):
    row = queue.run(AT_130K | {"crm_tier": None}, NOV)
    assert (row["segment"], row["transition_status"]) == ("Tier 1", None)
    assert queue.changed.empty


def test_an_account_with_no_tier_yet_holds_the_one_it_is_given_and_a_rerun_agrees(queue):
    """Its next run reads that tier back as the last published one: the same input must
    give the same row (current_tier included), not a first row with no current tier."""
    first = queue.run(AT_130K | {"crm_tier": None}, NOV)
    again = queue.run(AT_130K | {"crm_tier": None}, NOV + pd.Timedelta(hours=1))
    assert first["current_tier"] == first["segment"] == "Tier 1"
    pd.testing.assert_series_equal(first, again)


def test_without_a_crm_tier_the_last_published_tier_is_current_and_a_move_is_reviewed(queue):
    queue.run(AT_45K | {"crm_tier": None}, NOV)  # published Tier 2, nothing to review
    row = queue.run(AT_130K | {"crm_tier": None}, DEC)
    assert (row["current_tier"], row["segment"], row["computed_segment"]) == (
        "Tier 2",
        "Tier 2",
        "Tier 1",
    )
    assert row["transition_status"] == "pending"
    assert queue.changed[["from_segment", "to_segment", "status"]].values.tolist() == [
        ["Tier 2", "Tier 1", "pending"]
    ]


def test_a_crm_tier_wins_over_the_last_published_tier(queue):
    queue.run(AT_45K | {"crm_tier": None}, NOV)  # published Tier 2
    row = queue.run(AT_130K | {"crm_tier": "Tier 1"}, DEC)
    assert (row["current_tier"], row["segment"], row["transition_status"]) == (
        "Tier 1",
        "Tier 1",
        None,
    )


def test_an_approved_move_of_an_account_without_a_crm_tier_is_applied(queue):
    queue.run(AT_45K | {"crm_tier": None}, NOV)
    queue.run(AT_130K | {"crm_tier": None}, DEC)
    queue.decide("approved", DEC + pd.Timedelta(days=1))
    row = queue.run(AT_130K | {"crm_tier": None}, DEC + pd.Timedelta(days=2))
    assert (row["segment"], row["transition_status"], row["transition_rule"]) == (
        "Tier 1",
        "applied",
        "approval",
    )


# --- the narrow queue update: only the rows that change, plus what metadata shows ------
def _stored(*rows: tuple) -> pd.DataFrame:
    """Queue rows from (transition_id, account_id, status)."""
    frame = pd.DataFrame([dict.fromkeys(TRANSITION_COLUMNS) for _ in rows])
    frame["transition_id"] = [r[0] for r in rows]
    frame["account_id"] = [r[1] for r in rows]
    frame["status"] = [r[2] for r in rows]
    frame["from_segment"], frame["to_segment"] = "Tier 2", "Tier 1"
    frame["opened_at"] = pd.Timestamp("2026-10-01")
    return frame


def _carrying(*rows: tuple) -> pd.DataFrame:
    """Assignments carrying (account_id, transition_id, transition_status, rule)."""
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "composite_score": 3.0,
            "transition_id": [r[1] for r in rows],
            "transition_from": "Tier 2",
            "transition_to": "Tier 1",
            "transition_direction": "upgrade",
            "transition_status": [r[2] for r in rows],
            "transition_rule": [r[3] for r in rows],
            "decided_by": None,
        }
    )


# p1 stays pending, p2 is applied, p3 is no longer carried, n1 opens, a1 was applied.
STORED = _stored(("a1", "A", "applied"), ("p1", "B", "pending"), ("p2", "C", "pending"),
                 ("p3", "D", "pending"), ("w1", "E", "withdrawn"))  # fmt: skip
TONIGHT = _carrying(("A", "a1", "applied", "approval"), ("B", "p1", "pending", None),
                    ("C", "p2", "applied", "grace"), ("F", "n1", "pending", None),
                    ("G", None, None, None))  # fmt: skip
NIGHT = pd.Timestamp("2026-11-01")


def test_closing_transitions_are_the_pending_rows_not_carried_on_as_pending():
    pending = pd.Series(["p1", "p2", "p3"], dtype=object)
    assert closing_transitions(pending, TONIGHT).tolist() == ["p2", "p3"]
    assert new_transition_ids(TONIGHT, pending).tolist() == ["a1", "n1"]


def test_queue_changes_close_and_open_as_update_queue_does():
    closing = STORED[STORED["transition_id"].isin(["p2", "p3"])]
    # Only the pending ids and a1 (found among the stored rows) are known: n1 opens.
    known = pd.Series(["p1", "p2", "p3", "a1"], dtype=object)
    changed = queue_changes(closing, known, TONIGHT, NIGHT, "r2")
    assert changed[["transition_id", "account_id", "status"]].values.tolist() == [
        ["p2", "C", "applied"],
        ["p3", "D", "withdrawn"],
        ["n1", "F", "pending"],
    ]
    assert changed["applied_by"].iloc[0] == "grace" and changed["applied_by"][1:].isna().all()
    assert changed["closed_at"].tolist()[:2] == [NIGHT, NIGHT]
    assert pd.isna(changed["closed_at"].iloc[2]) and changed["opened_at"].iloc[2] == NIGHT
    assert changed["closed_run_id"].tolist() == ["r2", "r2", None]
    _, full = update_queue(STORED, TONIGHT, NIGHT, "r2")
    pd.testing.assert_frame_equal(changed, full)


def test_status_counts_after_the_change_from_the_stored_counts():
    before = {"applied": 1, "pending": 3, "withdrawn": 1, None: 2}
    closing = STORED[STORED["transition_id"].isin(["p2", "p3"])]
    changed = _stored(("p2", "C", "applied"), ("p3", "D", "withdrawn"), ("n1", "F", "pending"))
    # pending 3 - 2 + 1, applied 1 + 1, withdrawn 1 + 1; ties by name; no null status.
    after = status_counts_after(before, closing, changed)
    assert list(after.items()) == [("applied", 2), ("pending", 2), ("withdrawn", 2)]
    assert status_counts_after({"pending": 1}, closing.head(1), changed.head(1)) == {"applied": 1}


def test_pending_preview_puts_the_stored_pending_rows_before_the_new_ones():
    staying = _stored(("p1", "B", "pending"), ("p4", "H", "pending"))
    changed = _stored(("p2", "C", "applied"), ("n1", "F", "pending"), ("n2", "I", "pending"))
    assert pending_preview(staying, changed, 3)["transition_id"].tolist() == ["p1", "p4", "n1"]
    assert pending_preview(staying.iloc[:0], changed.head(1)).empty


def test_queue_update_of_the_whole_queue_counts_and_previews_it():
    queue, changed = update_queue(STORED, TONIGHT, NIGHT, "r2")
    summary = QueueUpdate.of(queue, changed)
    assert summary.row_count == 6
    assert summary.status_counts == {"applied": 2, "pending": 2, "withdrawn": 2}
    assert summary.pending_preview["transition_id"].tolist() == ["p1", "n1"]


def test_the_published_tiers_matter_only_where_the_crm_shows_no_tier_the_framework_knows(
    framework,
):
    assert not needs_published_tiers(pd.Series(["Tier 1", "Tier 3"]), framework)
    assert needs_published_tiers(pd.Series(["Tier 1", None]), framework)
    assert needs_published_tiers(pd.Series(["Tier 1", "Gold"]), framework)  # a legacy tier


# -- A company data lookup that failed (vendor outage) or was not sent (credit budget) --
FAILED_LOOKUP = {"enrichment_pending": "failed"}


def test_a_pending_lookup_keeps_the_current_tier_and_opens_no_move(queue):
    """Its gaps are an outage, not the vendor's answer: no move is reviewed on them."""
    row = queue.run(AT_130K | FAILED_LOOKUP, NOV)
    assert (row["segment"], row["computed_segment"], row["status"]) == (
        "Tier 2",
        "Tier 1",
        "segmented",
    )
    assert (row["tier_rule"], row["transition_status"]) == ("enrichment_pending", None)
    assert queue.changed.empty
    assert row["explanation"].startswith(
        "Tier 2, kept while a company data lookup is retried; the scores without it give Tier 1"
    )
    assert row["explanation_detail"].startswith(
        "Tier 2 (Low-Touch) kept while an enrichment lookup is pending; computed Tier 1"
    )
    # The night the lookup answers, the account is assigned as on any other night.
    answered = queue.run(AT_130K, NOV + pd.Timedelta(days=1))
    assert (answered["segment"], answered["transition_status"]) == ("Tier 2", "pending")


def test_a_pending_lookup_with_no_tier_to_keep_is_unsegmented_until_it_answers(queue):
    """Nothing is published from the gaps, so the answered night is the account's first
    tier, not a move to review away from a tier the outage gave it."""
    row = queue.run(AT_130K | {"crm_tier": None} | FAILED_LOOKUP, NOV)
    assert (row["status"], row["segment"], row["current_tier"]) == (
        "unsegmented",
        "Unsegmented",
        None,
    )
    assert (row["unsegmented_reason"], row["tier_rule"]) == (
        "enrichment_pending:failed",
        "missing_data",
    )
    assert row["explanation"] == (
        "Not segmented because its company data lookup failed; it is retried nightly"
    )
    answered = queue.run(AT_130K | {"crm_tier": None}, NOV + pd.Timedelta(days=1))
    assert (answered["segment"], answered["current_tier"]) == ("Tier 1", "Tier 1")
    assert (answered["status"], answered["transition_status"]) == ("segmented", None)
    assert queue.changed.empty


def test_a_pending_lookup_keeps_the_last_published_tier_of_an_account_the_crm_shows_none(queue):
    queue.run(AT_45K | {"crm_tier": None}, NOV)  # published Tier 2
    row = queue.run(AT_130K | {"crm_tier": None, "enrichment_pending": "budget"}, DEC)
    assert (row["segment"], row["current_tier"], row["transition_status"]) == (
        "Tier 2",
        "Tier 2",
        None,
    )


def test_a_lookup_left_by_the_budget_says_so(queue):
    row = queue.run(AT_45K | {"crm_tier": None, "enrichment_pending": "budget"}, NOV)
    assert row["unsegmented_reason"] == "enrichment_pending:budget"
    assert row["explanation"] == (
        "Not segmented because its company data lookup waits for enrichment credits;"
        " it is retried nightly"
    )


def test_an_override_and_a_missing_required_field_come_before_a_pending_lookup(queue):
    owned = queue.run(AT_130K | FAILED_LOOKUP | {"segment_override": True}, NOV)
    assert (owned["status"], owned["segment"]) == ("overridden", "Tier 2")
    no_arr = queue.run(ACCOUNT | FAILED_LOOKUP | {"arr": None, "arr_reason": "missing"}, NOV)
    assert no_arr["unsegmented_reason"] == "missing_arr"
