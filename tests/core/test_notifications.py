"""What owners are told: the night's events with once-only keys, grouped per owner."""

import pandas as pd

from segmentation_pipeline.core.notifications import (
    NOTIFICATION_INPUT_COLUMNS,
    ended_at_risk,
    notification_events,
    owner_digests,
    revops_at_risk,
)
from segmentation_pipeline.framework.models import Notifications

NIGHT = pd.Timestamp("2026-12-04 02:00")
SETTINGS = Notifications(renewal_window_days=30, at_risk_arr_floor=50_000)


def night(**columns) -> pd.DataFrame:
    """Five accounts of two owners; A moved, B waits, C left provisional, D is at risk,
    E renews on Dec 20 (within 30 days)."""
    frame = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D", "E"],
            "name": ["Acme", "Bolt", "Cove", "Dune", "Echo"],
            "owner_id": ["005U1", "005U1", "005U2", "005U2", None],
            "arr": [10_000, 20_000, 30_000, 80_000, 5_000],
            "segment": ["Tier 1", "Tier 2", "Tier 2", "Tier 1", "Tier 3"],
            "at_risk": [False, False, False, True, False],
            "transition_id": ["A|Tier 2->Tier 1|t", "B|Tier 2->Tier 3|t", "C|Tier 3->Tier 2|t",
                              None, None],
            "transition_from": ["Tier 2", "Tier 2", "Tier 3", None, None],
            "transition_to": ["Tier 1", "Tier 3", "Tier 2", None, None],
            "transition_status": ["applied", "pending", "applied", None, None],
            "transition_rule": ["approval", None, "provisional_exit", None, None],
            "contract_end_date": [None, "2027-06-30", None, None, "2026-12-20"],
        }
    )  # fmt: skip
    return frame.assign(**columns)


def test_each_kind_of_event_has_a_key_naming_what_happened():
    events = notification_events(night(), set(), NIGHT, SETTINGS)
    assert events[["event_key", "detail"]].values.tolist() == [
        ["tier_change|A|Tier 2->Tier 1|t", "Tier 2 -> Tier 1"],
        ["provisional_exit|C|Tier 3->Tier 2|t", "left provisional: Tier 3 -> Tier 2"],
        ["pending_review|B|Tier 2->Tier 3|t", "Tier 2 -> Tier 3 waits for review"],
        ["at_risk|D|2026-12-04", "high value, low engagement (Tier 1)"],
        ["renewal|E|2026-12-20", "contract ends 2026-12-20"],
    ]
    assert events["kind"].tolist() == [
        "tier_change", "provisional_exit", "pending_review", "at_risk", "renewal"
    ]  # fmt: skip


def test_an_at_risk_account_already_told_is_not_new_and_its_episode_ends_when_it_recovers():
    assert "at_risk" not in set(notification_events(night(), {"D"}, NIGHT, SETTINGS)["kind"])
    recovered = night(at_risk=False)
    assert ended_at_risk(recovered, {"D", "Z"}) == ["D"]  # Z is not in tonight's accounts
    assert ended_at_risk(night(), {"D"}) == []


def test_the_renewal_window_comes_from_the_framework():
    wider = Notifications(renewal_window_days=365, at_risk_arr_floor=0)
    renewals = notification_events(night(), set(), NIGHT, wider).query("kind == 'renewal'")
    assert renewals["account_id"].tolist() == ["B", "E"]


def test_digests_group_per_owner_with_names_when_the_extract_has_them():
    events = notification_events(
        night(owner_name=["Ana Ruiz", "Ana Ruiz", None, None, None]), set(), NIGHT, SETTINGS
    )
    digests = {d.owner_id: d for d in owner_digests(events)}
    assert sorted(digests) == ["(no owner)", "005U1", "005U2"]
    ana = digests["005U1"]
    assert ana.title == "Segment digest for Ana Ruiz: 2 update(s)"
    assert ana.text.splitlines() == [
        "Tier moves waiting for review:",
        "- Bolt (B): Tier 2 -> Tier 3 waits for review",
        "Tier changes:",
        "- Acme (A): Tier 2 -> Tier 1",
    ]
    assert digests["005U2"].title == "Segment digest for 005U2: 2 update(s)"
    assert digests["005U2"].text.splitlines()[0] == "New at-risk accounts:"
    # The key depends on the events only: a digest of fewer events is another digest.
    fewer = owner_digests(events[events["account_id"] != "A"])
    assert {d.owner_id: d.key for d in fewer}["005U1"] != ana.key
    assert {d.owner_id: d.key for d in owner_digests(events)}["005U1"] == ana.key


def test_revops_hears_of_new_at_risk_accounts_at_or_above_the_arr_floor():
    events = notification_events(night(arr=[0, 0, 0, 50_000, 0]), set(), NIGHT, SETTINGS)
    assert revops_at_risk(events, SETTINGS)["account_id"].tolist() == ["D"]
    below = notification_events(night(arr=[0, 0, 0, 49_999, 0]), set(), NIGHT, SETTINGS)
    assert revops_at_risk(below, SETTINGS).empty


def test_the_columns_the_asset_loads_give_the_events_every_column_gives():
    """The asset loads only NOTIFICATION_INPUT_COLUMNS: a column read but not named there
    would show here as an owner without a name or an event lost."""
    full = night(owner_name=["Ana", "Ana", "Bo", "Bo", None], explanation="unread")
    named = full[list(NOTIFICATION_INPUT_COLUMNS)]
    pd.testing.assert_frame_equal(
        notification_events(named, {"C"}, NIGHT, SETTINGS),
        notification_events(full, {"C"}, NIGHT, SETTINGS),
    )
    assert ended_at_risk(named, {"A", "D"}) == ended_at_risk(full, {"A", "D"}) == ["A"]
    assert set(notification_events(named, set(), NIGHT, SETTINGS)["owner"]) >= {"Ana", "Bo"}
