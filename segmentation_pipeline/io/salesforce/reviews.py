"""`Segment_Review__c` records read over SOQL: the decisions reviewers entered in
Salesforce since the pipeline last looked (all of them; the store keeps each once)."""

from __future__ import annotations

import pandas as pd

from segmentation_pipeline.io.salesforce.client import SalesforceClient
from segmentation_pipeline.io.segment_reviews import REVIEW_FIELDS, REVIEW_OBJECT, review_entries


def review_soql() -> str:
    """Decided reviews only: a record still waiting for its decision is not one."""
    fields = ", ".join(["Id", *REVIEW_FIELDS])
    return f"SELECT {fields} FROM {REVIEW_OBJECT} WHERE Decision__c != null ORDER BY Decided_At__c"


def read_salesforce_reviews(client: SalesforceClient) -> pd.DataFrame:
    """Every decided Segment_Review__c record, as decision entries."""
    rows = [record for page in client.query_pages(review_soql()) for record in page]
    return review_entries(pd.DataFrame(rows, columns=["Id", *REVIEW_FIELDS]))
