import numpy as np
import pandas as pd
import pytest

from segmentation_pipeline.core.dedup.survivorship import merge_clusters, survivorship_order


@pytest.fixture
def cluster(standardize):
    """Three records of one company: the first oldest, the second most complete and last
    modified, the third with the highest ARR."""
    return standardize(
        [
            {"Name": "Zentrix", "CreatedDate": "2019-01-01", "ARR__c": "1000",
             "SystemModstamp": "2020-01-01"},
            {"Name": "Zentrix Inc", "CreatedDate": "2021-01-01", "ARR__c": "2000",
             "Website": "zentrix.com", "Industry": "SaaS", "BillingCountry": "US",
             "BillingCity": "Austin", "NumberOfEmployees": "1,200", "SystemModstamp": "2024-01-01"},
            {"Name": "ZENTRIX", "CreatedDate": "2020-01-01", "ARR__c": "30000",
             "Phone": "+1 650 253 0000", "BillingCountry": "DE"},
        ]
    )  # fmt: skip


def first_of(accounts, framework, rules, **extra):
    config = framework.dedup.model_copy(update={"survivorship": rules, **extra})
    return int(survivorship_order(accounts, np.zeros(len(accounts), int), config)[0])


def test_survivorship_rules_in_order(cluster, framework):
    assert first_of(cluster, framework, ["most_complete"]) == 1
    assert first_of(cluster, framework, ["oldest"]) == 0
    assert first_of(cluster, framework, ["highest_arr"]) == 2
    assert first_of(cluster, framework, ["newest"]) == 1


def test_crm_designated_master_wins(cluster, framework):
    marked = cluster.assign(is_master=[False, False, True])
    assert first_of(marked, framework, ["crm_master", "most_complete"]) == 2
    assert first_of(cluster, framework, ["crm_master", "most_complete"]) == 1


def test_survivor_blanks_filled_by_field_group_and_arr_summed(cluster, framework):
    config = framework.dedup.model_copy(update={"survivorship": ["oldest"]})
    merge = merge_clusters(cluster, np.zeros(3, int), config, framework.arr_tiers)
    survivor = merge.survivors.iloc[0]
    assert merge.survivor_of.tolist() == [0, 0, 0]
    assert survivor["name"] == "Zentrix"
    # the domain comes with its website, the employee count with its raw text and band
    assert (survivor["domain"], survivor["website"]) == ("zentrix.com", "zentrix.com")
    assert (survivor["employees"], survivor["employees_raw"]) == (1200.0, "1,200")
    assert survivor["company_size_band"] == "Enterprise"
    assert survivor["industry"] == "Software"
    # country and city filled from the best-ranked account holding them (2020 before 2021)
    assert (survivor["country_code"], survivor["region"]) == ("DE", "EMEA")
    assert survivor["phone_e164"] == "+16502530000"
    assert survivor["arr"] == 33000.0 and survivor["arr_tier"] == "Mid-Market"
    assert sorted(merge.filled_from) == sorted(
        ["domain", "industry", "employees", "country_code", "city", "phone_e164"]
    )
    assert merge.filled_from["domain"].tolist() == [1]


def test_arr_kept_as_is_when_not_summed(cluster, framework):
    config = framework.dedup.model_copy(update={"survivorship": ["oldest"], "sum_fields": []})
    merge = merge_clusters(cluster, np.zeros(3, int), config, framework.arr_tiers)
    assert merge.survivors.iloc[0]["arr"] == 1000.0
    assert merge.survivors.iloc[0]["arr_tier"] == "SMB"


def test_singletons_survive_unchanged(cluster, framework):
    merge = merge_clusters(cluster, np.arange(3), framework.dedup, framework.arr_tiers)
    pd.testing.assert_frame_equal(
        merge.survivors.reset_index(drop=True), cluster.reset_index(drop=True)
    )


def merged_oldest_first(standardize, framework, arrs, labels):
    """The merge of records of Zentrix created a year apart (oldest first), by ARR."""
    accounts = standardize(
        [
            {"Name": f"Zentrix {i}", "CreatedDate": f"{2019 + i}-01-01", "ARR__c": arr}
            for i, arr in enumerate(arrs)
        ]
    )
    config = framework.dedup.model_copy(update={"survivorship": ["oldest"]})
    return merge_clusters(accounts, np.array(labels), config, framework.arr_tiers)


def test_a_survivors_unreadable_arr_leaves_the_cluster_without_arr_and_with_the_reason(
    standardize, framework
):
    # The survivor's ARR "1,2e5" cannot be read: the cluster's total is unknown, not the
    # duplicate's 2000 alone.
    merge = merged_oldest_first(standardize, framework, ["1,2e5", "2000"], [0, 0])
    row = merge.survivors.iloc[0]
    assert np.isnan(row["arr"]) and pd.isna(row["arr_tier"])
    assert (row["arr_reason"], row["arr_raw"]) == ("unparseable", "1,2e5")
    # the duplicate's 2000 filled nothing that stayed: the audit does not say it did
    assert merge.filled_from["arr"].tolist() == []


def test_a_duplicates_unreadable_arr_is_named_as_the_duplicates(standardize, framework):
    merge = merged_oldest_first(standardize, framework, ["2000", "∞", "500"], [0, 0, 0])
    row = merge.survivors.iloc[0]
    assert np.isnan(row["arr"])
    assert (row["arr_reason"], row["arr_raw"]) == ("duplicate_unparseable", "∞")


def test_a_blank_arr_is_no_reason_to_distrust_the_sum(standardize, framework):
    survivors = merged_oldest_first(standardize, framework, ["", "2000", "∞"], [0, 0, 2]).survivors
    together, alone = survivors.iloc[0], survivors.iloc[1]
    assert together["arr"] == 2000.0 and pd.isna(together["arr_reason"])
    # a single account keeps its own reason as before
    assert np.isnan(alone["arr"]) and alone["arr_reason"] == "unparseable"


def test_open_pipeline_summed_and_the_latest_contract_end_kept(standardize, framework):
    accounts = standardize(
        [
            {"Name": "Zentrix", "CreatedDate": "2019-01-01", "ARR__c": "1000",
             "Expansion_Pipeline__c": "300", "Contract_End_Date__c": "2025-01-31"},
            {"Name": "Zentrix Inc", "CreatedDate": "2021-01-01", "ARR__c": "2000",
             "Expansion_Pipeline__c": "-50", "Contract_End_Date__c": "2028-06-30"},
            {"Name": "Zentrix Ltd", "CreatedDate": "2022-01-01", "ARR__c": "500",
             "Contract_End_Date__c": "2026-03-01"},
        ]
    )  # fmt: skip
    config = framework.dedup.model_copy(update={"survivorship": ["oldest"]})
    merge = merge_clusters(accounts, np.zeros(3, int), config, framework.arr_tiers)
    row = merge.survivors.iloc[0]
    assert row["arr"] == 3500.0 and row["expansion_pipeline"] == 250.0
    assert pd.Timestamp(row["contract_end_date"]).date().isoformat() == "2028-06-30"
    assert merge.filled_from["contract_end_date"].tolist() == [1]
    kept = merge_clusters(
        accounts,
        np.zeros(3, int),
        config.model_copy(update={"latest_fields": [], "sum_fields": ["arr"]}),
        framework.arr_tiers,
    ).survivors.iloc[0]
    assert pd.Timestamp(kept["contract_end_date"]).date().isoformat() == "2025-01-31"
    assert kept["expansion_pipeline"] == 300.0
