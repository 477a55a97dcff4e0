"""The one clock: months and as-of moments on the framework's wall clock, in UTC."""

from datetime import UTC, datetime, timedelta, timezone

from segmentation_pipeline.core.clock import local_now, month_as_of, month_key

# 2026-12-01 03:00 UTC is still November 30 in Los Angeles (UTC-8).
EARLY_DECEMBER_UTC = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_the_month_is_the_framework_time_zones_month():
    assert month_key("UTC", EARLY_DECEMBER_UTC) == "2026-12-01"
    assert month_key("America/Los_Angeles", EARLY_DECEMBER_UTC) == "2026-11-01"


def test_a_naive_now_is_utc_and_an_aware_one_is_converted():
    tokyo = EARLY_DECEMBER_UTC.astimezone(timezone(timedelta(hours=9)))
    assert local_now("UTC", EARLY_DECEMBER_UTC.replace(tzinfo=None)) == EARLY_DECEMBER_UTC
    assert month_key("UTC", tokyo) == "2026-12-01"


def test_a_closed_month_ends_at_its_last_second_on_the_framework_wall_clock():
    now = datetime(2027, 1, 15, tzinfo=UTC)
    assert month_as_of("2026-11-01", "UTC", now) == datetime(2026, 11, 30, 23, 59, 59)
    # New York's November ends at 04:59:59 UTC on December 1 (EST, UTC-5).
    assert month_as_of("2026-11-01", "America/New_York", now) == datetime(2026, 12, 1, 4, 59, 59)


def test_the_open_month_is_now_as_naive_utc():
    assert month_as_of("2026-12-01", "UTC", EARLY_DECEMBER_UTC) == datetime(2026, 12, 1, 3, 0)
