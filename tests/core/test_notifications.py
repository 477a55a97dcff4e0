"""What owners are told: the night's events with once-only keys, grouped per owner."""

import pandas as pd

from segmentation_pipeline.core.changes import ASSIGNMENT_HASH, with_assignment_hashes
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
    full = with_assignment_hashes(full)
    named = full[list(NOTIFICATION_INPUT_COLUMNS)]
    seen = full[ASSIGNMENT_HASH].to_numpy()[:2], "2026-12-04"
    pd.testing.assert_frame_equal(
        notification_events(named, {"C"}, NIGHT, SETTINGS, *seen),
        notification_events(full, {"C"}, NIGHT, SETTINGS, *seen),
    )
    assert ended_at_risk(named, {"A", "D"}) == ended_at_risk(full, {"A", "D"}) == ["A"]
    assert set(notification_events(named, set(), NIGHT, SETTINGS)["owner"]) >= {"Ana", "Bo"}


def test_a_row_the_last_run_saw_as_it_is_makes_only_its_newly_due_renewal_and_at_risk():
    """Worked by hand. The last run, on Dec 4, saw A-E and F (contract ends Jan 4, not
    yet within 30 days: Dec 4 + 30 = Jan 3) and stored their events. Tonight, Dec 5:
    A, C moved and B waits as they did (stored), E's renewal was due Dec 4 (stored);
    F's renewal is due since tonight (Jan 4 <= Dec 5 + 30); D's episode was ended by a
    night that failed before it was seen again, so D is new at risk; G changed (a
    new move waits), so it is looked at whole."""
    f = night().iloc[[4]].assign(account_id="F", contract_end_date="2027-01-04")
    before = with_assignment_hashes(pd.concat([night(), f], ignore_index=True))
    g = night().iloc[[1]].assign(account_id="G", transition_id="G|Tier 2->Tier 3|t2")
    tonight = with_assignment_hashes(pd.concat([before, g], ignore_index=True))
    seen = before[ASSIGNMENT_HASH].to_numpy()
    events = notification_events(tonight, set(), NIGHT + pd.Timedelta(days=1), SETTINGS,
                                 seen, "2026-12-04")  # fmt: skip
    assert events["event_key"].tolist() == [
        "pending_review|G|Tier 2->Tier 3|t2", "at_risk|D|2026-12-05", "renewal|F|2027-01-04"
    ]  # fmt: skip
    # The clock going back (a run on Dec 4 after one on Dec 10): E's Dec 20 was due on
    # Dec 10 too, a contract ending Dec 5 was not (past), so only that one is made.
    h = night().iloc[[4]].assign(account_id="H", contract_end_date="2026-12-05")
    rows = with_assignment_hashes(pd.concat([night(), h], ignore_index=True))
    events = notification_events(rows, {"D"}, NIGHT, SETTINGS, rows[ASSIGNMENT_HASH].to_numpy(),
                                 "2026-12-10")  # fmt: skip
    assert events["event_key"].tolist() == ["renewal|H|2026-12-05"]
