"""The merge_candidates report: one row per cluster, weakest link first."""

import pandas as pd

from segmentation_pipeline.core.merge_candidates import merge_candidates


def test_clusters_list_members_weakest_probability_and_evidence():
    audit = pd.DataFrame(
        {
            "account_id": ["D2", "D1", "E1"],
            "survivor_id": ["S1", "S1", "S2"],
            "match_probability": [0.97, 0.88, 0.99],
            "evidence": ["domain", "name; phone", "domain"],
        }
    )
    accounts = pd.DataFrame({"account_id": ["S1", "S2"], "name": ["Acme", "Globex"]})
    report = merge_candidates(audit, accounts)
    assert report.to_dict("records") == [
        {
            "survivor_id": "S1",
            "survivor_name": "Acme",
            "members": "D1, D2",
            "member_count": 2,
            "min_match_probability": 0.88,
            "evidence": "name; phone; domain",
        },
        {
            "survivor_id": "S2",
            "survivor_name": "Globex",
            "members": "E1",
            "member_count": 1,
            "min_match_probability": 0.99,
            "evidence": "domain",
        },
    ]


def test_no_folded_records_no_candidates():
    empty = pd.DataFrame(columns=["account_id", "survivor_id", "match_probability", "evidence"])
    assert merge_candidates(empty).empty


def test_an_audit_of_survivors_only_has_no_candidates_and_an_unknown_probability_is_nan():
    alone = pd.DataFrame(
        {"account_id": ["S1", "S2"], "survivor_id": ["S1", "S2"], "match_probability": [None] * 2}
    )
    assert merge_candidates(alone).empty
    unknown = pd.DataFrame(
        {"account_id": ["S1", "D1", "D2"], "survivor_id": ["S1", "S1", "S1"],
         "match_probability": [None, None, 0.9]}
    )  # fmt: skip
    [row] = merge_candidates(unknown).to_dict("records")
    assert (row["members"], row["min_match_probability"]) == ("D1, D2", 0.9)
    assert pd.isna(merge_candidates(unknown.iloc[:2])["min_match_probability"].iloc[0])
