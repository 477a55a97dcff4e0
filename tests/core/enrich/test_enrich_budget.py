"""Credits are reserved at worst case before a request and settled after it."""

import math

from segmentation_pipeline.core.enrich.budget import CreditBudget


def test_reservations_never_exceed_the_run_cap():
    budget = CreditBudget(per_run=10, per_month=None)
    assert budget.reserve(4, 1.0) == 4
    assert budget.reserve(10, 1.0) == 6  # only 6 of the 10 still fit
    assert budget.remaining() == 0
    assert budget.limit_reached() == "run budget of 10 credits reached"


def test_settling_returns_what_a_miss_did_not_cost():
    budget = CreditBudget(per_run=10, per_month=None)
    budget.reserve(10, 1.0)
    budget.settle(reserved=10, actual=3)  # 3 matches, 7 free misses
    assert (budget.spent, budget.remaining()) == (3, 7)


def test_month_cap_counts_earlier_runs():
    budget = CreditBudget(per_run=100, per_month=50, spent_this_month=45)
    assert budget.reserve(10, 1.0) == 5
    assert budget.limit_reached() == "monthly budget of 50 credits reached"


def test_free_lookups_always_fit():
    budget = CreditBudget(per_run=0, per_month=0)
    assert budget.reserve(7, 0.0) == 7
    assert budget.limit_reached() is None


def test_no_caps_means_no_limit():
    budget = CreditBudget(per_run=None, per_month=None)
    assert budget.remaining() == math.inf
    assert budget.reserve(1000, 2.0) == 1000
