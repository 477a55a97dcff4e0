"""The merge rule of related records: a night's incremental read folded into the held ones."""

import pandas as pd

from segmentation_pipeline.core.related_records import merge_related

T = "2026-11-10T08:00:00.000Z"  # the mark's second
EARLIER = "2026-11-09T08:00:00.000Z"
LATER = "2026-11-10T09:30:00.000Z"


def held() -> pd.DataFrame:
    """Open opportunities held since last night."""
    return pd.DataFrame(
        {
            "Id": ["006A", "006B", "006C", "006D"],
            "AccountId": ["001X", "001X", "001Y", "001Z"],
            "Amount": [100.0, 200.0, 300.0, 400.0],
            "SystemModstamp": [EARLIER, EARLIER, T, EARLIER],
        },
        dtype=object,
    )


def read(*rows: tuple) -> pd.DataFrame:
    """Tonight's queryAll rows: Id, AccountId, Amount, SystemModstamp, IsClosed, IsDeleted."""
    columns = ["Id", "AccountId", "Amount", "SystemModstamp", "IsClosed", "IsDeleted"]
    return pd.DataFrame(list(rows), columns=columns, dtype=object)


def merged(tonight: pd.DataFrame):
    return merge_related(held(), tonight, "IsClosed", False)


def test_nothing_read_keeps_what_was_held():
    result = merged(read())
    pd.testing.assert_frame_equal(result.records, held())
    assert result.touched_accounts == frozenset()


def test_a_new_record_joins_and_touches_its_account():
    result = merged(read(("006E", "001W", 50.0, LATER, False, False)))
    assert list(result.records["Id"]) == ["006A", "006B", "006C", "006D", "006E"]
    assert result.records.set_index("Id").loc["006E", "Amount"] == 50.0
    assert result.touched_accounts == {"001W"}


def test_a_modified_record_replaces_the_held_one():
    result = merged(read(("006B", "001X", 250.0, LATER, False, False)))
    assert list(result.records["Amount"]) == [100.0, 250.0, 300.0, 400.0]
    assert result.touched_accounts == {"001X"}


def test_a_deleted_record_leaves():
    result = merged(read(("006A", "001X", 100.0, LATER, False, True)))
    assert list(result.records["Id"]) == ["006B", "006C", "006D"]
    assert result.touched_accounts == {"001X"}


def test_a_record_closed_tonight_leaves_and_one_closed_all_along_stays_out():
    result = merged(
        read(
            ("006D", "001Z", 400.0, LATER, True, False),
            ("006F", "001V", 900.0, LATER, True, False),  # closed, never held
        )
    )
    assert list(result.records["Id"]) == ["006A", "006B", "006C"]
    assert result.touched_accounts == {"001Z"}  # 001V's signals never had 006F


def test_a_record_read_again_as_it_was_held_touches_nothing():
    """The overlap re-reads records the last night read already."""
    result = merged(read(("006C", "001Y", 300.0, T, False, False)))
    pd.testing.assert_frame_equal(result.records, held())
    assert result.touched_accounts == frozenset()


def test_a_second_save_within_the_marks_second_wins_over_the_held_version():
    """006C was read last night with the stamp of the mark's second and saved again in
    that same second: the same stamp, other values. The read (>= the mark) has it, and
    tonight's version replaces the held one though the stamps are equal."""
    result = merged(read(("006C", "001Y", 333.0, T, False, False)))
    assert result.records.set_index("Id").loc["006C", "Amount"] == 333.0
    assert len(result.records) == 4


def test_a_record_moved_to_another_account_touches_both():
    result = merged(read(("006A", "001Q", 100.0, LATER, False, False)))
    assert result.records.set_index("Id").loc["006A", "AccountId"] == "001Q"
    assert result.touched_accounts == {"001X", "001Q"}


def test_a_record_read_twice_counts_once_as_its_last_row():
    result = merged(
        read(
            ("006E", "001W", 50.0, LATER, False, False),
            ("006E", "001W", 75.0, LATER, False, False),
        )
    )
    assert list(result.records["Id"]).count("006E") == 1
    assert result.records.set_index("Id").loc["006E", "Amount"] == 75.0


def test_the_result_is_what_a_full_read_of_open_records_gives():
    """Held + tonight equals the open records of the org as it is now, by Id."""
    tonight = read(
        ("006A", "001X", 100.0, LATER, False, True),  # deleted
        ("006B", "001X", 220.0, LATER, False, False),  # modified
        ("006D", "001Z", 400.0, LATER, True, False),  # closed
        ("006E", "001W", 50.0, LATER, False, False),  # new
    )
    full_read = pd.DataFrame(
        {
            "Id": ["006B", "006C", "006E"],
            "AccountId": ["001X", "001Y", "001W"],
            "Amount": [220.0, 300.0, 50.0],
            "SystemModstamp": [LATER, T, LATER],
        },
        dtype=object,
    )
    result = merged(tonight)
    pd.testing.assert_frame_equal(result.records, full_read)
    assert result.touched_accounts == {"001X", "001Z", "001W"}
