"""Hand-built pairs of each error shape, decided with learned weights as a person would.

Each case is a small base: the pair in question plus, where the case is about a common
name, the other companies that go by it (what makes it common)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.change_set import carried_matching, matching_of
from segmentation_pipeline.core.changes import SOURCE_HASH
from segmentation_pipeline.core.dedup import deduplicate
from segmentation_pipeline.core.dedup.resolve import IN_BAND

SUMMITS = [  # six other companies called Summit Group (namesakes), in several cities
    {"Name": "Summit Group", "Website": f"summitgroup{i}.com", "Phone": f"+1 303 555 01{i:02d}",
     "BillingCity": city, "BillingCountry": "US"}
    for i, city in enumerate(["Denver", "Denver", "Boston", "Austin", "Denver", "Miami"])
] + [  # and twelve companies of names only they hold: Summit Group is the common one
    {"Name": f"{word} Works", "BillingCity": "Boston", "BillingCountry": "US"}
    for word in ("Abrix", "Belvo", "Corvan", "Dellix", "Emvra", "Fornax", "Galvy", "Hestra",
                 "Ilvo", "Jorvik", "Kelby", "Lumo")
]  # fmt: skip


UNIQUE_NAMES = SUMMITS[6:]  # the twelve companies of names only they hold


def clusters(framework, standardize, rows: list[dict]) -> dict[str, str]:
    """account -> survivor, for accounts A and B of the case."""
    rows = [{"Id": row.get("Id", f"N{i}"), **row} for i, row in enumerate(rows)]
    result = deduplicate(standardize(rows), framework)
    survivor = dict(zip(result.audit["account_id"], result.audit["survivor_id"], strict=True))
    return {a: survivor.get(a, a) for a in ("A", "B")}, result


def merged(framework, standardize, a: dict, b: dict, others=()) -> bool:
    found, _ = clusters(framework, standardize, [{"Id": "A", **a}, {"Id": "B", **b}, *others])
    return found["A"] == found["B"]


def test_same_phone_written_two_ways_same_name_and_city_second_domain_merges(
    framework, standardize
):
    a = {"Name": "Quorabel Analytics Inc", "Website": "quorabel.com", "Phone": "(512) 555-0142",
         "BillingCity": "Austin", "BillingCountry": "US"}  # fmt: skip
    b = {"Name": "Quorabel Analytics", "Website": "quorabel-analytics.com",
         "Phone": "+1 512 555 0142", "BillingCity": "AUSTIN", "BillingCountry": "USA"}  # fmt: skip
    assert merged(framework, standardize, a, b)


def test_exact_common_name_in_one_city_phones_differ_one_without_domain_stays_apart(
    framework, standardize
):
    a = {"Name": "Summit Group", "Website": "summitgroup-co.com", "Phone": "+1 303 555 0199",
         "BillingCity": "Denver", "BillingCountry": "US"}  # fmt: skip
    b = {"Name": "Summit Group LLC", "Phone": "+1 303 555 0177", "BillingCity": "Denver",
         "BillingCountry": "US"}  # fmt: skip
    assert not merged(framework, standardize, a, b, SUMMITS)


def test_a_rare_exact_name_in_one_city_merges(framework, standardize):
    a = {"Name": "Zentrix Labs", "Website": "zentrixlabs.com", "BillingCity": "Denver",
         "BillingCountry": "US"}  # fmt: skip
    b = {"Name": "Zentrix Labs Inc", "BillingCity": "Denver", "BillingCountry": "US"}
    assert merged(framework, standardize, a, b, SUMMITS)


def test_a_name_one_company_holds_merges_with_only_its_country_in_common(framework, standardize):
    # The second record lacks city, domain and phone. No other company goes by the name,
    # so the name alone tells. (In a base where every name is held by one company, the
    # term-frequency formula gives no name any bits: each is as common as the average.)
    a = {"Name": "Naslira", "Website": "naslira.com", "BillingCity": "Chicago",
         "BillingCountry": "US"}  # fmt: skip
    b = {"Name": "Naslira", "BillingCountry": "USA"}
    assert merged(framework, standardize, a, b, UNIQUE_NAMES)


def test_the_same_name_in_two_cities_without_domain_or_phone_is_not_one_company_alone(
    framework, standardize
):
    # Two cities under the name: it may be two companies, so the name is no longer
    # held by one, and the name alone does not merge them.
    a = {"Name": "Naslira", "BillingCity": "Chicago", "BillingCountry": "US"}
    b = {"Name": "Naslira", "BillingCity": "Boston", "BillingCountry": "US"}
    assert not merged(framework, standardize, a, b, UNIQUE_NAMES)


def test_numbered_namesakes_with_look_alike_domains_stay_apart(framework, standardize):
    # Thirty funds of one family in one city, each on its own domain and phone. Their
    # names and domains differ by a number only, so nearly every candidate pair looks
    # alike; weighed, EM took that look for a match and folded the family into one.
    funds = [
        {"Id": f"F{i}", "Name": f"Orbis Capital {i}", "Website": f"orbiscapital{i}.com",
         "Phone": f"+1 303 555 {1000 + i}", "BillingCity": "Denver", "BillingCountry": "US"}
        for i in range(1, 31)
    ]  # fmt: skip
    _, result = clusters(framework, standardize, funds)
    assert result.audit.empty


def test_rebrand_new_domain_same_phone_and_office_merges(framework, standardize):
    a = {"Name": "Norvex Freight", "Website": "norvexfreight.com", "Phone": "+44 20 7946 0321",
         "BillingCity": "London", "BillingCountry": "UK"}  # fmt: skip
    b = {"Name": "Norvex Freight Ltd", "Website": "https://www.getnorvex.com",
         "Phone": "020 7946 0321", "BillingCity": "London", "BillingCountry": "GB"}  # fmt: skip
    assert merged(framework, standardize, a, b)


def test_office_move_same_domain_new_city_and_phone_merges(framework, standardize):
    a = {"Name": "Brightwave Media", "Website": "brightwave.io", "Phone": "+1 415 555 0100",
         "BillingCity": "San Francisco", "BillingCountry": "US"}  # fmt: skip
    b = {"Name": "Brightwave Media Inc", "Website": "info@brightwave.io",
         "Phone": "+1 512 555 0188", "BillingCity": "Austin", "BillingCountry": "US"}  # fmt: skip
    assert merged(framework, standardize, a, b)


def test_subsidiary_on_the_parents_switchboard_stays_apart(framework, standardize):
    a = {"Name": "Norvex Holdings", "Website": "norvex.com", "Phone": "+1 312 555 0110",
         "BillingCity": "Chicago", "BillingCountry": "US",
         "Industry": "Financial Services"}  # fmt: skip
    b = {"Name": "Norvex Logistics", "Website": "norvexlogistics.com", "Phone": "+1 312 555 0110",
         "BillingCity": "Chicago", "BillingCountry": "US", "Industry": "Logistics"}  # fmt: skip
    assert not merged(framework, standardize, a, b)


def test_a_dropped_descriptor_on_the_same_switchboard_merges(framework, standardize):
    # "Xomora" is "Xomora Partners" with its descriptor dropped: all of one name's words
    # are in the other's, and the phone, city and industry are the same.
    a = {"Name": "Xomora Partners LLC", "Website": "xomorapartners.com",
         "Phone": "+1 213 555 0142", "BillingCity": "Los Angeles", "BillingCountry": "US",
         "Industry": "Education"}  # fmt: skip
    b = {"Name": "Xomora", "Phone": "(213) 555-0142", "BillingCity": "Los Angeles",
         "BillingCountry": "US", "Industry": "Education"}  # fmt: skip
    assert merged(framework, standardize, a, b)


def test_a_subsidiary_named_after_its_bare_parent_on_its_switchboard_stays_apart(
    framework, standardize
):
    # Nested names and one phone, but two domains and two industries: two companies.
    a = {"Name": "Norvex", "Website": "norvex.com", "Phone": "+1 312 555 0110",
         "BillingCity": "Chicago", "BillingCountry": "US",
         "Industry": "Financial Services"}  # fmt: skip
    b = {"Name": "Norvex Logistics", "Website": "norvexlogistics.com",
         "Phone": "+1 312 555 0110", "BillingCity": "Chicago", "BillingCountry": "US",
         "Industry": "Logistics"}  # fmt: skip
    assert not merged(framework, standardize, a, b)


def test_a_moved_office_joins_its_company_through_its_later_records(framework, standardize):
    # A and C alone: one name, other phones and cities, no domain in common (doubtful).
    # B holds the company's domain and the new office's phone and city: it matches both,
    # and the three are one company.
    a = {"Name": "Caltrix Cloud Inc", "Website": "caltrixcloud.com", "Phone": "+1 216 555 0101",
         "BillingCity": "Cleveland", "BillingCountry": "US", "Industry": "Software"}  # fmt: skip
    b = {"Name": "Caltrix Cloud", "Website": "www.caltrixcloud.com", "Phone": "+1 713 555 0199",
         "BillingCity": "Houston", "BillingCountry": "US", "Industry": "Software"}  # fmt: skip
    c = {"Id": "C", "Name": "Caltrix Cloud", "Phone": "(713) 555-0199",
         "BillingCity": "Houston", "BillingCountry": "US", "Industry": "Software"}  # fmt: skip
    rows = [{"Id": "A", **a}, {"Id": "B", **b}, c]
    result = deduplicate(standardize(rows), framework)
    survivor = dict(zip(result.audit["account_id"], result.audit["survivor_id"], strict=True))
    assert len({survivor.get(x, x) for x in ("A", "B", "C")}) == 1


def test_namesakes_in_two_countries_stay_apart(framework, standardize):
    a = {"Name": "Zentrix GmbH", "Website": "zentrix.de", "BillingCity": "Berlin",
         "BillingCountry": "DE"}  # fmt: skip
    b = {"Name": "Zentrix Inc", "Website": "zentrix.com", "BillingCity": "Austin",
         "BillingCountry": "US"}  # fmt: skip
    assert not merged(framework, standardize, a, b)


def test_a_doubtful_pair_goes_to_review_neither_merged_nor_ignored(framework, standardize):
    # A typo'd name in one country and nothing else in common: worth a person's look.
    a = {"Name": "Quorabel Analytics", "BillingCountry": "FR"}
    b = {"Name": "Quorabel Analytcs", "BillingCountry": "France"}
    found, result = clusters(framework, standardize, [{"Id": "A", **a}, {"Id": "B", **b}])
    assert found == {"A": "A", "B": "B"}
    review = result.review.set_index(["account_id", "other_account_id"])
    pair = review.loc[("A", "B")]
    assert pair["reason"] == IN_BAND
    review_cut = framework.dedup.fellegi_sunter.review_probability
    assert (
        review_cut <= pair["match_probability"] < framework.dedup.fellegi_sunter.merge_probability
    )
    assert "name" in pair["evidence"] and "country exact" in pair["evidence"]


def test_a_night_with_no_match_edits_carries_the_learned_clusters_over(framework, standardize):
    """The learned weights depend only on the match inputs: carried over, the finding
    (clusters, review band, weights) gives the same survivors, audit and review."""
    rows = [{"Id": f"S{i}", **row} for i, row in enumerate(SUMMITS)] + [
        {"Id": "A", "Name": "Zentrix Labs", "Website": "zentrixlabs.com", "ARR__c": "100"},
        {"Id": "B", "Name": "Zentrix Labs Inc", "Website": "www.zentrixlabs.com"},
    ]
    frame = standardize(rows)
    frame[SOURCE_HASH] = np.arange(1, len(frame) + 1, dtype=np.uint64)
    first = deduplicate(frame, framework)
    edited = frame.copy()
    edited.loc[edited["account_id"] == "B", ["arr", SOURCE_HASH]] = [50.0, np.uint64(999)]
    kept, _ = carried_matching(matching_of(first.finding, frame), edited)
    assert kept is not None and kept.finding is first.finding
    carried = deduplicate(edited, framework, kept.finding)
    afresh = deduplicate(edited, framework)
    assert carried.audit.equals(afresh.audit) and carried.review.equals(afresh.review)
    assert carried.weights.equals(afresh.weights)
    assert carried.survivors.set_index("account_id").loc["A", "arr"] == 150.0


NAMES = st.sampled_from(["Summit Group", "Summit Group LLC", "Sumit Group", "Zentrix", None])
SITES = st.sampled_from(["summitgroup.com", "summitgroup.de", "zentrix.io", None])
PHONES = st.sampled_from(["+1 303 555 0100", "(303) 555-0100", "+1 303 555 0199", None])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(NAMES, SITES, PHONES), min_size=1, max_size=20))
def test_learned_matching_accounts_for_every_account_once(framework, standardize, rows):
    accounts = standardize(
        [{"Id": f"R{i}", "Name": n, "Website": w, "Phone": p, "BillingCountry": "US"}
         for i, (n, w, p) in enumerate(rows)]
    )  # fmt: skip
    result = deduplicate(accounts, framework)
    survivors, folded = result.survivors["account_id"], result.audit["account_id"]
    assert sorted([*survivors, *folded]) == sorted(accounts["account_id"])
    assert result.audit["match_probability"].ge(0.9).all()
    band = result.review[result.review["reason"] == IN_BAND]["match_probability"]
    assert band.between(0.5, 0.9, inclusive="left").all()
