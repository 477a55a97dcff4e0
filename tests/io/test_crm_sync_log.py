"""Which gaps the pipeline's own write-backs filled in the CRM, read from crm_sync_log."""

import json
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.salesforce.sync import LOG_COLUMNS
from segmentation_pipeline.io.salesforce.sync_log import append_sync_log, gaps_filled

AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def _log(*rows: tuple[str, str, dict | None]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {"account_id": account, "outcome": outcome,
             "changes": None if changes is None else json.dumps(changes)}
            for account, outcome, changes in rows
        ]
    )  # fmt: skip
    return frame.reindex(columns=list(LOG_COLUMNS))


def test_only_a_written_value_where_the_org_held_none_is_a_gap_filled(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert gaps_filled(engine, ["NumberOfEmployees"]) == []  # no write-back yet
    append_sync_log(
        engine,
        _log(
            ("A", "success", {"NumberOfEmployees": [None, 120]}),
            ("B", "success", {"NumberOfEmployees": ["", 40], "Industry": [None, "Media"]}),
            ("C", "success", {"NumberOfEmployees": [35, 40]}),  # overwrote a value
            ("D", "failed", {"NumberOfEmployees": [None, 9]}),  # never reached the org
            ("E", "success", {"Customer_Tier__c": [None, "Tier 1"]}),  # another field
            ("F", "skipped_override", None),
            ("H", "unknown", {"NumberOfEmployees": [None, 60]}),  # the org may hold it
        ),
        "run-1",
        AT,
        dry_run=False,
    )
    append_sync_log(
        engine, _log(("G", "planned", {"NumberOfEmployees": [None, 7]})), "run-2", AT, True
    )
    assert gaps_filled(engine, ["NumberOfEmployees"]) == ["A", "B", "H"]
    assert gaps_filled(engine, ["Industry"]) == ["B"]
    assert gaps_filled(engine, []) == []
