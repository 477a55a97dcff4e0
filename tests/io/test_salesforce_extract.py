"""Account extraction: paging, describe validation, incremental reads, deletes, Bulk, signals."""

import pandas as pd
import pytest

from segmentation_pipeline.io.salesforce import (
    ExtractSettings,
    SalesforceAccountSource,
    SalesforceClient,
    SalesforceFieldError,
)
from segmentation_pipeline.io.salesforce import extract as extract_module
from segmentation_pipeline.io.salesforce.related import read_related


@pytest.fixture
def org(salesforce_server):
    rows = [
        {
            "Name": f"Account {i}",
            "ARR__c": 1000.0 * i,
            "Industry": "Software",
            "NumberOfEmployees": i,
        }
        for i in range(7)
    ]
    salesforce_server.ids = salesforce_server.org.insert_many("Account", rows)
    return salesforce_server


def source(settings, **extract) -> SalesforceAccountSource:
    extract.setdefault("derive_signals", False)
    return SalesforceAccountSource(SalesforceClient(settings), ExtractSettings(**extract))


def test_pages_are_followed_through_next_records_url(org, salesforce_settings):
    org.api.page_size = 3
    extract = source(salesforce_settings).read_accounts()
    assert sorted(extract.accounts["Name"]) == [f"Account {i}" for i in range(7)]
    # One query and two query-more pages (3 + 3 + 1 records).
    assert org.api.count("GET", "/query/01g") == 2
    assert org.api.records_served("/query") == 7


def test_values_come_out_as_text_like_an_export(org, salesforce_settings):
    row = source(salesforce_settings).read_accounts().accounts.set_index("Name").loc["Account 2"]
    assert row["ARR__c"] == "2000.0"
    assert row["NumberOfEmployees"] == "2"
    assert row["Segment_Override__c"] == "false"
    assert row["SystemModstamp"].endswith("Z")


def test_a_misspelt_field_fails_naming_it_before_any_query(org, salesforce_settings):
    fields = {"Id": "Id", "Name": "Name", "Industry": "Industy"}
    with pytest.raises(SalesforceFieldError, match="Account has no field 'Industy'.*'Industry'"):
        source(salesforce_settings, account_fields=fields).read_accounts()
    assert org.api.count("GET", "/query") == 0


def test_a_field_missing_from_the_org_fails_naming_it(org, salesforce_settings):
    del org.org.tables["Account"].fields["Growth_Stage__c"]
    with pytest.raises(SalesforceFieldError, match="'Growth_Stage__c'"):
        source(salesforce_settings).read_accounts()


def test_second_run_fetches_only_changed_rows_and_lists_deletions(org, salesforce_settings):
    reader = source(salesforce_settings)
    first = reader.read_accounts()
    assert len(first.accounts) == 7 and first.deleted_ids == []

    org.org.touch("Account", org.ids[1], {"Name": "Renamed"})
    org.org.delete("Account", org.ids[2])
    org.api.clear_log()
    second = reader.read_accounts(first.high_water_mark)
    assert list(second.accounts["Name"]) == ["Renamed"]
    assert second.deleted_ids == [org.ids[2]]
    assert second.high_water_mark > first.high_water_mark
    assert org.api.records_served("/query") == 2  # the changed row and the deleted one

    third = reader.read_accounts(second.high_water_mark)
    assert third.accounts.empty and third.deleted_ids == []
    assert third.high_water_mark == second.high_water_mark


def test_an_incremental_read_names_the_master_of_each_account_a_merge_deleted(
    org, salesforce_settings
):
    reader = source(salesforce_settings)
    first = reader.read_accounts()
    org.org.merge("Account", org.ids[0], [org.ids[3], org.ids[4]])
    org.org.delete("Account", org.ids[5])  # deleted, no merge: no master
    second = reader.read_accounts(first.high_water_mark)
    assert second.deleted_ids == sorted([org.ids[3], org.ids[4], org.ids[5]])
    assert second.merged_into == {org.ids[3]: org.ids[0], org.ids[4]: org.ids[0]}
    assert list(second.accounts["Id"]) == [org.ids[0]]  # the master, saved by the merge
    assert "MasterRecordId" not in second.accounts
    # A full read lists no deleted account, but still the merges in the recycle bin.
    full = reader.read_accounts()
    assert (full.deleted_ids, full.merged_into) == ([], second.merged_into)


def test_large_result_sets_go_through_a_bulk_query_job(org, salesforce_settings):
    rest = source(salesforce_settings).read_accounts()
    bulk = source(salesforce_settings, bulk_query_threshold=5).read_accounts()
    assert bulk.used_bulk and not rest.used_bulk
    assert org.api.count("POST", "/jobs/query") == 1
    assert bulk.accounts.fillna("-").equals(rest.accounts.fillna("-"))


def test_bulk_query_results_follow_the_locator(org, salesforce_settings):
    settings = salesforce_settings.model_copy(update={"bulk_query_page_size": 3})
    extract = source(settings, bulk_query_threshold=1).read_accounts()
    assert len(extract.accounts) == 7
    assert org.api.count("GET", "/results") == 3


