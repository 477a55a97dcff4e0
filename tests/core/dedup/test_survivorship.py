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
