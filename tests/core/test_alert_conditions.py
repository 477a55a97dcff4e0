"""When a watched condition alerts: once when it starts, again when it changes or returns."""

from segmentation_pipeline.core.alert_conditions import (
    Observation,
    condition_of,
    opened_conditions,
)

TIERS = "segment_assignments:tier_distribution"
WARN = "warning: 1 tier(s) outside their band"


def test_a_good_grade_is_no_condition_and_a_warning_names_its_rule():
    assert condition_of("good", "all tiers in band") is None
    assert condition_of("warning", "1 tier(s) outside their band") == WARN


def test_the_same_warning_three_months_running_opens_one_condition():
    months = [Observation(TIERS, WARN, marker) for marker in (10, 20, 30)]
    opened, changed = opened_conditions({}, months)
    assert [o.marker for o in opened] == [10]
    assert changed == {TIERS: WARN}


def test_a_condition_already_open_raises_nothing_and_changes_nothing():
    opened, changed = opened_conditions({TIERS: WARN}, [Observation(TIERS, WARN, 40)])
    assert (opened, changed) == ([], {})


def test_a_change_of_rule_or_grade_opens_a_new_condition():
    red = "red: 2 segments: under-segmented (<= 2)"
    seen = [Observation(TIERS, WARN, 1), Observation(TIERS, red, 2)]
    opened, changed = opened_conditions({}, seen)
    assert [o.marker for o in opened] == [1, 2]
    assert changed == {TIERS: red}


def test_a_condition_that_clears_and_comes_back_alerts_again():
    seen = [Observation(TIERS, None, 5), Observation(TIERS, WARN, 6)]
    opened, _ = opened_conditions({TIERS: WARN}, seen)
    assert [o.marker for o in opened] == [6]


def test_a_pass_clears_the_open_condition():
    opened, changed = opened_conditions({TIERS: WARN}, [Observation(TIERS, None, 7)])
    assert (opened, changed) == ([], {TIERS: None})


def test_observations_are_taken_in_marker_order_whatever_order_they_arrive_in():
    seen = [Observation(TIERS, WARN, 9), Observation(TIERS, None, 8)]
    opened, changed = opened_conditions({TIERS: WARN}, seen)
    assert [o.marker for o in opened] == [9]
    assert changed == {}
