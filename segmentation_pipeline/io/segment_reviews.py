"""Review decisions as the CRM holds them: `Segment_Review__c` records, or the file
CRM's optional `segment_reviews.csv` with the same field names (docs/salesforce.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REVIEW_OBJECT = "Segment_Review__c"
# Segment_Review__c field -> segment_transition_decisions column.
REVIEW_FIELDS: dict[str, str] = {
    "Account__c": "account_id",
    "Decision__c": "decision",
    "To_Segment__c": "to_segment",
    "Decided_By__c": "decided_by",
    "Decided_At__c": "decided_at",
    "Note__c": "note",
}
REVIEW_FILE = "segment_reviews.csv"


def review_entries(records: pd.DataFrame) -> pd.DataFrame:
    """Records in CRM field names as entries in decision column names (a field the
    records lack is empty)."""
    return records.reindex(columns=list(REVIEW_FIELDS)).rename(columns=REVIEW_FIELDS)


def read_review_file(folder: str | Path) -> pd.DataFrame:
    """The folder's segment_reviews.csv as entries; none when the file is absent (the
    file is optional: a deployment without reviews in its CRM has none)."""
    path = Path(folder) / REVIEW_FILE
    if not path.exists():
        return review_entries(pd.DataFrame())
    records = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return review_entries(records)
