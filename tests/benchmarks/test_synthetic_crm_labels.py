"""`benchmarks/synthetic_crm.py` labels its export for `benchmarks/dedup.py --generator
crm`: a re-entered duplicate belongs to the company of the account it copies."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from synthetic_crm import generate_crm, generate_labelled_crm  # noqa: E402


def test_a_duplicate_is_labelled_with_the_company_it_copies():
    crm, truth = generate_labelled_crm(500, seed=3)
    assert truth["Id"].tolist() == crm.accounts["Id"].tolist()
    names = crm.accounts.set_index("Id")["Name"].str.casefold().str.rstrip(".")
    originals = truth[truth["Id"].str.startswith("001A")]
    copies = truth[truth["Id"].str.startswith("001D")]
    assert (originals["entity_id"] == originals["Id"]).all()
    assert len(copies) == 30  # 6% of 500
    assert set(copies["entity_id"]) <= set(originals["Id"])
    assert names[copies["Id"]].tolist() == names[copies["entity_id"]].tolist()


def test_the_unlabelled_export_is_the_same():
    assert generate_crm(300, seed=5).accounts.equals(generate_labelled_crm(300, seed=5)[0].accounts)
