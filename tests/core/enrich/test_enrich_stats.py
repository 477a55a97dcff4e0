"""Coverage, new fills and match rates, worked out by hand."""

from datetime import UTC, datetime

import pandas as pd

from segmentation_pipeline.core.enrich.answers import failed, hit, miss
from segmentation_pipeline.core.enrich.stats import (
    cost_per_filled_field,
    coverage,
    lookup_table,
    newly_filled,
    provider_stats,
)

T = datetime(2026, 1, 1, tzinfo=UTC)


def test_coverage_treats_unknown_industry_as_empty():
    frame = pd.DataFrame(
        {"industry": ["Software", "Unknown", None, "Retail"], "employees": [1.0, None, 3.0, 4.0]}
    )
    assert coverage(frame, ["industry", "employees", "country_code"]) == {
        "industry": 0.5,
        "employees": 0.75,
        "country_code": 0.0,
    }
    assert coverage(frame.iloc[:0], ["industry"]) == {"industry": 0.0}


def test_newly_filled_counts_cells_that_went_from_empty_to_known():
    before = pd.DataFrame({"industry": ["Unknown", None, "Retail"], "employees": [None, 2.0, None]})
    after = pd.DataFrame({"industry": ["Software", None, "Media"], "employees": [5.0, 2.0, None]})
    assert newly_filled(before, after, ["industry", "employees"]) == 2


def test_match_rate_counts_cached_answers_but_credits_only_live_ones():
    lookups = lookup_table(
        [
            hit("pdl", "a.com", {"industry": "Software"}, 0.9, T, credits=1),
            hit("pdl", "b.com", {"industry": "Media"}, 0.9, T, credits=1).cached(),
            miss("pdl", "c.com", T),
            failed("pdl", "d.com", T, "timeout"),
        ]
    )
    row = provider_stats(lookups, ["pdl", "apollo"]).set_index("provider").loc["pdl"]
    assert (row["lookups"], row["cache_hits"], row["hits"], row["misses"], row["failed"]) == (
        3,
        1,
        2,
        1,
        1,
    )
    assert row["match_rate"] == 2 / 3
    assert row["credits"] == 1.0


def test_cost_per_filled_field():
    assert cost_per_filled_field(12.0, 8) == 1.5
    assert cost_per_filled_field(3.0, 0) is None
