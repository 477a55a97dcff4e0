import numpy as np
import pandas as pd

from segmentation_pipeline.core.dedup.keys import codes, companies_per_name, match_keys, ranks


def test_codes_give_equal_values_equal_codes_and_null_minus_one():
    values = codes(pd.Series(["b", "a", None, "b"], dtype="str"))
    assert values[0] == values[3] != values[1]
    assert values[2] == -1


def test_ranks_follow_the_sort_order():
    assert ranks(pd.Series(["pear", "apple", None, "fig", "apple"], dtype="str")).tolist() == [
        2,
        0,
        -1,
        1,
        0,
    ]


def test_companies_per_name_counts_distinct_identities_under_a_name():
    name = np.array([0, 0, 0, 1, 1, -1])
    domain = np.array([5, 6, -1, 7, 7, 8])
    country = np.array([1, 1, 1, 2, 3, 4])
    # name 0: two domains, one country; name 1: one domain, two countries
    assert companies_per_name(name, domain, country).tolist() == [2, 2, 2, 2, 2, 1]


def test_a_names_spread_is_the_most_companies_countries_or_cities_seen_under_it(standardize):
    accounts = standardize(
        [
            {"Name": "Naslira", "Website": "naslira.com", "BillingCity": "Chicago",
             "BillingCountry": "US"},
            {"Name": "Naslira Inc", "BillingCountry": "USA"},  # no city: nothing new
            {"Name": "Summit Group", "BillingCity": "Denver", "BillingCountry": "US"},
            {"Name": "Summit Group", "BillingCity": "Boston", "BillingCountry": "US"},
        ]
    )  # fmt: skip
    assert match_keys(accounts).name_spread.tolist() == [1, 1, 2, 2]
