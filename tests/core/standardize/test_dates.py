import pandas as pd
import pytest

from segmentation_pipeline.core.standardize.dates import parse_timestamp, standardize_timestamps
from segmentation_pipeline.core.standardize.text import Parsed

JAN_15 = pd.Timestamp("2024-01-15", tz="UTC")


@pytest.mark.parametrize(
    "raw",
    [
        "2024-01-15",
        "2024-01-15T00:00:00.000+0000",
        "2024-01-15T01:00:00+01:00",
        "01/15/2024",
        "Jan 15, 2024",
    ],
)
def test_dates_become_utc_timestamps(raw):
    assert parse_timestamp(raw) == Parsed(JAN_15, None)


def test_day_first_is_configurable():
    assert parse_timestamp("15/01/2024", day_first=True) == Parsed(JAN_15, None)
    assert parse_timestamp("02/01/2024", day_first=True).value == pd.Timestamp(
        "2024-01-02", tz="UTC"
    )


def test_bad_dates_say_why():
    assert parse_timestamp("") == Parsed(None, "missing")
    assert parse_timestamp("2024-02-30") == Parsed(None, "unparseable")
    assert parse_timestamp("next tuesday-ish") == Parsed(None, "unparseable")


def test_column():
    values, reasons = standardize_timestamps(
        pd.Series(["2024-01-15T00:00:00.000+0000", "01/15/2024", "garbage", None])
    )
    assert values.tolist()[:2] == [JAN_15, JAN_15]
    assert str(values.dtype) == "datetime64[us, UTC]"
    assert reasons.tolist()[2:] == ["unparseable", "missing"]
