"""Read stored monthly snapshots back from the warehouse, a few months at a time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.warehouse import reflect

SNAPSHOTS = "segment_snapshots"
MONTH = "snapshot_month"


def read_months(engine: sa.Engine, months: list[str], table: str = SNAPSHOTS) -> pd.DataFrame:
    """Rows of the given snapshot months; empty when the table or the months are absent."""
    with engine.connect() as conn:
        target = reflect(conn, table)
        if target is None or not months:
            return pd.DataFrame()
        return pd.read_sql(sa.select(target).where(target.c[MONTH].in_(months)), conn)


def latest_month_before(engine: sa.Engine, month: str, table: str = SNAPSHOTS) -> str | None:
    """The last stored snapshot month strictly before `month`."""
    with engine.connect() as conn:
        target = reflect(conn, table)
        if target is None:
            return None
        return conn.execute(
            sa.select(sa.func.max(target.c[MONTH])).where(target.c[MONTH] < month)
        ).scalar()


def earliest_month(url: str, table: str = SNAPSHOTS) -> str | None:
    """The first stored snapshot month at a warehouse URL, creating nothing: None while
    the database file or the table does not exist yet."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            target = reflect(conn, table)
            if target is None:
                return None
            first = conn.execute(sa.select(sa.func.min(target.c[MONTH]))).scalar()
            return str(first)[:10] if first is not None else None
    finally:
        engine.dispose()
