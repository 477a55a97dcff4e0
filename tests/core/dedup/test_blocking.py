import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.dedup.blocking import candidate_pairs, neighbours
from segmentation_pipeline.core.dedup.keys import match_keys


def as_set(left, right):
    return set(zip(left.tolist(), right.tolist(), strict=True))


def test_neighbours_within_a_window():
    order = np.array([3, 1, 4, 0])
    assert as_set(*neighbours(order, 2)) == {(3, 1), (1, 4), (4, 0), (3, 4), (1, 0)}


def test_neighbours_stay_inside_their_block():
    order = np.array([0, 1, 2, 3])
    block = np.array([7, 7, 8, 8])
    assert as_set(*neighbours(order, 3, block)) == {(0, 1), (2, 3)}


def test_shared_domain_phone_and_typos_become_candidates(standardize):
    accounts = standardize(
        [
            {"Name": "Zentrix Logistics", "Website": "zentrix.com"},
            {"Name": "Completely Other Name", "Website": "https://www.zentrix.com/about"},
            {"Name": "Quorabel", "Phone": "+1 650 253 0000"},
            {"Name": "Q. Holdings", "Phone": "(650) 253-0000", "BillingCountry": "US"},
            {"Name": "Akme Logistic Partners", "BillingCity": "Boston"},
            {"Name": "Acme Logistic Partners", "BillingCity": "Boston"},
        ]
    )
    left, right = candidate_pairs(match_keys(accounts), window=1, block_size=5)
    pairs = as_set(left, right)
    assert {(0, 1), (2, 3), (4, 5)} <= pairs
    assert all(a < b for a, b in pairs)


def test_a_duplicate_without_its_country_meets_its_typo_twin_in_their_city(standardize):
    # "Adme" sits between the twins in both name orders, so a window of one over all
    # accounts misses them; in Boston they are neighbours, though one lacks its country.
    accounts = standardize(
        [
            {"Name": "Acme Logistic Partners", "BillingCity": "Boston", "BillingCountry": "US"},
            {"Name": "Akme Logistic Partners", "BillingCity": "Boston"},
            {"Name": "Adme Logistic Partners", "BillingCity": "Chicago", "BillingCountry": "US"},
            {"Name": "Zulu Corp", "BillingCity": "Zurich"},
        ]
    )
    left, right = candidate_pairs(match_keys(accounts), window=1, block_size=5)
    assert (0, 1) in as_set(left, right)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["Acme", "Akme", "Zed", "Zedd", "Bolt", None]), max_size=60))
def test_pairs_grow_linearly(names):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "name_key": pd.Series(names, dtype="str"),
            "domain": pd.Series(["a.com"] * len(names), dtype="str"),
            **{c: pd.Series([None] * len(names), dtype="str")
               for c in ("phone_e164", "country_code", "city", "industry", "industry_status")},
        }
    )  # fmt: skip
    left, right = candidate_pairs(match_keys(frame), window=2, block_size=4)
    assert len(left) <= len(names) * (3 * 4 + 4 * 2)
    assert len(set(zip(left.tolist(), right.tolist(), strict=True))) == len(left)
