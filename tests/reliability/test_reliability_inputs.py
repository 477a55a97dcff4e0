"""The input contract and every record accounted for, on the real nightly job.

Each test copies the bundled sample (1,500 accounts), injects one fault, runs the night
and asserts the outcome: a one-line error naming the file (and column), or the night
succeeding with the bad record in rejected_records and the record ledger balanced.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH

SAMPLE_ACCOUNTS = 1500


def read_accounts(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "accounts.csv", dtype=str, keep_default_na=False)


def write_accounts(folder, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / "accounts.csv", index=False)


def one_line_error(night) -> str:
    """The single failed step's message, which must be one line."""
    messages = night.failure_messages()
    assert len(messages) == 1, messages
    assert "\n" not in messages[0], messages[0]
    return messages[0]


def check_evaluation(night, name: str):
    found = [e for e in night.result.get_asset_check_evaluations() if e.check_name == name]
    assert len(found) == 1
    return found[0]


def ledger(night) -> dict:
    evaluation = check_evaluation(night, "record_accounting")
    assert evaluation.passed, evaluation.metadata["summary"].value
    return {k: v.value for k, v in evaluation.metadata.items()}


def rejected_rows(night) -> pd.DataFrame:
    return night.warehouse().read_table("rejected_records")


# -- the usage feed ---------------------------------------------------------------


@pytest.mark.parametrize("fault", ["missing", "misnamed", "header_only", "empty"])
def test_a_usage_feed_that_is_not_there_fails_the_night_naming_the_file(night, sample_crm, fault):
    usage = sample_crm / "product_usage.csv"
    if fault == "missing":
        usage.unlink()
    elif fault == "misnamed":
        usage.rename(sample_crm / "product-usage.csv")
    elif fault == "header_only":
        usage.write_text(usage.read_text().splitlines()[0] + "\n")
    else:
        usage.write_text("")
    result = night(sample_crm)
    assert not result.success
    message = one_line_error(result)
    assert "product_usage.csv" in message
    expected = {
        "missing": "file not found",
        "misnamed": "file not found",
        "header_only": "header only",
        "empty": "empty file",
    }[fault]
    assert expected in message
    assert "inputs.usage_feed" in message


def test_without_a_usage_feed_by_configuration_the_night_succeeds(night, sample_crm, tmp_path):
    (sample_crm / "product_usage.csv").unlink()
    framework = tmp_path / "framework.yaml"
    text = DEFAULT_FRAMEWORK_PATH.read_text()
    assert "  usage_feed: true\n" in text
    framework.write_text(text.replace("  usage_feed: true\n", "  usage_feed: false\n"))
    result = night(sample_crm, framework=str(framework))
    assert result.success
    assert result.value("product_usage").empty


def test_a_usage_column_renamed_names_the_file_and_the_column(night, sample_crm):
    usage = sample_crm / "product_usage.csv"
    usage.write_text(usage.read_text().replace("Logins30d", "Logins_30d", 1))
    result = night(sample_crm)
    message = one_line_error(result)
    assert "product_usage.csv" in message
    assert "required column Logins30d missing" in message


def test_a_usage_feed_keyed_by_other_ids_fails_the_night_naming_the_feed(night, sample_crm):
    """Ids of other records (the accounts' in lower case, in their 18-character form)
    match nothing: every behavioral score would be the unknown default, so the night
    fails instead."""
    usage = pd.read_csv(sample_crm / "product_usage.csv", dtype=str, keep_default_na=False)
    usage["AccountId"] = usage["AccountId"] + "AAA"
    usage.to_csv(sample_crm / "product_usage.csv", index=False)
    result = night(sample_crm)
    assert not result.success
    message = one_line_error(result)
    assert "product usage feed" in message and "usage rows name no account" in message


