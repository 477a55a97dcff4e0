"""Carrying scores and assignments over between nights: a night recomputes exactly the
accounts whose input, as-of inputs or queue state moved, and its rows equal a run from
scratch. Night by night, each store holds what the previous night returned."""

from dataclasses import replace

import pandas as pd
import pytest

from segmentation_pipeline.core.assignment import assign_segments, carry_assignments
from segmentation_pipeline.core.change_set import INPUT_HASH
from segmentation_pipeline.core.scoring import carry_scores, score_accounts
from segmentation_pipeline.core.transitions import PriorState, update_queue

NIGHT = pd.Timestamp("2026-11-10")
NEXT = NIGHT + pd.Timedelta(days=1)


@pytest.fixture
def accounts(make_accounts):
    utc = pd.Timestamp(NIGHT, tz="UTC")
    return make_accounts(
        {"account_id": "steady"},
        # 29 days old tonight, 30 tomorrow: its NPS starts to count, it stops being provisional
        {"account_id": "young", "created_date": utc - pd.Timedelta(days=29)},
        # no term: read off the end date, which is tonight (not yet past due)
        {"account_id": "renewing", "contract_term": None, "contract_end_date": utc},
        {"account_id": "used"},
        # the CRM says Tier 3; it computes higher: a crossing held for review
        {"account_id": "moving", "crm_tier": "Tier 3", "arr": 150_000.0},
    )


@pytest.fixture
def usage(make_usage):
    return make_usage(*({"account_id": i, "nps": 10} for i in ("young", "used", "moving")))


def test_scores_recompute_only_what_the_as_of_or_the_usage_moved(framework, accounts, usage):
    first = carry_scores(accounts, usage, framework, NIGHT, None)
    assert first.computed.all()
    again = carry_scores(accounts, usage, framework, NIGHT, first.rows)
    assert not again.computed.any() and again.changed == []
    pd.testing.assert_frame_equal(again.rows, first.rows)

    edited = usage.assign(logins_30d=usage["logins_30d"].where(usage["account_id"] != "used", 3))
    next_night = carry_scores(accounts, edited, framework, NEXT, first.rows)
    recomputed = accounts["account_id"][next_night.computed].tolist()
    assert recomputed == ["young", "renewing", "used"]
    scratch = score_accounts(accounts, edited, framework, NEXT)
    pd.testing.assert_frame_equal(
        next_night.rows.drop(columns=[INPUT_HASH]), scratch, check_dtype=False
    )
    assert next_night.rows["tenure_days"].tolist() == [410.0, 30.0, 410.0, 410.0, 410.0]


def test_assignments_recompute_the_rows_a_decision_or_a_new_input_moves(framework, accounts, usage):
    def night(as_of, state, stored, scores_stored=None):
        scores = carry_scores(accounts, usage, framework, as_of, scores_stored).rows
        carried = carry_assignments(accounts, scores, framework, state, as_of, stored)
        scratch = assign_segments(
            accounts, score_accounts(accounts, usage, framework, as_of), framework, state, as_of
        )
        rows = carried.rows.drop(columns=[INPUT_HASH, "_assignment_hash"])
        pd.testing.assert_frame_equal(rows, scratch, check_dtype=False)
        return carried, accounts["account_id"][carried.computed].tolist()

    first, _ = night(NIGHT, PriorState.empty(), None)
    assert first.rows.set_index("account_id").loc["moving", "transition_status"] == "pending"
    queue, _ = update_queue(PriorState.empty().transitions, first.rows, NIGHT, "run-1")
    state = replace(PriorState.empty(), transitions=queue)

    # The crossing, now in the queue, decides as before; only the as-of inputs moved.
    second, recomputed = night(NEXT, state, first.rows)
    assert recomputed == ["young", "renewing"]
    # CS Ops approves the move: only that row is assigned again.
    approved = pd.DataFrame(
        [{"account_id": "moving", "to_segment": None, "decision": "approved",
          "decided_by": "ops", "decided_at": NEXT, "note": None}]
    )  # fmt: skip
    decided = replace(state, decisions=approved)
    third, recomputed = night(NEXT, decided, second.rows)
    assert recomputed == ["moving"]
    assert third.rows.set_index("account_id").loc["moving", "transition_status"] == "applied"


def test_scores_made_elsewhere_are_hashed_whole(framework, accounts, usage):
    """Scores without the input hash (an older release's, a preview's) still carry rows
    over, keyed on every column of the account and its scores."""
    scores = score_accounts(accounts, usage, framework, NIGHT)
    first = carry_assignments(accounts, scores, framework, PriorState.empty(), NIGHT, None)
    again = carry_assignments(accounts, scores, framework, PriorState.empty(), NIGHT, first.rows)
    assert first.computed.all() and not again.computed.any()
    rescored = scores.assign(
        composite_score=scores["composite_score"].where(scores.index != 0, 1.0)
    )
    moved = carry_assignments(accounts, rescored, framework, PriorState.empty(), NIGHT, first.rows)
    assert moved.computed.tolist() == [True, False, False, False, False]


def test_accounts_waiting_for_a_lookup_are_carried_as_they_were_assigned(
    framework, make_accounts, usage
):
    """A held account is gated as held when its stored row is checked again, so a night
    with nothing new carries it instead of assigning it afresh."""
    waiting = make_accounts(
        # the CRM says Tier 3 and the scores give more: held, no move opened
        {"account_id": "held", "crm_tier": "Tier 3", "arr": 150_000.0},
        {"account_id": "new"},  # no tier to hold: Unsegmented until the lookup answers
        {"account_id": "steady"},
    ).assign(enrichment_pending=["failed", "budget", None])
    scores = carry_scores(waiting, usage, framework, NIGHT, None).rows
    first = carry_assignments(waiting, scores, framework, PriorState.empty(), NIGHT, None)
    assert first.rows["segment"].tolist() == ["Tier 3", "Unsegmented", "Tier 2"]
    again = carry_assignments(waiting, scores, framework, PriorState.empty(), NIGHT, first.rows)
    assert not again.computed.any()
    pd.testing.assert_frame_equal(again.rows, first.rows)
