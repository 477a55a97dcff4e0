import pandas as pd
import pytest

from segmentation_pipeline.core.standardize.dates import (
    date_order_warning,
    parse_timestamp,
    standardize_timestamps,
    unreadable_dates_warning,
)
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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05.01.2027", "2027-01-05"),  # 5 January, as every country writing dots means it
        ("03.05.2021", "2021-05-03"),
        ("31.12.2026", "2026-12-31"),
        ("5.1.27", "2027-01-05"),
        ("05.01.2027 14:30", "2027-01-05 14:30"),
        ("2024.03.05", "2024-03-05"),  # year first stays year first
    ],
)
def test_a_date_written_with_dots_is_day_first_whatever_the_setting(raw, expected):
    assert parse_timestamp(raw) == Parsed(pd.Timestamp(expected, tz="UTC"), None)
    values, _ = standardize_timestamps(pd.Series([raw, "2024-01-15"]))
    assert values.iloc[0] == pd.Timestamp(expected, tz="UTC")


def test_slashed_dates_still_follow_the_setting():
    assert parse_timestamp("05/01/2027").value == pd.Timestamp("2027-05-01", tz="UTC")


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


@pytest.mark.parametrize(
    "raw", ["0001-01-01", "0001-01-01T00:00:00.000+0000", "-0001-01-01", "1899-12-30", "1066-10-14"]
)
def test_a_date_before_any_date_a_spreadsheet_holds_is_out_of_range(raw):
    """Year 1 or a negative year is a placeholder, 1899-12-30 a spreadsheet's day zero:
    read as dates they would make an account two thousand years old."""
    assert parse_timestamp(raw) == Parsed(None, "out_of_range")


def test_the_column_refuses_dates_before_1900_too():
    values, reasons = standardize_timestamps(
        pd.Series(["0001-01-01T00:00:00.000+0000", "1900-01-01", "-0001-01-01", "1899-12-31"])
    )
    assert values.isna().tolist() == [True, False, True, True]
    assert values.iloc[1] == pd.Timestamp("1900-01-01", tz="UTC")
    assert reasons.fillna("").tolist() == ["out_of_range", "", "out_of_range", "out_of_range"]


def test_dates_of_the_order_the_setting_does_not_say_are_named_with_those_read_its_way():
    """A European export writes 31/12/2026 and 04/03/2025. With months first (the
    default), the parser reads the first day first, as it cannot be read otherwise, and the
    second as 3 April: one column, two orders, and a third of its dates a month off."""
    raw = pd.Series(["31/12/2026", "04/03/2025", "05/05/2025", "2024-01-15", None, "13-01-2024"])
    assert standardize_timestamps(raw)[0].dt.month.tolist()[:2] == [12, 4]
    assert date_order_warning("CreatedDate", raw, day_first=False) == (
        "CreatedDate: 2 accounts hold dates that read only day first (e.g. '31/12/2026') "
        "while standardization.dates_day_first is false; 1 whose day and month could be "
        "either (e.g. '04/03/2025') were read month first: set dates_day_first to the "
        "order the export writes"
    )
    assert date_order_warning("CreatedDate", raw, day_first=True) is None
    us = pd.Series(["12/31/2026", "01/02/2024"])
    assert date_order_warning("Contract_End_Date__c", us, day_first=True) == (
        "Contract_End_Date__c: 1 accounts hold dates that read only month first (e.g. "
        "'12/31/2026') while standardization.dates_day_first is true; 1 whose day and month "
        "could be either (e.g. '01/02/2024') were read day first: set dates_day_first to "
        "the order the export writes"
    )
    assert date_order_warning("CreatedDate", us, day_first=False) is None
    assert date_order_warning("CreatedDate", pd.Series(["2024-01-15", "05.01.2027"]), False) is None


def test_dates_that_cannot_be_read_are_counted_and_named():
    """A spreadsheet that wrote contract ends as its day numbers (46595 is 2027-07-26)
    left them unreadable: no date, and nothing said so."""
    raw = pd.Series(["46595", "46595", "2027-01-01", None, "0001-01-01", "soon"])
    assert unreadable_dates_warning("Contract_End_Date__c", raw, day_first=False) == (
        "Contract_End_Date__c: 4 accounts hold dates that cannot be read (e.g. '46595', "
        "'0001-01-01', 'soon'); they read as no date"
    )
    assert unreadable_dates_warning("Contract_End_Date__c", raw[2:4], day_first=False) is None
