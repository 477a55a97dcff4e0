"""A usage feed may key accounts by either form of their Salesforce Id."""

import numpy as np
import pandas as pd

from segmentation_pipeline.core.record_ids import in_known_form, long_form, short_form

# 001A0000006Vm9r: the chunks 001A0, 00000 and 6Vm9r have upper-case letters at
# positions {3}, {} and {1}: 8, 0 and 2, the checksum characters I, A and C.
ID15 = "001A0000006Vm9r"
ID18 = "001A0000006Vm9rIAC"


def _chars(*ids: str) -> np.ndarray:
    return np.frombuffer("".join(ids).encode(), dtype=np.uint8).reshape(len(ids), -1)


def test_the_long_form_appends_the_case_checksum():
    assert long_form(_chars(ID15)).tobytes().decode() == ID18


def test_the_short_form_restores_the_letter_case_from_the_checksum():
    chars, readable = short_form(_chars(ID18.lower(), ID18))
    assert chars.tobytes().decode() == ID15 * 2
    assert readable.tolist() == [True, True]


def test_a_checksum_that_flags_a_digit_as_upper_case_is_unreadable():
    # B (1) flags the chunk's first character, a digit.
    _, readable = short_form(_chars("001A0000006Vm9rIAB", "001A0000006Vm9r!AC"))
    assert readable.tolist() == [False, False]


def test_usage_ids_take_the_form_the_accounts_have():
    # 001B0000001abcd: upper-case B at 3 (I), none (A), none (A)
    accounts = pd.Series([ID15, "001B0000001abcdIAA"])
    ids, replaced = in_known_form(
        pd.Series([ID18, ID18.lower(), "001B0000001abcd", ID15, "someone-else"]), accounts
    )
    assert ids.tolist() == [ID15, ID15, "001B0000001abcdIAA", ID15, "someone-else"]
    assert replaced == 3


def test_a_15_character_id_in_another_letter_case_is_another_record():
    ids, replaced = in_known_form(pd.Series([ID15.lower()]), pd.Series([ID18]))
    assert ids.tolist() == [ID15.lower()] and replaced == 0


def test_ids_of_no_account_in_either_form_stay_as_they_are():
    other = "001A0000006Vm9sIAC"  # another record's id
    ids, replaced = in_known_form(
        pd.Series([other, " ", None, "Ääkköset-15char"]), pd.Series([ID15])
    )
    assert ids.iloc[0] == other and replaced == 0
