"""The embedded file CRM: reads an export as text, fails clearly on a broken one."""

import pandas as pd
import pytest

from segmentation_pipeline.core.input_contract import ACCOUNTS_INPUT, USAGE_INPUT
from segmentation_pipeline.io.crm import CrmError, CrmInputMissing, FileCrm


def write(folder, name, text):
    (folder / name).write_text(text)


def accounts_export(header: str, *rows: str) -> str:
    """An accounts.csv with `header`'s columns first, then the contract's other required
    columns, blank in every row."""
    shown = header.split(",")
    blank = [c for c in ACCOUNTS_INPUT.required_columns if c not in shown]
    lines = [",".join([*shown, *blank]), *(row + "," * len(blank) for row in rows)]
    return "\n".join(lines) + "\n"


def test_values_stay_text_and_only_empty_cells_are_null(tmp_path):
    export = accounts_export(
        "Id,Name,NumberOfEmployees,ARR__c", "1,Acme,n/a,", '2,Beta,"1,200",5000'
    )
    write(tmp_path, "accounts.csv", export)
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts.loc[0, "NumberOfEmployees"] == "n/a"
    assert pd.isna(accounts.loc[0, "ARR__c"])
    assert accounts.loc[1, "NumberOfEmployees"] == "1,200"
    assert "Website" in accounts.columns  # absent Salesforce columns are present, empty


@pytest.mark.parametrize("separator", [",", ";"])
def test_an_excel_sep_line_names_the_separator_and_is_no_header(tmp_path, separator):
    """Excel writes `sep=;` first so another locale's Excel splits the columns; read as
    the header, it made every column 'missing'."""
    export = accounts_export("Id,Name,ARR__c", "1,Acme,5000", '2,"Beta, Inc",')
    lines = export.replace(",", separator).replace(f'"Beta{separator} Inc"', '"Beta, Inc"')
    write(tmp_path, "accounts.csv", f"\ufeffsep={separator}\r\n" + lines)
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts["Id"].tolist() == ["1", "2"]
    assert accounts["Name"].tolist() == ["Acme", "Beta, Inc"]
    assert accounts["ARR__c"].tolist()[0] == "5000"


def test_missing_required_column_names_it(tmp_path):
    write(tmp_path, "accounts.csv", "Id,Website\n1,acme.com\n")
    with pytest.raises(CrmError, match="required column.*Name"):
        FileCrm(tmp_path).read_accounts()


def test_a_missing_arr_column_is_named_with_its_file_in_one_line(tmp_path):
    header = ",".join(c for c in ACCOUNTS_INPUT.required_columns if c != "ARR__c")
    write(tmp_path, "accounts.csv", header + "\n" + "x," * header.count(",") + "x\n")
    with pytest.raises(CrmError) as raised:
        FileCrm(tmp_path).read_accounts()
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'accounts.csv'}: required column ARR__c missing")
    assert "\n" not in message


def test_a_header_only_or_empty_accounts_export_is_named(tmp_path):
    write(tmp_path, "accounts.csv", accounts_export("Id,Name"))
    with pytest.raises(CrmInputMissing, match="accounts.csv: no CRM accounts rows .header only"):
        FileCrm(tmp_path).read_accounts()
    write(tmp_path, "accounts.csv", "")
    with pytest.raises(CrmInputMissing, match="accounts.csv: empty file"):
        FileCrm(tmp_path).read_accounts()


def test_missing_export_names_the_file(tmp_path):
    with pytest.raises(CrmError, match="accounts.csv: file not found"):
        FileCrm(tmp_path).read_accounts()


def test_incremental_read_keeps_rows_modified_after_the_mark(tmp_path):
    write(
        tmp_path,
        "accounts.csv",
        accounts_export(
            "Id,Name,SystemModstamp",
            "1,A,2026-01-01T00:00:00.000+0000",
            "2,B,2026-03-01T00:00:00.000+0000",
        ),
    )
    extract = FileCrm(tmp_path).read_accounts(since=pd.Timestamp("2026-02-01", tz="UTC"))
    assert extract.accounts["Id"].tolist() == ["2"]
    assert extract.high_water_mark == pd.Timestamp("2026-03-01", tz="UTC")
    assert extract.full_refresh is False
    assert extract.listed_ids.tolist() == ["1", "2"]  # every account the file holds