def test_a_few_usage_rows_naming_no_account_are_named_in_a_warning(night, sample_crm):
    """Three rows keyed by other records' Ids: too few to fail the night, but their
    accounts score the unknown behavioral points, so the rows are named."""
    usage = pd.read_csv(sample_crm / "product_usage.csv", dtype=str, keep_default_na=False)
    usage.loc[0:2, "AccountId"] = usage.loc[0:2, "AccountId"] + "AAA"
    usage.to_csv(sample_crm / "product_usage.csv", index=False)
    result = night(sample_crm)
    assert result.success
    assert result.metadata("account_scores")["usage_rows_without_account"] == 3
    examples = ", ".join(repr(i) for i in usage.loc[0:2, "AccountId"])
    (warning,) = result.warnings("account_scores")
    assert warning.startswith("3 of ")  # of the feed's rows, one per account and product
    assert warning.endswith(
        f" usage rows name no account of the accounts export (e.g. {examples}): their usage "
        "counts for no account (AccountId must name an account's Id, in its 15- or "
        "18-character form)"
    )


def test_a_usage_feed_keyed_by_18_character_ids_finds_its_15_character_accounts(night, sample_crm):
    """The API and Data Loader give 18-character Ids, a report export 15: the feed's rows
    are read as the accounts they name, and the behavioral scores are those of the feed
    keyed like the accounts."""
    path = sample_crm / "product_usage.csv"
    usage = pd.read_csv(path, dtype=str, keep_default_na=False)
    baseline = night(sample_crm).value("account_scores")
    usage["AccountId"] = [i + _checksum(i) for i in usage["AccountId"]]
    usage.to_csv(path, index=False)
    result = night(sample_crm)
    assert result.success
    assert result.metadata("product_usage")["ids_in_other_form"] == len(usage)
    assert result.metadata("account_scores")["usage_rows_without_account"] == 0
    scores = result.value("account_scores").set_index("account_id")["behavioral_score"]
    expected = baseline.set_index("account_id")["behavioral_score"]
    pd.testing.assert_series_equal(scores.sort_index(), expected.sort_index())


def _checksum(id15: str) -> str:
    """Salesforce's case checksum, written out here as its documentation describes it."""
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    return "".join(
        chars[sum(1 << i for i, c in enumerate(id15[k : k + 5]) if c.isupper())] for k in (0, 5, 10)
    )


def test_usage_ids_with_stray_spaces_still_match(night, sample_crm):
    usage = pd.read_csv(sample_crm / "product_usage.csv", dtype=str, keep_default_na=False)
    usage["AccountId"] = " " + usage["AccountId"] + " "
    usage.to_csv(sample_crm / "product_usage.csv", index=False)
    result = night(sample_crm)
    assert result.success
    scores = result.value("account_scores")
    assert scores["behavioral_score"].nunique() > 1  # not every account at the default


def test_usage_values_that_are_no_number_are_named_by_the_feed(night, sample_crm):
    usage = pd.read_csv(sample_crm / "product_usage.csv", dtype=str, keep_default_na=False)
    usage.loc[0, "OnboardingCompletion"] = "85%"
    usage.loc[1, "ActiveUsers"] = "TRUE"
    usage.to_csv(sample_crm / "product_usage.csv", index=False)
    result = night(sample_crm)
    assert result.success
    assert result.metadata("product_usage")["values_unreadable"] == {
        "ActiveUsers": ["TRUE"],
        "OnboardingCompletion": ["85%"],
    }
    assert (
        "usage values that are no number read as unknown: ActiveUsers (e.g. TRUE); "
        "OnboardingCompletion (e.g. 85%)"
    ) in result.warnings("product_usage")


def test_a_usage_row_repeated_with_other_values_is_named(night, sample_crm):
    usage = pd.read_csv(sample_crm / "product_usage.csv", dtype=str, keep_default_na=False)
    copy = usage.iloc[[4]].copy()
    copy["ActiveUsers"] = str(int(copy["ActiveUsers"].iloc[0]) + 7)
    exact = usage.iloc[[5]]  # a plain copy of a row changes nothing
    pd.concat([usage, copy, exact]).to_csv(sample_crm / "product_usage.csv", index=False)
    result = night(sample_crm)
    assert result.success
    account_id = usage.loc[4, "AccountId"]
    assert result.metadata("product_usage")["rows_repeated_with_other_values"] == {account_id: 2}
    assert (
        "usage rows repeating an account and product with other values (the last is kept): "
        f"{account_id} (2 rows)"
    ) in result.warnings("product_usage")


# -- the accounts export ----------------------------------------------------------


