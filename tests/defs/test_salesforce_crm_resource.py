"""The Salesforce CRM resource keeps its related records with the extract's commit: a night
that read them but never committed (a crash) leaves last night's records in force."""

from segmentation_pipeline.defs.salesforce import SalesforceCrmResource, SalesforceResource
from segmentation_pipeline.io.crm import CrmState
from segmentation_pipeline.io.salesforce.related import STATE_NAME
from segmentation_pipeline.io.state_store import StateStore


def test_a_night_never_committed_leaves_last_nights_related_records_in_force(
    salesforce_server, tmp_path
):
    org = salesforce_server.org
    ids = org.insert_many("Account", [{"Name": f"Account {i}"} for i in range(3)])
    opp = org.insert("Opportunity", {"AccountId": ids[0], "Amount": 100.0, "Type": "Upsell"})
    org.insert("Case", {"AccountId": ids[2]})
    login = salesforce_server.password_login() | {"backoff_seconds": 0.01}
    crm = SalesforceCrmResource(salesforce=SalesforceResource(**login))
    store = StateStore(str(tmp_path / "state"))

    first = crm.read_accounts(None, CrmState(store, None))
    assert first.notes["related_objects_read"] == "full"
    org.touch("Opportunity", opp, {"Amount": 900.0})
    crashed = crm.read_accounts(first.high_water_mark, CrmState(store, first.kept))
    assert crashed.kept != first.kept  # written, never committed

    again = crm.read_accounts(first.high_water_mark, CrmState(store, first.kept))
    assert again.notes["related_objects_read"] == "incremental"
    pipeline = again.accounts.set_index("Id")["Expansion_Pipeline__c"]
    assert pipeline.to_dict() == {ids[0]: "900.0"}
    # Only last night's files and tonight's remain: the crashed night's are gone.
    files = {p.name for p in (tmp_path / "state" / STATE_NAME).iterdir()}
    assert files == {*first.kept["files"].values(), *again.kept["files"].values()}

    # product_usage counts open cases from the kept records, without asking again.
    salesforce_server.api.clear_log()
    usage = crm.read_usage(CrmState(store, again.kept)).set_index("AccountId")
    assert usage["OpenTickets"].to_dict() == {ids[0]: "0", ids[2]: "1"}
    assert salesforce_server.api.count(path_contains="/query") == 0


def test_an_empty_usage_feed_is_named_by_where_it_was_read(tmp_path):
    """Without SEGMENTATION_USAGE_FOLDER the usage is Salesforce's open cases alone: an
    empty feed says so, not 'SalesforceCrmResource product_usage.csv'."""
    crm = SalesforceCrmResource(salesforce=SalesforceResource())
    assert "SEGMENTATION_USAGE_FOLDER is not set" in crm.usage_source()
    folder = SalesforceCrmResource(salesforce=SalesforceResource(), usage_folder=str(tmp_path))
    assert folder.usage_source() == str(tmp_path / "product_usage.csv")