def test_an_incremental_read_takes_stamps_written_day_first_as_the_framework_says(tmp_path):
    """A European export stamps an edit of 3 December "03/12/2026 09:00". Read month first
    whatever the framework said, it was 12 March: before the mark, so no incremental night
    read the edit, while its standardization read the same stamp as 3 December."""
    write(
        tmp_path,
        "accounts.csv",
        accounts_export(
            "Id,Name,SystemModstamp",
            "1,A,03/12/2026 09:00",
            "2,B,15/11/2026 10:00",
            "3,C,01/11/2026 10:00",
        ),
    )
    since = pd.Timestamp("2026-11-20", tz="UTC")
    extract = FileCrm(tmp_path).read_accounts(since=since, day_first=True)
    assert extract.accounts["Id"].tolist() == ["1"]
    assert extract.high_water_mark == pd.Timestamp("2026-12-03 09:00", tz="UTC")


def test_a_usage_export_absent_or_without_rows_is_named_not_read_as_empty(tmp_path):
    """Whether that is an error is the framework's call (inputs.usage_feed), so it is a
    CrmInputMissing the extract step can tell from a broken file."""
    with pytest.raises(CrmInputMissing, match="product_usage.csv: file not found"):
        FileCrm(tmp_path).read_usage()
    write(tmp_path, "product_usage.csv", ",".join(USAGE_INPUT.required_columns) + "\n")
    with pytest.raises(CrmInputMissing, match="product_usage.csv: no product usage feed rows"):
        FileCrm(tmp_path).read_usage()


def test_a_usage_column_misnamed_is_named_with_its_file(tmp_path):
    columns = ["Logins_30d" if c == "Logins30d" else c for c in USAGE_INPUT.required_columns]
    write(tmp_path, "product_usage.csv", ",".join(columns) + "\n" + ",".join("1" * len(columns)))
    with pytest.raises(CrmError, match="product_usage.csv: required column Logins30d missing"):
        FileCrm(tmp_path).read_usage()


def test_a_record_short_of_fields_is_refused_naming_its_line(tmp_path):
    """Which field is missing cannot be told: the values after it would be read one column
    to the left (a contract end date as a term, a growth stage as an importance)."""
    header = "Id,Name,Website," + ",".join(ACCOUNTS_INPUT.required_columns[2:])
    width = header.count(",") + 1
    full = "001,Acme,acme.com" + "," * (width - 3)
    short = "002,Globex" + "," * (width - 3)  # one separator too few
    write(tmp_path, "accounts.csv", "\n".join([header, full, short]) + "\n")
    with pytest.raises(
        CrmError,
        match=f"accounts.csv: not a readable CSV export .the record ending on line 3 has "
        f"{width - 1} fields, the header {width}.$",
    ):
        FileCrm(tmp_path).read_accounts()


def test_records_ending_in_a_separator_the_header_lacks_are_read_in_their_columns(tmp_path):
    """A tool that ends every record with a separator but not the header: read naively,
    the first column becomes the index and every value moves one column to the left."""
    header = ",".join(ACCOUNTS_INPUT.required_columns)
    blank = "," * (header.count(",") - 3)
    rows = [f"001A,Acme,Software,250{blank},", f"001B,Globex,Retail,40{blank},"]
    write(tmp_path, "accounts.csv", "\n".join([header, *rows]) + "\n")
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts["Id"].tolist() == ["001A", "001B"]
    assert accounts["Name"].tolist() == ["Acme", "Globex"]
    assert accounts["Industry"].tolist() == ["Software", "Retail"]
    assert accounts["NumberOfEmployees"].tolist() == ["250", "40"]


