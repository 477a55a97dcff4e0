"""The recall ceiling counts only what a person could join: a shared identifier, or a
similar name that is rare or in the same city, chained through the entity's records."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from dedup_ceiling import ceiling  # noqa: E402


def test_a_rebrand_seen_only_by_its_city_is_out_of_reach_while_a_shared_phone_chains():
    accounts = pd.DataFrame(
        [
            # entity 1: A and B share a phone, B and C a domain, so A and C chain; D is
            # a rebrand under yet another name, with no phone and no domain.
            {"Id": "001A", "Name": "Bluewater Associates", "Phone": "+1 303 555 0101",
             "BillingCity": "Denver", "BillingCountry": "US"},
            {"Id": "001B", "Name": "Bluewater Assoc.", "Phone": "(303) 555-0101",
             "Website": "bluewater.com", "BillingCity": "Denver", "BillingCountry": "US"},
            {"Id": "001C", "Name": "Qupraa Group", "Website": "https://www.bluewater.com",
             "BillingCity": "Denver", "BillingCountry": "US"},
            {"Id": "001D", "Name": "Helix Partners", "BillingCity": "Denver",
             "BillingCountry": "US"},
            # entity 2: one record, no pairs.
            {"Id": "001E", "Name": "Norvex Logistics", "BillingCity": "Denver",
             "BillingCountry": "US"},
        ]
    )  # fmt: skip
    truth = pd.DataFrame({"Id": ["001A", "001B", "001C", "001D", "001E"],
                          "entity_id": [1, 1, 1, 1, 2]})  # fmt: skip

    result = ceiling(accounts, truth)

    # Six true pairs; A-B-C chain (3 pairs); D shares only the city: out of reach.
    assert result["true_pairs"] == 6
    assert result["strict_recall_ceiling"] == 0.5


def test_a_common_name_in_another_city_without_identifiers_is_out_of_reach_a_rare_one_not():
    accounts = pd.DataFrame(
        [
            {"Id": "001N0", "Name": "Norvex Logistics", "BillingCity": "Boise",
             "BillingCountry": "US"},
            {"Id": "001N1", "Name": "Norvex Logistcs", "BillingCity": "Omaha",
             "BillingCountry": "US"},
        ]
        + [
            {"Id": f"001S{i}", "Name": "Summit Group", "BillingCity": city,
             "BillingCountry": "US", "Phone": phone}
            for i, (city, phone) in enumerate(
                [("Denver", ""), ("Boise", ""), ("Denver", "+1 303 555 0199"),
                 ("Omaha", "+1 402 555 0142")]
            )
        ]
    )  # fmt: skip
    # S0 and S1 are one company seen in two cities with no phone or domain; S2 and S3 are
    # two other Summit Groups, whose phones make the name one held by several companies.
    # The two Norvex records are one company under a rare name, typo and all.
    truth = pd.DataFrame({"Id": ["001N0", "001N1", "001S0", "001S1", "001S2", "001S3"],
                          "entity_id": [4, 4, 1, 1, 2, 3]})  # fmt: skip

    result = ceiling(accounts, truth)

    assert result["true_pairs"] == 2
    assert result["strict_recall_ceiling"] == 0.5
    assert result["loose_recall_ceiling"] == 1.0
