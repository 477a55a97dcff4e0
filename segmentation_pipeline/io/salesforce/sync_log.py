"""The `crm_sync_log` warehouse table: one row per account a write-back run acted on."""

from __future__ import annotations

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
