"""The warehouse's `segment_versions` table: each month's assignments per framework version.

`segment_snapshots` holds only a month's latest state; this slim table keeps one slice
per (month, framework version), so after a re-score the old version's tiers are still
there to compare with.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.warehouse import WarehouseWriter

TABLE = "segment_versions"
COLUMNS = ("account_id", "name", "segment", "composite_score")


class ScoreVersionStore:
    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def _table(self, conn) -> sa.Table | None:
        if not sa.inspect(conn).has_table(TABLE):
            return None
        return sa.Table(TABLE, sa.MetaData(), autoload_with=conn)

    def record(self, month: str, version: str, assignments: pd.DataFrame) -> int:
        """Replace the (month, version) slice with these assignments."""
        rows = assignments.reindex(columns=list(COLUMNS)).assign(
            snapshot_month=month,
            framework_version=version,
            recorded_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        )
        with self.engine.begin() as conn:
            table = self._table(conn)
            if table is not None:
                conn.execute(
                    sa.delete(table).where(
                        table.c.snapshot_month == month, table.c.framework_version == version
                    )
                )
                # The driver's bulk insert: pandas' to_sql builds a SQLAlchemy row per
                # account, seconds at a million. The first slice creates the table.
                WarehouseWriter(conn).insert(table, rows)
            else:
                rows.to_sql(TABLE, conn, if_exists="append", index=False)
        return len(rows)

    def previous_version(self, month: str, version: str) -> tuple[str, pd.DataFrame] | None:
        """The most recently recorded other version of `month`, with its assignments."""
        with self.engine.connect() as conn:
            table = self._table(conn)
            if table is None:
                return None
            latest = conn.execute(
                sa.select(table.c.framework_version, sa.func.max(table.c.recorded_at).label("at"))
                .where(table.c.snapshot_month == month, table.c.framework_version != version)
                .group_by(table.c.framework_version)
                .order_by(sa.desc("at"))
                .limit(1)
            ).first()
            if latest is None:
                return None
            frame = pd.read_sql(
                sa.select(*[table.c[c] for c in COLUMNS]).where(
                    table.c.snapshot_month == month,
                    table.c.framework_version == latest.framework_version,
                ),
                conn,
            )
        return latest.framework_version, frame
