"""The rate limiter books send times that never break the vendor's limits."""

from hypothesis import given
from hypothesis import strategies as st

from segmentation_pipeline.core.enrich.rate_limit import RateLimiter, TokenBucket, WindowQuota
from segmentation_pipeline.framework.enrichment import RateLimit


def send_times(limiter: RateLimiter, arrivals: list[float]) -> list[float]:
    return [t + limiter.reserve(t) for t in arrivals]


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window - 1e-6:  # float noise, not time
            start += 1
        best = max(best, end - start + 1)
    return best


def test_bucket_of_one_paces_requests_evenly():
    limiter = RateLimiter([TokenBucket(rate=10, capacity=1)])
    assert send_times(limiter, [0.0, 0.0, 0.0]) == [0.0, 0.1, 0.2]


def test_bucket_lets_a_burst_through_then_paces():
    limiter = RateLimiter([TokenBucket(rate=10, capacity=3)])
    times = send_times(limiter, [0.0] * 5)
    assert times[:3] == [0.0, 0.0, 0.0]
    assert [round(t, 6) for t in times[3:]] == [0.1, 0.2]


def test_quota_allows_bursts_until_used_then_waits_for_the_window():
    limiter = RateLimiter([WindowQuota(limit=3, window=3600)])
    assert send_times(limiter, [0.0, 1.0, 2.0, 3.0]) == [0.0, 1.0, 2.0, 3600.0]


def test_settings_leave_headroom_under_the_documented_limit():
    limiter = RateLimiter.from_settings(RateLimit(per_second=100, headroom=0.05))
    times = send_times(limiter, [0.0] * 300)
    assert round(times[1] - times[0], 9) == round(1 / 95, 9)
    assert most_in_window(times, 1.0) == 95  # paced at 95/s, under the limit of 100


def test_pause_holds_every_request():
    limiter = RateLimiter([TokenBucket(rate=100)])
    limiter.pause_until(5.0)
    assert send_times(limiter, [1.0]) == [5.0]


@given(
    gaps=st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=400),
    per_second=st.integers(min_value=1, max_value=50),
    per_minute=st.integers(min_value=1, max_value=500),
    per_hour=st.integers(min_value=1, max_value=600),
)
def test_no_window_ever_holds_more_than_the_limit(gaps, per_second, per_minute, per_hour):
    settings = RateLimit(per_second=per_second, per_minute=per_minute, per_hour=per_hour)
    limiter = RateLimiter.from_settings(settings)
    arrivals, now = [], 0.0
    for gap in gaps:
        now += gap
        arrivals.append(now)
    times = send_times(limiter, arrivals)
    assert times == sorted(times)
    assert most_in_window(times, 1.0) <= per_second
    assert most_in_window(times, 60.0) <= per_minute
    assert most_in_window(times, 3600.0) <= per_hour