def test_related_signals_fill_pipeline_contract_end_and_tickets(org, salesforce_settings):
    a, b = org.ids[0], org.ids[1]
    org.org.insert("Opportunity", {"AccountId": a, "Amount": 5000.0})
    org.org.insert("Opportunity", {"AccountId": a, "Amount": 2500.0})
    org.org.insert("Opportunity", {"AccountId": a, "Amount": 9999.0, "IsClosed": True})
    org.org.insert("Contract", {"AccountId": b, "EndDate": "2027-01-31", "Status": "Activated"})
    org.org.insert("Contract", {"AccountId": b, "EndDate": "2028-06-30", "Status": "Draft"})
    org.org.insert("Case", {"AccountId": b})
    org.org.insert("Case", {"AccountId": b, "IsClosed": True})
    reader = source(salesforce_settings, derive_signals=True)
    accounts = reader.read_accounts().accounts.set_index("Id")
    assert accounts.loc[a, "Expansion_Pipeline__c"] == "7500.0"
    assert accounts.loc[b, "Expansion_Pipeline__c"] == "0.0"
    assert accounts.loc[b, "Contract_End_Date__c"] == "2027-01-31"
    usage = reader.read_usage().set_index("AccountId")
    assert usage.loc[b, "OpenTickets"] == 1


def test_an_account_whose_opportunity_changed_is_read_again(org, salesforce_settings):
    reader = source(salesforce_settings, derive_signals=True)
    first = reader.read_accounts()
    org.org.insert("Opportunity", {"AccountId": org.ids[4], "Amount": 1200.0})
    second = reader.read_accounts(first.high_water_mark, first.related.records)
    assert list(second.accounts["Id"]) == [org.ids[4]]
    assert list(second.accounts["Expansion_Pipeline__c"]) == ["1200.0"]
    # The opportunity's own stamp does not move the mark (only the Account query's
    # stamps and the org's clock at its start do): within the same second it may be read
    # once more, unchanged, never missed.
    third = reader.read_accounts(second.high_water_mark, second.related.records)
    assert set(third.accounts["Id"]) <= {org.ids[4]}
    assert set(third.accounts["Expansion_Pipeline__c"]) <= {"1200.0"}


def test_an_account_saved_while_related_records_are_read_is_read_next_time(
    org, salesforce_settings, monkeypatch
):
    """A slow extraction: an Account is edited after the Account query, then a related
    record changes later still. Neither stamp may carry the mark past the edit."""
    reader = source(salesforce_settings, derive_signals=True)
    first = reader.read_accounts()
    org.org.touch("Account", org.ids[0], {"Name": "Edited Before"})

    def slow_related(*args):
        org.org.touch("Account", org.ids[5], {"Name": "Edited During"})
        org.org.insert("Opportunity", {"AccountId": org.ids[6], "Amount": 10.0})
        return read_related(*args)

    monkeypatch.setattr(extract_module, "read_related", slow_related)
    second = reader.read_accounts(first.high_water_mark, first.related.records)
    assert "Edited During" not in set(second.accounts["Name"])
    edited = pd.Timestamp(org.org.get("Account", org.ids[5])["SystemModstamp"])
    assert second.high_water_mark < edited

    monkeypatch.undo()
    third = reader.read_accounts(second.high_water_mark, second.related.records)
    assert "Edited During" in set(third.accounts["Name"])


def test_a_stamp_far_in_the_future_never_moves_the_mark(org, salesforce_settings):
    reader = source(salesforce_settings)
    org.org.tables["Account"].records[org.ids[3]]["SystemModstamp"] = "9999-12-31T00:00:00.000Z"
    extract = reader.read_accounts()
    assert extract.future_stamps == 1
    assert extract.high_water_mark.year < 9999
    org.org.touch("Account", org.ids[1], {"Name": "Renamed Later"})
    assert "Renamed Later" in set(reader.read_accounts(extract.high_water_mark).accounts["Name"])


def test_owner_names_are_read_from_user_by_owner_id(org, salesforce_settings):
    owner = org.org.insert("User", {"Name": "Dana Scully", "IsActive": True})
    org.org.touch("Account", org.ids[0], {"OwnerId": owner})
    org.org.touch("Account", org.ids[1], {"OwnerId": "005000000000999AAA"})  # user gone
    accounts = source(salesforce_settings).read_accounts().accounts.set_index("Id")
    assert accounts.loc[org.ids[0], "OwnerName"] == "Dana Scully"
    assert pd.isna(accounts.loc[org.ids[1], "OwnerName"])
    assert pd.isna(accounts.loc[org.ids[2], "OwnerName"])  # no owner at all


def test_an_opportunity_of_an_excluded_type_is_not_expansion_pipeline(org, salesforce_settings):
    a = org.ids[0]
    org.org.insert("Opportunity", {"AccountId": a, "Amount": 5000.0, "Type": "Upsell"})
    org.org.insert("Opportunity", {"AccountId": a, "Amount": 7000.0, "Type": "Renewal"})
    org.org.insert("Opportunity", {"AccountId": org.ids[1], "Amount": 7000.0, "Type": None})
    reader = source(
        salesforce_settings, derive_signals=True, expansion_opportunity_types=("Upsell",)
    )
    accounts = reader.read_accounts().accounts.set_index("Id")
    assert accounts.loc[a, "Expansion_Pipeline__c"] == "5000.0"
    assert accounts.loc[org.ids[1], "Expansion_Pipeline__c"] == "0.0"


def test_an_org_without_related_records_gives_signals_keyed_by_text_ids():
    """No Opportunity, Contract or Case at all: the empty signals still key by text, so
    the usage merge on AccountId works (it failed the night with pandas' 'merge on object
    and float64 columns')."""
    signals = extract_module.summarize_signals(
        pd.DataFrame({"AccountId": [], "Amount": []}),
        pd.DataFrame({"AccountId": [], "EndDate": []}),
        pd.DataFrame({"AccountId": []}),
    )
    assert signals.empty and signals["AccountId"].dtype == object
    usage = pd.DataFrame({"AccountId": pd.Series(["001A"], dtype=object)})
    assert usage.merge(signals, on="AccountId", how="outer")["AccountId"].tolist() == ["001A"]
