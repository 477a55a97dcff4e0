"""Random messy exports in, every record out: rows read = segmented + provisional +
overridden + unsegmented with a reason + merged + rejected.

Each example is written as an accounts.csv and goes through the steps the nightly job
runs, in its order: FileCrm reads it, the records are screened, folded into a snapshot,
standardized, deduplicated, scored and assigned. (Enrichment, one row in and one row out
for every account, is left out to keep the examples fast.)
"""

import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.accounting import account_records
from segmentation_pipeline.core.assignment import assign_segments
from segmentation_pipeline.core.changes import merge_extract
from segmentation_pipeline.core.dedup import deduplicate
from segmentation_pipeline.core.input_contract import ACCOUNTS_INPUT
from segmentation_pipeline.core.products import standardize_usage
from segmentation_pipeline.core.rejections import screen_records
from segmentation_pipeline.core.schema import RAW_USAGE_COLUMNS
from segmentation_pipeline.core.scoring import score_accounts
from segmentation_pipeline.core.standardize import standardize_accounts
from segmentation_pipeline.framework import load_framework
from segmentation_pipeline.io.crm import CrmInputMissing, FileCrm

FRAMEWORK = load_framework()
AS_OF = datetime(2026, 11, 15)  # as the job passes it (defs/partitions.py)
LATEST_BELIEVABLE = pd.Timestamp("2026-12-01T00:00:00Z")

IDS = st.sampled_from(["001A", "001B", "001C", "001D", "001E", "", " "])
DATES = st.sampled_from(
    [
        "",
        "2024-01-15T00:00:00.000+0000",
        "2026-10-31T23:59:59Z",
        "15/01/2024",
        "9999-12-31T00:00:00.000+0000",
        "0001-01-01",
        "2030-02-30",
        "not a date",
        "2027-06-01",
    ]
)
NUMBERS = st.sampled_from(["", "0", "-5", "1,200", "$27,003", "1e400", "abc", "∞", "500000"])
NAMES = st.sampled_from(["Acme Inc", "ACME, Inc.", "Globex", "", "Initech GmbH", "=cmd"])
WORDS = st.sampled_from(["", "SaaS", "Healthcare", "Widgets", "United States", "DE", "n/a"])
FLAGS = st.sampled_from(["", "true", "false", "yes", "maybe"])
TIERS = st.sampled_from(["", "Tier 1", "Tier 3", "Platinum"])


@st.composite
def account_rows(draw) -> dict:
    return {
        "Id": draw(IDS),
        "Name": draw(NAMES),
        "Website": draw(st.sampled_from(["", "acme.com", "https://www.acme.com", "globex.io"])),
        "Industry": draw(WORDS),
        "NumberOfEmployees": draw(NUMBERS),
        "BillingCountry": draw(WORDS),
        "CreatedDate": draw(DATES),
        "SystemModstamp": draw(DATES),
        "ARR__c": draw(NUMBERS),
        "Contract_Term__c": draw(st.sampled_from(["", "multi-year", "Annual", "??"])),
        "Contract_End_Date__c": draw(DATES),
        "Expansion_Pipeline__c": draw(NUMBERS),
        "Strategic_Importance__c": draw(st.sampled_from(["", "Industry influencer", "x"])),
        "Growth_Stage__c": draw(st.sampled_from(["", "Growth", "Mature", "?"])),
        "Segment_Override__c": draw(FLAGS),
        "Customer_Tier__c": draw(TIERS),
    }


def night_ledger(folder: Path):
    """The job's steps on one export folder, down to the ledger of the month."""
    extract = FileCrm(folder).read_accounts()
    screening = screen_records(
        extract.accounts, latest_believable=LATEST_BELIEVABLE, source_file=extract.source
    )
    for reason in screening.rejected["reason"].unique():
        event(f"rejected: {reason}")
    snapshot, _ = merge_extract(None, screening.accepted, key="Id", full_refresh=True)
    standardized = standardize_accounts(snapshot, FRAMEWORK)
    dedup = deduplicate(standardized, FRAMEWORK)
    usage = standardize_usage(pd.DataFrame(columns=list(RAW_USAGE_COLUMNS)))
    scores = score_accounts(dedup.survivors, usage, FRAMEWORK, AS_OF)
    assigned = assign_segments(dedup.survivors, scores, FRAMEWORK, None, AS_OF)
    event(f"merged duplicates: {min(len(dedup.audit), 1)}+")
    for status in assigned["status"].unique():
        event(f"status: {status}")
    return len(extract.accounts), account_records(
        accounts_in=len(snapshot),
        assignments=assigned,
        merged=len(dedup.audit),
        rejected=len(screening.rejected),
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(rows=st.lists(account_rows(), min_size=0, max_size=12))
def test_every_record_read_leaves_by_exactly_one_exit(rows):
    with tempfile.TemporaryDirectory() as folder:
        frame = pd.DataFrame(rows, columns=list(ACCOUNTS_INPUT.required_columns) + ["Website"])
        frame.to_csv(Path(folder) / "accounts.csv", index=False)
        if not rows:
            with pytest.raises(CrmInputMissing, match="header only"):
                FileCrm(folder).read_accounts()
            return
        read, ledger = night_ledger(Path(folder))
    assert read == len(rows)
    assert ledger.rows_in == len(rows)
    assert ledger.balanced, ledger.summary()
