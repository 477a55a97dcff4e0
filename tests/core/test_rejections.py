"""Records refused at the door: each rejected with a reason, never dropped or fatal."""

import pandas as pd

from segmentation_pipeline.core.rejections import (
    REJECTED_COLUMNS,
    believable_mark,
    carry_rejections,
    empty_rejections,
    screen_records,
)

LIMIT = pd.Timestamp("2026-12-01T00:00:00Z")


def export(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["Id", "Name", "CreatedDate", "SystemModstamp"])


def screen(frame: pd.DataFrame):
    return screen_records(frame, latest_believable=LIMIT, source_file="accounts.csv")


def test_a_clean_export_passes_whole_and_in_order():
    frame = export(("a", "A", "2024-01-01", "2024-02-01"), ("b", "B", "2024-01-01", "2024-02-01"))
    result = screen(frame)
    pd.testing.assert_frame_equal(result.accepted, frame)
    assert result.rejected.empty and list(result.rejected.columns) == list(REJECTED_COLUMNS)
    assert result.rows_read == 2


def test_of_two_records_with_one_id_the_latest_modstamp_is_kept():
    frame = export(
        ("a", "Newer", "2024-01-01", "2024-05-01"),
        ("b", "B", "2024-01-01", "2024-02-01"),
        ("a", "Older", "2024-01-01", "2024-03-01"),
    )
    result = screen(frame)
    assert result.accepted["Name"].tolist() == ["Newer", "B"]
    assert result.rejected[["account_id", "source_file", "reason"]].values.tolist() == [
        ["a", "accounts.csv", "duplicate_id"]
    ]
    assert result.rejected["detail"].iloc[0] == (
        "row 3: 2 records with this Id; kept row 1 (latest SystemModstamp 2024-05-01)"
    )


def test_an_id_with_stray_spaces_is_the_same_record():
    """Read trimmed, as the pipeline reads ids: the padded copy is a duplicate, not a
    second account whose ARR a merge would add to the first's."""
    frame = export(("a", "Kept", "", "2024-05-01"), (" a ", "Copy", "", "2024-03-01"))
    result = screen(frame)
    assert result.accepted[["Id", "Name"]].values.tolist() == [["a", "Kept"]]
    assert result.rejected[["account_id", "reason"]].values.tolist() == [["a", "duplicate_id"]]


def test_a_tie_or_an_unreadable_stamp_goes_to_the_later_row_or_the_readable_stamp():
    tie = screen(export(("a", "First", "", "2024-01-01"), ("a", "Second", "", "2024-01-01")))
    assert tie.accepted["Name"].tolist() == ["Second"]
    unreadable = screen(export(("a", "Dated", "", "2024-01-01"), ("a", "Undated", "", "soon")))
    assert unreadable.accepted["Name"].tolist() == ["Dated"]


def test_a_created_date_in_the_future_is_out_of_range():
    result = screen(export(("a", "A", "9999-12-31T00:00:00.000+0000", "2024-01-01")))
    assert result.accepted.empty
    assert result.rejected["reason"].tolist() == ["date_out_of_range"]
    # No moving clock in the detail: a re-run on the same input writes the same text.
    assert result.rejected["detail"].iloc[0] == (
        "CreatedDate 9999-12-31T00:00:00.000+0000 is later than now plus the tolerance "
        "(inputs.future_tolerance_minutes)"
    )


def test_a_modstamp_past_the_limit_is_a_future_timestamp_and_not_a_duplicate_winner():
    result = screen(
        export(
            ("a", "Future", "2024-01-01", "9999-12-31"), ("a", "Real", "2024-01-01", "2024-06-01")
        )
    )
    assert result.accepted["Name"].tolist() == ["Real"]
    assert result.rejected["reason"].tolist() == ["future_timestamp"]


def test_a_stamp_within_the_tolerance_is_believed():
    result = screen(export(("a", "A", "2024-01-01", "2026-11-30T23:59:00Z")))
    assert len(result.accepted) == 1 and result.rejected.empty


