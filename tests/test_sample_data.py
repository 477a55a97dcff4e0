"""The bundled sample is the generator's deterministic output, and it is messy on purpose."""

import pandas as pd

from segmentation_pipeline.defs.resources import SAMPLE_CRM_FOLDER
from segmentation_pipeline.sample_data import generate_sample_crm


def test_same_seed_same_data_and_the_bundled_files_match_it():
    first, second = generate_sample_crm(), generate_sample_crm()
    pd.testing.assert_frame_equal(first.accounts, second.accounts)
    bundled = pd.read_csv(f"{SAMPLE_CRM_FOLDER}/accounts.csv", dtype=str, keep_default_na=False)
    assert bundled["Id"].tolist() == first.accounts["Id"].tolist()
    assert bundled["Name"].tolist() == first.accounts["Name"].tolist()


def test_sample_is_messy_like_a_real_export():
    accounts = generate_sample_crm().accounts
    assert accounts["Industry"].eq("").mean() > 0.1  # blanks
    assert accounts["Industry"].nunique() > 30  # free text, many spellings
    assert {"USA", "United States", "U.S."} <= set(accounts["BillingCountry"])
    assert accounts["NumberOfEmployees"].str.contains(",|\\+|-|n/a").any()
    assert accounts["Website"].str.contains("https?://|WWW", regex=True).any()
