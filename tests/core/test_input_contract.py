"""The input contract: each export's required columns declared once, named when missing."""

import pandas as pd
import pytest

from segmentation_pipeline.core.input_contract import (
    ACCOUNTS_INPUT,
    INPUTS,
    USAGE_INPUT,
    InputContractError,
    check_columns,
    check_has_rows,
    check_usage_feed,
    check_usage_matches,
    missing_columns,
)
from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS, RAW_USAGE_COLUMNS


def test_every_required_column_is_a_known_raw_column_and_the_key_is_required():
    for contract, known in (
        (ACCOUNTS_INPUT, RAW_ACCOUNT_COLUMNS),
        (USAGE_INPUT, RAW_USAGE_COLUMNS),
    ):
        assert set(contract.required_columns) <= set(known)
        assert contract.key in contract.required_columns
    assert [c.file_name for c in INPUTS] == ["accounts.csv", "product_usage.csv"]


def test_the_accounts_contract_holds_every_field_a_score_reads():
    for column in ("ARR__c", "Industry", "NumberOfEmployees", "BillingCountry", "CreatedDate"):
        assert column in ACCOUNTS_INPUT.required_columns
    assert "Website" not in ACCOUNTS_INPUT.required_columns  # matching only: optional


def test_missing_columns_keep_the_contracts_order():
    present = [c for c in ACCOUNTS_INPUT.required_columns if c not in ("ARR__c", "Industry")]
    assert missing_columns(present, ACCOUNTS_INPUT) == ["Industry", "ARR__c"]
    assert missing_columns(ACCOUNTS_INPUT.required_columns, ACCOUNTS_INPUT) == []


def test_one_missing_column_is_named_with_its_file_in_one_line():
    present = [c for c in ACCOUNTS_INPUT.required_columns if c != "ARR__c"]
    with pytest.raises(InputContractError) as raised:
        check_columns(present, ACCOUNTS_INPUT, "crm/accounts.csv")
    message = str(raised.value)
    assert message.startswith("crm/accounts.csv: required column ARR__c missing (")
    assert "\n" not in message


def test_several_missing_columns_are_all_named():
    with pytest.raises(InputContractError, match="required columns Logins30d, NPS missing"):
        check_columns(
            [c for c in RAW_USAGE_COLUMNS if c not in ("Logins30d", "NPS")],
            USAGE_INPUT,
            "product_usage.csv",
        )


def test_a_file_without_rows_is_named():
    with pytest.raises(InputContractError, match="^a.csv: no CRM accounts rows .header only.$"):
        check_has_rows(0, ACCOUNTS_INPUT, "a.csv")
    check_has_rows(1, ACCOUNTS_INPUT, "a.csv")


def test_an_empty_usage_feed_is_an_error_only_when_one_is_expected():
    with pytest.raises(InputContractError, match="inputs.usage_feed: false"):
        check_usage_feed(0, expected=True, source="usage")
    check_usage_feed(0, expected=False, source="usage")
    check_usage_feed(3, expected=True, source="usage")


def test_a_usage_feed_must_mostly_name_known_accounts():
    accounts = pd.Series(["001A", "001B", "001C"])
    # One stray row of three (a deleted account, say) is counted, not an error.
    unmatched = check_usage_matches(pd.Series(["001A", "001B", "009Z"]), accounts, 0.5, "usage")
    assert unmatched.tolist() == ["009Z"]
    # Keyed by other ids (another system's keys): named in one line.
    other = pd.Series(["001AAAA", "001BAAA", "001CAAA"])
    with pytest.raises(
        InputContractError,
        match=r"^usage: 3 of 3 usage rows name no account of the accounts export "
        r"\(e.g. '001AAAA', '001BAAA', '001CAAA'\); at least 50% must .*usage_min_matched",
    ):
        check_usage_matches(other, accounts, 0.5, "usage")
    assert check_usage_matches(pd.Series([], dtype=object), accounts, 0.5, "usage").empty