def test_a_record_without_an_id_is_rejected_as_missing_id():
    result = screen(export((None, "Nameless", "", ""), ("  ", "Blank", "", ""), ("a", "A", "", "")))
    assert result.accepted["Name"].tolist() == ["A"]
    assert result.rejected["reason"].tolist() == ["missing_id", "missing_id"]
    assert result.rejected["detail"].tolist() == [
        "row 1 of the export has no Id",
        "row 2 of the export has no Id",
    ]


def test_an_id_a_spreadsheet_saved_as_a_number_is_rejected_as_mangled_id():
    """Excel shows and saves a long numeric-looking Id as 1.5E+52: the Id it stood for is
    gone, and two such records would otherwise meet as one Id (a duplicate, one of them
    dropped as if it were an older copy). A Salesforce Id holds no sign, so none matches."""
    result = screen(
        export(
            ("1.5E+52", "First", "", ""),
            ("1,5E+52", "Second", "", ""),
            ("0015000000E1234", "Real", "", ""),
            ("12345", "Numeric", "", ""),
        )
    )
    assert result.accepted["Name"].tolist() == ["Real", "Numeric"]
    assert result.rejected["reason"].tolist() == ["mangled_id", "mangled_id"]
    assert result.rejected["detail"].iloc[0].startswith("row 1: Id 1.5E+52 is a number")


def test_odd_but_past_dates_are_left_to_standardization():
    result = screen(export(("a", "A", "0001-01-01", "garbage"), ("b", "B", "31/12/2023", "")))
    assert len(result.accepted) == 2 and result.rejected.empty


def test_the_mark_never_takes_a_future_stamp():
    stamps = pd.Series(pd.to_datetime(["2026-10-01", "2026-11-01"], utc=True))
    assert believable_mark(pd.Timestamp("2026-11-01", tz="UTC"), stamps, LIMIT) == stamps[1]
    future = pd.Timestamp("9999-12-31", tz="UTC")
    assert believable_mark(future, stamps, LIMIT) == pd.Timestamp("2026-11-01", tz="UTC")
    assert believable_mark(future, stamps.iloc[:0], LIMIT) is None
    assert believable_mark(None, stamps, LIMIT) == stamps[1]


def rejection(account_id: str, reason: str, run_id: str = "run-1") -> dict:
    return {
        "account_id": account_id,
        "source_file": "f",
        "reason": reason,
        "detail": "d",
        "run_id": run_id,
    }


def found(*rows: dict) -> pd.DataFrame:
    """Tonight's screening result: the rows without a run_id."""
    return pd.DataFrame(list(rows), columns=list(REJECTED_COLUMNS))


def test_an_incremental_night_keeps_verdicts_on_records_it_did_not_read_again():
    previous = pd.DataFrame([rejection("a", "duplicate_id"), rejection("b", "future_timestamp")])
    tonight = found(rejection("c", "date_out_of_range"))
    carried = carry_rejections(
        previous, tonight, read_ids=["b", "c"], deleted_ids=[], full_refresh=False, run_id="run-2"
    )
    assert carried[["account_id", "reason", "run_id"]].values.tolist() == [
        ["a", "duplicate_id", "run-1"],
        ["c", "date_out_of_range", "run-2"],
    ]
    deleted = carry_rejections(previous, empty_rejections(), [], ["a"], False, "run-2")
    assert deleted["account_id"].tolist() == ["b"]


def test_a_verdict_found_again_keeps_the_run_that_first_found_it():
    previous = pd.DataFrame([rejection("a", "future_timestamp", "run-1")])
    again = found(rejection("a", "future_timestamp"), rejection("b", "duplicate_id"))
    for full in (False, True):
        carried = carry_rejections(previous, again, ["a", "b"], [], full, "run-2")
        assert carried[["account_id", "run_id"]].values.tolist() == [
            ["a", "run-1"],
            ["b", "run-2"],
        ]


def test_a_full_extract_replaces_every_earlier_verdict():
    previous = pd.DataFrame([rejection("a", "duplicate_id")])
    assert carry_rejections(previous, empty_rejections(), [], [], True, "run-2").empty
