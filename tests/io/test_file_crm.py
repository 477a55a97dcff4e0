"""The embedded file CRM: reads an export as text, fails clearly on a broken one."""

import pandas as pd
import pytest

from segmentation_pipeline.io.crm import CrmError, FileCrm


def write(folder, name, text):
    (folder / name).write_text(text)


def test_values_stay_text_and_only_empty_cells_are_null(tmp_path):
    export = 'Id,Name,NumberOfEmployees,ARR__c\n1,Acme,n/a,\n2,Beta,"1,200",5000\n'
    write(tmp_path, "accounts.csv", export)
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts.loc[0, "NumberOfEmployees"] == "n/a"
    assert pd.isna(accounts.loc[0, "ARR__c"])
    assert accounts.loc[1, "NumberOfEmployees"] == "1,200"
    assert "Website" in accounts.columns  # absent Salesforce columns are present, empty


def test_missing_required_column_names_it(tmp_path):
    write(tmp_path, "accounts.csv", "Id,Website\n1,acme.com\n")
    with pytest.raises(CrmError, match="required column.*Name"):
        FileCrm(tmp_path).read_accounts()


def test_missing_export_names_the_file(tmp_path):
    with pytest.raises(CrmError, match="accounts.csv: file not found"):
        FileCrm(tmp_path).read_accounts()


def test_incremental_read_keeps_rows_modified_after_the_mark(tmp_path):
    write(
        tmp_path,
        "accounts.csv",
        "Id,Name,SystemModstamp\n1,A,2026-01-01T00:00:00.000+0000\n2,B,2026-03-01T00:00:00.000+0000\n",
    )
    extract = FileCrm(tmp_path).read_accounts(since=pd.Timestamp("2026-02-01", tz="UTC"))
    assert extract.accounts["Id"].tolist() == ["2"]
    assert extract.high_water_mark == pd.Timestamp("2026-03-01", tz="UTC")
    assert extract.full_refresh is False


def test_no_usage_export_means_an_empty_usage_frame(tmp_path):
    assert FileCrm(tmp_path).read_usage().empty


def test_a_row_with_a_missing_cell_is_read_with_the_cell_empty(tmp_path):
    """The fast reader refuses short rows; the file is read again rather than rejected."""
    write(tmp_path, "accounts.csv", "Id,Name,Website\n001,Acme,acme.com\n002,Globex\n")
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts["Id"].tolist() == ["001", "002"]
    assert pd.isna(accounts["Website"][1])


def test_a_file_in_another_encoding_is_refused_with_its_name(tmp_path):
    (tmp_path / "accounts.csv").write_bytes(b"Id,Name\n001,Caf\xe9 Rouge\n")
    with pytest.raises(CrmError, match="accounts.csv: not a readable CSV export"):
        FileCrm(tmp_path).read_accounts()


def test_quoted_commas_quotes_and_line_breaks_stay_in_their_cell(tmp_path):
    write(tmp_path, "accounts.csv", 'Id,Name\n001,"Acme, ""The"" Co\nLtd"\n')
    assert FileCrm(tmp_path).read_accounts().accounts["Name"].tolist() == ['Acme, "The" Co\nLtd']
