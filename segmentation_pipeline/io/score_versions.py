"""The warehouse's `segment_versions` table: each month's assignments per framework version.

`segment_snapshots` holds only a month's latest state; this slim table keeps one slice
per (month, framework version), so after a re-score the old version's tiers are still
there to compare with. A night re-records its slice by syncing it (`version_slice` names
the slice), so only the accounts whose name, tier or score moved are rewritten; a row's
`recorded_at` is when it was last written, and the slice's own last recording is kept in
`pipeline_state`, which is what orders versions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.warehouse import WarehouseWriter, read_states, reflect

TABLE = "segment_versions"
COLUMNS = ("account_id", "name", "segment", "composite_score")
SLICE_COLUMN = "version_slice"


def slice_key(month: str, version: str) -> str:
    return f"{month}|{version}"


def _last(moments: dict[str, str]) -> str:
    """The version recorded last."""
    return max(moments, key=lambda v: str(moments[v]))


def _state_name(month: str, version: str) -> str:
    return f"{TABLE}|{slice_key(month, version)}"


class ScoreVersionStore:
    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def record(self, month: str, version: str, assignments: pd.DataFrame) -> int:
        """Make the (month, version) slice hold these assignments; returns rows written."""
        rows = assignments.reindex(columns=list(COLUMNS)).assign(
            snapshot_month=month, framework_version=version
        )
        moment = datetime.now(UTC).isoformat(timespec="microseconds")
        with self.engine.begin() as conn:
            table = reflect(conn, TABLE)
            if table is not None:
                # Rows an earlier release wrote carry no slice name: replaced here.
                earlier = [table.c.snapshot_month == month, table.c.framework_version == version]
                if SLICE_COLUMN in table.c:
                    earlier.append(table.c[SLICE_COLUMN].is_(None))
                conn.execute(sa.delete(table).where(*earlier))
            writer = WarehouseWriter(conn)
            sync = writer.sync_partition(
                TABLE,
                rows,
                SLICE_COLUMN,
                slice_key(month, version),
                ["account_id"],
                unhashed={"recorded_at": moment},
            )
            # The slice's moment orders versions; a re-run that moved nothing in the slice
            # recorded last leaves it alone (the warehouse stays as the run before left it).
            # Only such a re-run reads the moments (a scan of the month's rows).
            moments = {} if sync.written or sync.deleted else self._month_moments(conn, month)
            if not moments or _last(moments) != version:
                writer.set_state(_state_name(month, version), {"recorded_at": moment})
        return sync.written

    def _month_moments(self, conn, month: str, but: str | None = None) -> dict[str, str]:
        """Each version of `month` (but `but`) and the moment it was last recorded: the
        noted moment of its recording, else its rows' latest (an earlier release's)."""
        table = reflect(conn, TABLE)
        if table is None:
            return {}
        query = sa.select(table.c.framework_version, sa.func.max(table.c.recorded_at))
        query = query.where(table.c.snapshot_month == month)
        if but is not None:
            query = query.where(table.c.framework_version != but)
        latest_rows = dict(conn.execute(query.group_by(table.c.framework_version)).all())
        # A slice re-recorded without a change keeps its rows' moments: the noted
        # moment of its recording counts (slices of an earlier release have none).
        return latest_rows | self._slice_moments(conn, month, list(latest_rows))

    def _slice_moments(self, conn, month: str, versions: list[str]) -> dict[str, str]:
        """Each version's last recording of `month`, as `record` noted it."""
        wanted = {_state_name(month, v): v for v in versions}
        found = read_states(conn, list(wanted))
        return {wanted[name]: state["recorded_at"] for name, state in found.items()}

    def previous_version(self, month: str, version: str) -> tuple[str, pd.DataFrame] | None:
        """The most recently recorded other version of `month`, with its assignments."""
        with self.engine.connect() as conn:
            table = reflect(conn, TABLE)
            if table is None:
                return None
            moments = self._month_moments(conn, month, but=version)
            if not moments:
                return None
            previous = _last(moments)
            frame = pd.read_sql(
                sa.select(*[table.c[c] for c in COLUMNS]).where(
                    table.c.snapshot_month == month,
                    table.c.framework_version == previous,
                ),
                conn,
            )
        return previous, frame