def test_an_absent_arr_column_names_the_file_and_the_column(night, sample_crm):
    write_accounts(sample_crm, read_accounts(sample_crm).drop(columns=["ARR__c"]))
    result = night(sample_crm)
    assert not result.success
    message = one_line_error(result)
    assert "accounts.csv: required column ARR__c missing" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [("header", "accounts.csv: no CRM accounts rows (header only)"), ("", "empty file")],
)
def test_an_accounts_export_without_rows_names_the_file(night, sample_crm, content, expected):
    accounts = sample_crm / "accounts.csv"
    header = accounts.read_text().splitlines()[0] + "\n"
    accounts.write_text(header if content == "header" else "")
    result = night(sample_crm)
    assert not result.success
    message = one_line_error(result)
    assert expected in message
    assert "accounts.csv" in message


def test_an_override_neither_yes_nor_no_is_named_and_a_spreadsheet_true_counts(night, sample_crm):
    accounts = read_accounts(sample_crm)
    accounts.loc[0:1, "Segment_Override__c"] = "vielleicht"
    accounts.loc[2, "Segment_Override__c"] = "WAHR"  # a German spreadsheet's TRUE
    accounts.loc[2, "Customer_Tier__c"] = "Tier 1"
    write_accounts(sample_crm, accounts)
    result = night(sample_crm)
    assert result.success
    assert result.metadata("accounts_standardized")["override_values_unread"] == {"vielleicht": 2}
    assert (
        "Segment_Override__c: 2 accounts hold values that are neither yes nor no "
        "(vielleicht 2); they read as no override"
    ) in result.warnings("accounts_standardized")
    assignments = result.value("segment_assignments").set_index("account_id")
    assert assignments.loc[accounts.loc[2, "Id"], ["status", "segment"]].tolist() == [
        "overridden",
        "Tier 1",
    ]


def test_contract_ends_written_day_first_or_as_day_numbers_are_named(night, sample_crm):
    """An export re-saved on a European locale: contract ends day first (27/07/2028), and
    two as a spreadsheet's day numbers. The night succeeds, as before, but says which dates
    were not read as written instead of reading a third of them a month off, silently."""
    accounts = read_accounts(sample_crm)
    ends = pd.to_datetime(accounts["Contract_End_Date__c"])
    accounts["Contract_End_Date__c"] = ends.dt.strftime("%d/%m/%Y")
    accounts.loc[0:1, "Contract_End_Date__c"] = "46595"
    write_accounts(sample_crm, accounts)
    day_first_only = int((ends.dt.day > 12).iloc[2:].sum())
    either = int(((ends.dt.day <= 12) & (ends.dt.day != ends.dt.month)).iloc[2:].sum())
    result = night(sample_crm)
    assert result.success
    lines = result.metadata("accounts_standardized")["dates_not_read_as_written"]
    assert lines[0].startswith(
        f"Contract_End_Date__c: {day_first_only:,} accounts hold dates that read only day "
        f"first (e.g. {accounts.loc[2:, 'Contract_End_Date__c'][ends.dt.day > 12].iloc[0]!r})"
    )
    assert f"; {either:,} whose day and month could be either" in lines[0]
    assert lines[1] == (
        "Contract_End_Date__c: 2 accounts hold dates that cannot be read (e.g. '46595'); "
        "they read as no date"
    )
    assert lines == result.warnings("accounts_standardized")[-2:]


def test_modstamps_written_day_first_against_the_setting_are_named(night, sample_crm):
    """Read month first, the edit stamped 01/11/2026 is one of 11 January: an incremental
    night comparing it with the mark may never read it, so the column is named."""
    accounts = read_accounts(sample_crm)
    accounts.loc[0, "SystemModstamp"] = "13/11/2026 10:00"
    accounts.loc[1, "SystemModstamp"] = "01/11/2026 10:00"
    write_accounts(sample_crm, accounts)
    result = night(sample_crm)
    assert result.success
    line = (
        "SystemModstamp: 1 accounts hold dates that read only day first (e.g. '13/11/2026 "
        "10:00') while standardization.dates_day_first is false; 1 whose day and month could "
        "be either (e.g. '01/11/2026 10:00') were read month first: set dates_day_first to "
        "the order the export writes"
    )
    assert result.metadata("accounts_standardized")["dates_not_read_as_written"] == [line]
    assert line in result.warnings("accounts_standardized")


