"""The pipeline's one clock: the framework's time zone decides which month it is and
where a month ends; every stored or compared timestamp is timezone-aware UTC (or naive
UTC where a frame keeps naive stamps). The machine's own time zone never matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd


def as_utc(moment: datetime) -> datetime:
    """A naive moment is taken to be UTC; an aware one is converted to UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_now() -> datetime:
    """Now, aware, in UTC: never `datetime.now()`, which is the machine's local time."""
    return datetime.now(UTC)


def local_now(timezone: str, now: datetime | None = None) -> datetime:
    """`now` (default: the current instant) on the wall clock of `timezone`."""
    return as_utc(now or utc_now()).astimezone(ZoneInfo(timezone))


def month_key(timezone: str, now: datetime | None = None) -> str:
    """The month (`YYYY-MM-01`) it is in `timezone` at `now`."""
    return local_now(timezone, now).strftime("%Y-%m-01")


def month_as_of(month: str, timezone: str, now: datetime | None = None) -> datetime:
    """The moment a month's snapshot describes, as naive UTC: now while the month is
    open, else its last second on the wall clock of `timezone`."""
    start = pd.Timestamp(month).tz_localize(ZoneInfo(timezone))
    end = (start + pd.offsets.MonthBegin(1)).to_pydatetime() - timedelta(seconds=1)
    return min(as_utc(now or utc_now()), end.astimezone(UTC)).replace(tzinfo=None)