@pytest.mark.parametrize(
    ("rows", "line", "fields"),
    [
        # An unquoted comma inside one value ("Globex, Inc") adds a field: every value
        # after it would be read one column to the right.
        (["001A,Acme Inc{blank}", "001B,Globex, Inc{blank}"], 3, 1),
        # Every record one value longer than the header (the header lost a name): read
        # naively, the first column becomes the index and every value moves left.
        (["001A,Acme Inc{blank},x", "001B,Globex{blank},y"], 2, 1),
    ],
)
def test_a_record_wider_than_the_header_is_refused_in_one_line(tmp_path, rows, line, fields):
    header = ",".join(ACCOUNTS_INPUT.required_columns)
    blank = "," * (header.count(",") - 1)
    write(tmp_path, "accounts.csv", "\n".join([header, *(r.format(blank=blank) for r in rows)]))
    with pytest.raises(CrmError) as raised:
        FileCrm(tmp_path).read_accounts()
    message = str(raised.value)
    assert "\n" not in message
    width = header.count(",") + 1
    assert message.endswith(
        f"accounts.csv: not a readable CSV export (the record ending on line {line} has "
        f"{width + fields} fields, the header {width})"
    )


@pytest.mark.parametrize("name", ["accounts.csv", "product_usage.csv"])
def test_a_column_the_pipeline_reads_given_twice_is_refused_naming_it(tmp_path, name):
    """Two ARR__c columns (one pasted in beside the old): which holds this month's values
    cannot be told, and the reader would silently keep the first."""
    contract = ACCOUNTS_INPUT if name == "accounts.csv" else USAGE_INPUT
    column = "ARR__c" if name == "accounts.csv" else "NPS"
    columns = [*contract.required_columns, column]
    write(tmp_path, name, ",".join(columns) + "\n" + ",".join("1" * len(columns)) + "\n")
    crm = FileCrm(tmp_path)
    with pytest.raises(CrmError) as raised:
        crm.read_accounts() if name == "accounts.csv" else crm.read_usage()
    assert str(raised.value).endswith(
        f"{name}: column {column} given more than once (which one holds the values cannot be told)"
    )


def test_spaces_around_a_column_name_are_no_part_of_it(tmp_path):
    """' ARR__c' (a space typed after a comma in the header) is the ARR__c column: the
    reader would otherwise call the column missing while the file plainly holds it."""
    columns = [f" {c} " if c == "ARR__c" else c for c in ACCOUNTS_INPUT.required_columns]
    write(tmp_path, "accounts.csv", ",".join(columns) + "\n" + ",".join("1" * len(columns)))
    assert FileCrm(tmp_path).read_accounts().accounts["ARR__c"].tolist() == ["1"]
    columns.append("ARR__c")
    write(tmp_path, "accounts.csv", ",".join(columns) + "\n" + ",".join("1" * len(columns)))
    with pytest.raises(CrmError, match="column ARR__c given more than once"):
        FileCrm(tmp_path).read_accounts()


def test_an_unknown_column_given_twice_is_read(tmp_path):
    columns = [*ACCOUNTS_INPUT.required_columns, "Notes", "Notes", " Notes"]
    write(tmp_path, "accounts.csv", ",".join(columns) + "\n" + ",".join("1" * len(columns)))
    assert FileCrm(tmp_path).read_accounts().accounts["Id"].tolist() == ["1"]


def test_a_record_whose_last_cells_are_empty_is_read_whole(tmp_path):
    header = "Id,Name,Website," + ",".join(ACCOUNTS_INPUT.required_columns[2:])
    width = header.count(",") + 1
    write(tmp_path, "accounts.csv", f"{header}\n001,Acme" + "," * (width - 2) + "\n")
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts["Id"].tolist() == ["001"] and pd.isna(accounts["Website"][0])


def test_a_file_in_another_encoding_is_refused_with_its_name(tmp_path):
    (tmp_path / "accounts.csv").write_bytes(b"Id,Name\n001,Caf\xe9 Rouge\n")
    with pytest.raises(CrmError, match="accounts.csv: not a readable CSV export"):
        FileCrm(tmp_path).read_accounts()