def hand_edited_row(account_id: str, name: str, **values: str) -> dict:
    """A plausible account of its own (no duplicate of a sample account), in export form."""
    slug = name.lower().replace(" ", "")
    row = {
        "Id": account_id, "Name": name, "Website": f"https://{slug}.example.org/",
        "Industry": "Software", "NumberOfEmployees": "51-200", "BillingCountry": "Deutschland",
        "BillingCity": "Berlin", "Phone": "", "OwnerId": "005U00000000004",
        "CreatedDate": "2023-02-01T00:00:00.000+0000",
        "SystemModstamp": "2026-10-01T00:00:00.000+0000", "ARR__c": "$120,000",
        "Contract_Term__c": "Multi-year", "Contract_End_Date__c": "2027-06-30",
        "Strategic_Importance__c": "Standard", "Growth_Stage__c": "Growth",
        "Segment_Override__c": "FALSE",
    }  # fmt: skip
    return {**row, **values}


def test_a_hand_edited_export_accounts_for_every_record_and_value(night, sample_crm):
    """The sample saved again by a spreadsheet (a byte-order mark, CRLF, a separator ending
    every record but not the header) with hand-typed rows: each odd value is read right or
    left out with its reason, and every record is accounted for."""
    accounts = read_accounts(sample_crm)
    edited = pd.DataFrame(
        [
            hand_edited_row("001Z00000000001", "Quillon Analytics", ARR__c="50-150k"),
            hand_edited_row("001Z00000000002", "Rastaban Works", CreatedDate="0001-01-01"),
            hand_edited_row(
                "001Z00000000003", "Sadalmelik Data", Contract_End_Date__c="05.01.2027"
            ),
            hand_edited_row(
                "001Z00000000004",
                "Tarazed Cloud",
                Segment_Override__c="WAHR",
                Customer_Tier__c="Tier 1",
            ),
            hand_edited_row("001Z00000000005", "Unukalhai Labs", ARR__c="1.5E+06"),
            hand_edited_row("", "Vindemiatrix Partners"),
            hand_edited_row("001z00000000001", "Wezen Robotics", ARR__c="1.200.000,00 €"),
        ]
    )
    frame = pd.concat([accounts, edited], ignore_index=True).fillna("")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(frame.columns)
    writer.writerows([*row, ""] for row in frame.itertuples(index=False))
    (sample_crm / "accounts.csv").write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode())

    result = night(sample_crm)
    assert result.success
    rows = result.value("segment_assignments").set_index("account_id")
    standardized = result.value("accounts_standardized").set_index("account_id")
    assert rows.loc["001Z00000000001", ["status", "arr"]].tolist() == ["segmented", 100_000]
    assert rows.loc["001Z00000000002", "unsegmented_reason"] == "invalid_created_date:out_of_range"
    assert standardized.loc["001Z00000000003", "contract_end_date"] == pd.Timestamp(
        "2027-01-05", tz="UTC"
    )
    assert rows.loc["001Z00000000004", ["status", "segment"]].tolist() == ["overridden", "Tier 1"]
    assert rows.loc["001Z00000000005", "unsegmented_reason"] == "invalid_arr:unparseable"
    # Another record (Ids hold case), whose euros in a dollar CRM are not read as dollars.
    assert rows.loc["001z00000000001", "unsegmented_reason"] == "invalid_arr:other_currency"
    assert standardized.loc["001z00000000001", "arr_raw"] == "1.200.000,00 €"
    assert rejected_rows(result)[["account_id", "reason"]].fillna("").values.tolist() == [
        ["", "missing_id"]
    ]
    counts = ledger(result)
    assert (counts["rows_in"], counts["rejected"]) == (SAMPLE_ACCOUNTS + 7, 1)


# -- records rejected, and the ledger -----------------------------------------------


def test_the_sample_rejects_nothing_and_its_records_balance(night, sample_crm):
    result = night(sample_crm)
    assert result.success
    counts = ledger(result)
    assert counts["rows_in"] == SAMPLE_ACCOUNTS
    assert counts["rejected"] == 0
    assert counts["rows_out"] == SAMPLE_ACCOUNTS
    parts = ["segmented", "provisional", "overridden", "unsegmented_with_reason", "merged"]
    assert sum(counts[p] for p in parts) == SAMPLE_ACCOUNTS
    assert counts["merged"] == len(result.value("account_merge_audit"))
    assert rejected_rows(result).empty
    assert result.metadata("warehouse_rejected_records")["rejected_records"] == 0


