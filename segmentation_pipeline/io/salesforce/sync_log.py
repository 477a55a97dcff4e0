"""The `crm_sync_log` warehouse table: one row per account a write-back run acted on."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.salesforce.sync import FAILED_OUTCOMES, LOG_COLUMNS

TABLE_NAME = "crm_sync_log"

_metadata = sa.MetaData()
crm_sync_log = sa.Table(
    TABLE_NAME,
    _metadata,
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("account_id", sa.String(18), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("write_path", sa.String(32)),
    sa.Column("changes", sa.Text),
    sa.Column("error_code", sa.String(128)),
    sa.Column("error_message", sa.Text),
    sa.Column("bulk_job_id", sa.String(18)),
)


def append_sync_log(
    engine: sa.Engine, log: pd.DataFrame, run_id: str, synced_at: datetime, dry_run: bool
) -> int:
    """Append one run's rows (creating the table on first use); returns rows written."""
    _metadata.create_all(engine, tables=[crm_sync_log])
    rows = [
        {"run_id": run_id, "synced_at": synced_at, "dry_run": dry_run}
        | {c: (None if pd.isna(v) else v) for c, v in zip(LOG_COLUMNS, values, strict=True)}
        for values in log[list(LOG_COLUMNS)].itertuples(index=False, name=None)
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(crm_sync_log.insert(), rows)
    return len(rows)


def last_run_failures(engine: sa.Engine) -> pd.DataFrame:
    """Accounts whose write failed or was not sent in the latest real (not dry) run."""
    _metadata.create_all(engine, tables=[crm_sync_log])
    table = crm_sync_log
    with engine.connect() as conn:
        latest = conn.execute(
            sa.select(table.c.run_id)
            .where(table.c.dry_run.is_(False))
            .order_by(table.c.synced_at.desc())
            .limit(1)
        ).scalar()
        if latest is None:
            return pd.DataFrame(columns=["account_id", "outcome", "error_code", "error_message"])
        result = conn.execute(
            sa.select(
                table.c.account_id, table.c.outcome, table.c.error_code, table.c.error_message
            ).where(table.c.run_id == latest, table.c.outcome.in_(FAILED_OUTCOMES))
        )
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def gaps_filled(engine: sa.Engine, crm_fields: Collection[str]) -> list[str]:
    """Accounts on which a real write-back wrote a value into one of `crm_fields` where
    the org held none: from the next night on, the CRM hands that value back as its own,
    but the gap was the pipeline's to fill (enrichment coverage counts it). A write whose
    outcome was lost (`unknown`) counts too: the org may hold it, and where it does not,
    the field is still blank and the account a gap anyway."""
    if not crm_fields or not sa.inspect(engine).has_table(TABLE_NAME):
        return []
    table = crm_sync_log
    mentions = sa.or_(*(table.c.changes.contains(json.dumps(f)) for f in crm_fields))
    query = sa.select(table.c.account_id, table.c.changes).where(
        table.c.outcome.in_(("success", "unknown")), table.c.dry_run.is_(False), mentions
    )
    with engine.connect() as conn:
        rows = conn.execute(query).fetchall()
    filled = set()
    for account_id, changes in rows:
        old_values = [old for field, (old, _) in json.loads(changes).items() if field in crm_fields]
        if any(old is None or str(old).strip() == "" for old in old_values):
            filled.add(account_id)
    return sorted(filled)