def test_quoted_commas_quotes_and_line_breaks_stay_in_their_cell(tmp_path):
    rest = ACCOUNTS_INPUT.required_columns[2:]
    header = "Id,Name," + ",".join(rest)
    write(
        tmp_path, "accounts.csv", header + '\n001,"Acme, ""The"" Co\nLtd"' + "," * len(rest) + "\n"
    )
    assert FileCrm(tmp_path).read_accounts().accounts["Name"].tolist() == ['Acme, "The" Co\nLtd']


def test_owner_names_come_from_an_optional_owners_export(tmp_path):
    write(
        tmp_path, "accounts.csv", accounts_export("Id,Name,OwnerId", "1,Acme,005A", "2,Beta,005B")
    )
    assert FileCrm(tmp_path).read_accounts().accounts["OwnerName"].isna().all()
    write(tmp_path, "owners.csv", "OwnerId,Name\n005A,Dana Scully\n")
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts["OwnerName"].tolist()[0] == "Dana Scully"
    assert pd.isna(accounts["OwnerName"].tolist()[1])  # an owner the export lacks: no name


def test_an_owners_export_may_give_the_other_form_of_the_owner_ids(tmp_path):
    """A User export from the API has 18-character Ids, an accounts report 15 (and the
    other way round): the names still reach their accounts. 005A0000001abcd has one
    capital, in its first five characters at position 3: checksum IAA."""
    write(
        tmp_path,
        "accounts.csv",
        accounts_export("Id,Name,OwnerId", "1,Acme,005A0000001abcd", "2,Beta,", "3,Gamma,005B"),
    )
    write(tmp_path, "owners.csv", "OwnerId,Name\n005A0000001abcdIAA,Dana Scully\n005B,Fox\n")
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts["OwnerName"].tolist() == ["Dana Scully", None, "Fox"]


def test_an_owners_export_without_its_columns_fails_naming_them(tmp_path):
    write(tmp_path, "accounts.csv", accounts_export("Id,Name,OwnerId", "1,Acme,005A"))
    write(tmp_path, "owners.csv", "Id,FullName\n005A,Dana Scully\n")
    with pytest.raises(CrmError, match="owners.csv: missing column.*OwnerId, Name"):
        FileCrm(tmp_path).read_accounts()


SALESFORCE_REPORT_FOOTER = [
    "",
    "Grand Totals (2 records)",
    "",
    "",
    "Confidential Information - Do Not Distribute",
    "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
]


@pytest.mark.parametrize("padded", [False, True])
def test_a_salesforce_report_footer_is_named_not_read_as_accounts(tmp_path, padded):
    """A report export ends in a totals line, a notice and a copyright, each one value;
    re-saved by a spreadsheet, every line is padded to the header's width and read as a
    record: "Grand Totals (2 records)" became a third, Unsegmented account (or, with the
    name first, a rejected record) while the CRM holds two."""
    header = ",".join(ACCOUNTS_INPUT.required_columns)
    width = header.count(",") + 1
    rows = ["001A," + "Acme" + "," * (width - 2), "001B," + "Globex" + "," * (width - 2)]
    pad = "," * (width - 1) if padded else ""
    footer = [f'"{line}"{pad}' for line in SALESFORCE_REPORT_FOOTER]
    write(tmp_path, "accounts.csv", "\n".join([header, *rows, *footer]) + "\n")
    with pytest.raises(CrmError) as raised:
        FileCrm(tmp_path).read_accounts()
    where = "row 4 of the export" if padded else "the record ending on line 5"
    assert str(raised.value) == (
        f"{tmp_path / 'accounts.csv'}: {where} holds 'Grand Totals (2 records)', a report's "
        "footer, not a record (export the report's details only, or delete the lines after "
        "the last record)"
    )