def test_an_account_gone_from_the_export_leaves_on_the_next_night_of_the_month(night, sample_crm):
    """The file export lists every account: one no longer in it is deleted that night,
    not segmented until the month's first night re-reads everything."""
    assert night(sample_crm).success
    accounts = read_accounts(sample_crm)
    gone = set(accounts["Id"].head(100))
    write_accounts(sample_crm, accounts.iloc[100:])
    result = night(sample_crm)
    assert result.success
    assert result.metadata("crm_accounts")["deleted_accounts"] == 100
    assert not gone & set(result.value("crm_accounts")["Id"])
    assert not gone & set(result.value("segment_assignments")["account_id"])
    assert ledger(result)["rows_in"] == SAMPLE_ACCOUNTS - 100


def test_a_repeated_id_rejects_the_older_copy_as_duplicate_id(night, sample_crm, warehouse_url):
    accounts = read_accounts(sample_crm)
    copy = accounts.iloc[[7]].copy()
    account_id = copy["Id"].iloc[0]
    copy["Name"] = "Newer Name Ltd"
    copy["SystemModstamp"] = "2026-10-31T23:00:00.000+0000"  # later than the original's
    write_accounts(sample_crm, pd.concat([copy, accounts], ignore_index=True))

    result = night(sample_crm, warehouse_url=warehouse_url)
    assert result.success
    rejected = rejected_rows(result)
    assert rejected[["account_id", "source_file", "reason"]].values.tolist() == [
        [account_id, "accounts.csv", "duplicate_id"]
    ]
    assert "kept row 1" in rejected["detail"].iloc[0]
    assert rejected["snapshot_month"].tolist() == ["2026-11-01"]
    assert rejected["run_id"].tolist() == [result.result.run_id]
    snapshot = result.value("crm_accounts")
    assert len(snapshot) == SAMPLE_ACCOUNTS
    assert snapshot.loc[snapshot["Id"] == account_id, "Name"].tolist() == ["Newer Name Ltd"]
    counts = ledger(result)
    assert (counts["rows_in"], counts["rejected"]) == (SAMPLE_ACCOUNTS + 1, 1)
    assert result.metadata("warehouse_rejected_records")["rejected_records"] == 1
    assert result.metadata("crm_accounts")["rows_read_from_crm"] == SAMPLE_ACCOUNTS + 1


def test_a_created_date_in_year_9999_rejects_the_record_not_the_night(night, sample_crm):
    accounts = read_accounts(sample_crm)
    account_id = accounts.loc[5, "Id"]
    accounts.loc[5, "CreatedDate"] = "9999-12-31T00:00:00.000+0000"
    write_accounts(sample_crm, accounts)

    result = night(sample_crm)
    assert result.success
    rejected = rejected_rows(result)
    assert rejected[["account_id", "reason"]].values.tolist() == [[account_id, "date_out_of_range"]]
    assert "CreatedDate 9999-12-31" in rejected["detail"].iloc[0]
    assert account_id not in set(result.value("segment_assignments")["account_id"])
    counts = ledger(result)
    assert (counts["rows_in"], counts["rejected"]) == (SAMPLE_ACCOUNTS, 1)


def test_a_created_date_in_year_1_leaves_the_account_unsegmented_with_its_reason(night, sample_crm):
    """A placeholder date would make the account two thousand years old: established,
    never provisional, its NPS counted."""
    accounts = read_accounts(sample_crm)
    plain = accounts["Segment_Override__c"].str.lower().ne("true") & accounts["ARR__c"].ne("")
    row = plain.idxmax()  # an account no override or missing ARR leaves unsegmented anyway
    account_id = accounts.loc[row, "Id"]
    accounts.loc[row, "CreatedDate"] = "0001-01-01T00:00:00.000+0000"
    write_accounts(sample_crm, accounts)

    result = night(sample_crm)
    assert result.success
    assignments = result.value("segment_assignments").set_index("account_id")
    assert assignments.loc[account_id, "status"] == "unsegmented"
    assert assignments.loc[account_id, "unsegmented_reason"] == "invalid_created_date:out_of_range"
    counts = ledger(result)
    assert (counts["rows_in"], counts["rejected"]) == (SAMPLE_ACCOUNTS, 0)


