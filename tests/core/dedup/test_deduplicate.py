import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.changes import SOURCE_HASH
from segmentation_pipeline.core.dedup import AUDIT_COLUMNS, deduplicate
from segmentation_pipeline.core.schema import STANDARD_ACCOUNT_COLUMNS

ROWS = [
    # Zentrix: three records, one a typo without website, one with only a phone in common
    {"Id": "A1", "Name": "Zentrix Inc", "Website": "zentrix.com", "Phone": "(650) 253-0000",
     "BillingCountry": "US", "BillingCity": "Austin", "CreatedDate": "2019-05-01",
     "ARR__c": "20000"},
    {"Id": "A2", "Name": "ZENTRIX, INC.", "Website": "https://www.zentrix.com/about",
     "BillingCountry": "USA", "CreatedDate": "2021-05-01", "ARR__c": "10000",
     "Industry": "SaaS"},
    {"Id": "A3", "Name": "Zentrx Incorporated", "Phone": "+1 650-253-0000",
     "BillingCountry": "United States", "BillingCity": "AUSTIN", "CreatedDate": "2022-01-01"},
    # Summit Logistics: two companies of one name in two countries, no merge
    {"Id": "B1", "Name": "Summit Logistics Ltd", "Website": "summitlogistics.co.uk",
     "BillingCountry": "UK", "BillingCity": "Leeds"},
    {"Id": "B2", "Name": "Summit Logistics LLC", "Website": "summitlogistics.com",
     "BillingCountry": "US", "BillingCity": "Denver"},
    # Quorabel: a duplicate by name and place
    {"Id": "C1", "Name": "Quorabel GmbH", "BillingCountry": "DE", "BillingCity": "München"},
    {"Id": "C2", "Name": "Quorabel", "BillingCountry": "Deutschland", "BillingCity": "Munchen"},
    # a lone account
    {"Id": "D1", "Name": "Brightwave Media", "Website": "brightwave.io"},
]  # fmt: skip


@pytest.fixture
def result(framework, standardize):
    return deduplicate(standardize(ROWS), framework)


def test_duplicates_fold_into_survivors(result):
    clusters = result.audit.groupby("survivor_id")["account_id"].apply(set).to_dict()
    assert clusters == {"A1": {"A2", "A3"}, "C1": {"C2"}}
    assert result.survivors["account_id"].tolist() == ["A1", "B1", "B2", "C1", "D1"]
    assert result.survivors["duplicate_count"].tolist() == [2, 0, 0, 1, 0]


def test_survivors_keep_the_standard_columns(result):
    assert list(result.survivors.columns) == [*STANDARD_ACCOUNT_COLUMNS, "duplicate_count"]
    zentrix = result.survivors.iloc[0]
    assert zentrix["arr"] == 30000.0 and zentrix["arr_tier"] == "Mid-Market"
    assert zentrix["industry"] == "Software"  # filled from A2


def test_every_account_is_a_survivor_or_in_the_audit(result):
    accounts = {row["Id"] for row in ROWS}
    survivors = set(result.survivors["account_id"])
    folded = set(result.audit["account_id"])
    assert survivors | folded == accounts
    assert not survivors & folded


def test_audit_explains_each_fold(result):
    assert set(AUDIT_COLUMNS) <= set(result.audit.columns)
    a2 = result.audit.set_index("account_id").loc["A2"]
    assert a2["matched_to"] == "A1"
    assert a2["domain_evidence"] == "agree"
    assert a2["rule"].startswith("domain+name=100")
    assert a2["fields_filled"] == "industry"
    assert a2["arr_added"] == 10000.0
    a3 = result.audit.set_index("account_id").loc["A3"]
    assert a3["rule"].startswith("phone+name~")
    assert a3["match_score"] >= 5


def test_duplicate_rates(result):
    assert result.duplicate_rate_before == pytest.approx(3 / 8)
    assert result.duplicate_rate_after == 0.0


def test_matches_the_guard_kept_apart_are_left_for_review(framework, standardize):
    accounts = standardize(
        [
            {"Id": "X1", "Name": "Quorabel", "Website": "quorabel.com", "BillingCity": "Lyon"},
            {"Id": "X2", "Name": "Quorabel", "BillingCity": "Lyon"},
            {"Id": "X3", "Name": "Quorabel", "Website": "quorabel-lyon.fr", "BillingCity": "Lyon"},
        ]
    )
    # The points' guard: two domains are never one company, whatever the names say.
    lenient = framework.dedup.model_copy(update={"engine": "points", "shared_name_penalty": 0.0})
    result = deduplicate(accounts, framework.model_copy(update={"dedup": lenient}))
    assert len(result.survivors) == 2
    assert len(result.review) == 1
    assert result.duplicate_rate_after == pytest.approx(1 / 2)


def test_empty_input(framework, standardize):
    result = deduplicate(standardize([{"Id": "Z", "Name": "Solo"}]).iloc[:0], framework)
    assert result.survivors.empty and result.audit.empty
    assert result.duplicate_rate_before == result.duplicate_rate_after == 0.0


NAMES = st.sampled_from(["Zentrix", "Zentrix Inc", "Zentrx", "Quorabel", "Summit", None])
SITES = st.sampled_from(["zentrix.com", "zentrix.de", "quorabel.io", None])
PLACES = st.sampled_from(["US", "DE", None])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(NAMES, SITES, PLACES), min_size=1, max_size=25))
def test_every_account_is_accounted_for_exactly_once(framework, standardize, rows):
    accounts = standardize(
        [{"Id": f"R{i}", "Name": n, "Website": w, "BillingCountry": c}
         for i, (n, w, c) in enumerate(rows)]
    )  # fmt: skip
    result = deduplicate(accounts, framework)
    survivors = result.survivors["account_id"].tolist()
    folded = result.audit["account_id"].tolist()
    assert sorted(survivors + folded) == sorted(accounts["account_id"])
    assert set(result.audit["survivor_id"]) <= set(survivors)
    assert result.survivors["duplicate_count"].sum() == len(folded)
    assert 0.0 <= result.duplicate_rate_after <= 1.0


def test_a_survivor_is_known_by_the_crm_records_it_was_made_of(framework, standardize):
    """With the hash of each CRM record beside its row, a survivor's hash covers its
    whole cluster: editing a folded duplicate changes its survivor's hash, no other."""
    frame = standardize(ROWS)
    frame[SOURCE_HASH] = np.arange(1, len(frame) + 1, dtype=np.uint64)
    before = deduplicate(frame, framework).survivors.set_index("account_id")[SOURCE_HASH]
    frame.loc[frame["account_id"] == "A3", SOURCE_HASH] = np.uint64(99)  # a folded duplicate
    after = deduplicate(frame, framework).survivors.set_index("account_id")[SOURCE_HASH]
    assert after["A1"] != before["A1"]
    assert after.drop("A1").equals(before.drop("A1"))