def test_an_empty_short_record_without_a_footer_after_it_is_still_refused(tmp_path):
    header = ",".join(ACCOUNTS_INPUT.required_columns)
    width = header.count(",") + 1
    row = "001A,Acme" + "," * (width - 2)
    write(tmp_path, "accounts.csv", "\n".join([header, row, '""', row.replace("A,", "B,")]))
    with pytest.raises(
        CrmError, match=f"the record ending on line 3 has 1 fields, the header {width}"
    ):
        FileCrm(tmp_path).read_accounts()


@pytest.mark.parametrize(
    ("written", "field"),
    [
        ("website", "Website"),  # optional: every account read without a domain
        ("Annual Revenue", "AnnualRevenue"),  # a report export's label
        ("owner_id", "OwnerId"),
        ("BILLINGCITY", "BillingCity"),
    ],
)
def test_a_column_written_unlike_its_field_name_is_named_not_dropped(tmp_path, written, field):
    """Field names are matched exactly: a Website column headed 'website' was dropped as
    an unknown column, and the night ran with no domain for any account (no enrichment,
    weaker duplicate matching) and said nothing of it. (A required field so written is
    named missing.)"""
    columns = [written if c == field else c for c in (*ACCOUNTS_INPUT.required_columns, field)]
    assert_misnamed(tmp_path, "accounts.csv", list(dict.fromkeys(columns)), written, field)


@pytest.mark.parametrize(
    ("written", "field"), [("product", "Product"), ("Product ARR", "ProductARR")]
)
def test_a_usage_product_column_written_unlike_its_name_is_named(tmp_path, written, field):
    """Without its Product column, a feed of several products per account read as rows
    repeating one account (the last kept): the account's other products were dropped."""
    columns = [*USAGE_INPUT.required_columns, written]
    assert_misnamed(tmp_path, "product_usage.csv", columns, written, field)
    write_one_row(tmp_path, "product_usage.csv", [*columns[:-1], f" {field} "])
    assert FileCrm(tmp_path).read_usage()[field].tolist() == ["1"]


def write_one_row(folder, name, columns):
    write(folder, name, ",".join(columns) + "\n" + ",".join("1" * len(columns)))


def assert_misnamed(folder, name, columns, written, field):
    """The export `name` with `columns` is refused naming `written` and the `field`."""
    write_one_row(folder, name, columns)
    crm = FileCrm(folder)
    with pytest.raises(CrmError) as raised:
        crm.read_accounts() if name == "accounts.csv" else crm.read_usage()
    assert str(raised.value) == (
        f"{folder / name}: column {written!r} is not read: the field it looks like is "
        f"{field} (column names are matched exactly; rename the column)"
    )


def test_a_column_like_a_field_given_beside_it_is_read_as_an_other_column(tmp_path):
    columns = [*ACCOUNTS_INPUT.required_columns, "NAME", "Website", "website"]
    write(tmp_path, "accounts.csv", ",".join(columns) + "\n" + ",".join("1" * len(columns)))
    assert FileCrm(tmp_path).read_accounts().accounts["NAME"].tolist() == ["1"]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_an_export_separated_by_semicolons_or_tabs_without_a_sep_line_is_read(tmp_path, separator):
    """Excel on a locale whose decimal mark is the comma saves 'CSV' with semicolons and
    no `sep=` line; read by commas, every record was one column and the export was refused
    for missing every field, or for a record of two fields where a value held a comma."""
    export = accounts_export("Id,Name,ARR__c", "1,Acme,5000", "2,Beta Inc,")
    lines = export.replace(",", separator).replace("Beta Inc", "Beta, Inc")
    lines = lines.replace(f"5000{separator}", f"45.000,50{separator}")
    write(tmp_path, "accounts.csv", "\ufeff" + lines)
    accounts = FileCrm(tmp_path).read_accounts().accounts
    assert accounts["Id"].tolist() == ["1", "2"]
    assert accounts["Name"].tolist() == ["Acme", "Beta, Inc"]
    assert accounts["ARR__c"].tolist()[0] == "45.000,50"