def test_a_future_modstamp_is_rejected_and_never_pins_the_mark(night, sample_crm):
    accounts = read_accounts(sample_crm)
    future_id = accounts.loc[3, "Id"]
    accounts.loc[3, "SystemModstamp"] = "9999-12-31T00:00:00.000+0000"
    stamps = pd.to_datetime(accounts["SystemModstamp"].drop(index=3), utc=True, format="ISO8601")
    write_accounts(sample_crm, accounts)

    first = night(sample_crm)
    assert first.success
    assert rejected_rows(first)[["account_id", "reason"]].values.tolist() == [
        [future_id, "future_timestamp"]
    ]
    mark = pd.Timestamp(first.warehouse().get_state("crm_accounts")["high_water_mark"])
    assert mark == stamps.max()

    # An edit stamped after the mark is read the next night (a pinned mark would skip it).
    edited_id = accounts.loc[10, "Id"]
    accounts.loc[10, "Name"] = "Renamed After The Mark Inc."
    accounts.loc[10, "SystemModstamp"] = "2026-11-20T10:00:00.000+0000"
    write_accounts(sample_crm, accounts)
    second = night(sample_crm)
    assert second.success
    extract = second.metadata("crm_accounts")
    assert extract["extract_mode"] == "incremental"
    assert extract["updated_accounts"] == 1
    snapshot = second.value("crm_accounts")
    assert snapshot.loc[snapshot["Id"] == edited_id, "Name"].tolist() == [
        "Renamed After The Mark Inc."
    ]
    assert pd.Timestamp(second.warehouse().get_state("crm_accounts")["high_water_mark"]) == (
        pd.Timestamp("2026-11-20T10:00:00Z")
    )
    # The still-future record is still rejected, once; the ledger still balances.
    assert rejected_rows(second)[["account_id", "reason"]].values.tolist() == [
        [future_id, "future_timestamp"]
    ]
    counts = ledger(second)
    assert (counts["rows_in"], counts["rejected"]) == (SAMPLE_ACCOUNTS, 1)


def test_a_re_run_of_the_month_on_the_same_input_leaves_rejected_records_as_they_were(
    night, sample_crm
):
    accounts = read_accounts(sample_crm)
    accounts.loc[3, "SystemModstamp"] = "9999-12-31T00:00:00.000+0000"
    write_accounts(sample_crm, pd.concat([accounts, accounts.iloc[[8]]], ignore_index=True))

    first = night(sample_crm)
    assert first.success
    before = rejected_rows(first).sort_values(["reason"]).reset_index(drop=True)
    assert before["reason"].tolist() == ["duplicate_id", "future_timestamp"]
    assert set(before["run_id"]) == {first.result.run_id}

    again = night(sample_crm)  # same month, same export: an incremental night
    assert again.success
    assert again.metadata("crm_accounts")["extract_mode"] == "incremental"
    after = rejected_rows(again).sort_values(["reason"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(after, before)
    assert ledger(again)["rejected"] == 2


def test_a_mark_already_pinned_in_the_future_is_reset_by_a_full_read(night, sample_crm):
    """A deployment whose stored mark a 9999 stamp pinned before the screening existed."""
    first = night(sample_crm)
    assert first.success
    state = first.warehouse().get_state("crm_accounts")
    first.warehouse().set_state(
        "crm_accounts", {**state, "high_water_mark": "9999-12-31T00:00:00+00:00"}
    )
    healed = night(sample_crm)
    assert healed.success
    extract = healed.metadata("crm_accounts")
    assert extract["extract_mode"] == "full"
    assert extract["full_refresh_reason"].startswith("stored high-water mark 9999-12-31")
    mark = pd.Timestamp(healed.warehouse().get_state("crm_accounts")["high_water_mark"])
    assert mark == pd.Timestamp("2026-10-31T19:33:13Z")  # the sample's latest stamp
