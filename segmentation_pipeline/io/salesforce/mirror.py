"""A warehouse copy of the Salesforce accounts, kept current from incremental extracts.

`crm_accounts` wants every account each run; Salesforce should only be asked for what
changed. The mirror squares the two: the first run (or a full refresh) reads everything,
later runs read rows modified after the stored high-water mark, drop deleted ones and
replace changed ones, then store the result and the new mark.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.io.crm import AccountExtract
from segmentation_pipeline.io.salesforce.extract import SalesforceAccountSource

_state = sa.MetaData()
extract_state = sa.Table(
    "salesforce_extract_state",
    _state,
    sa.Column("mirror_table", sa.String(128), primary_key=True),
    sa.Column("high_water_mark", sa.String(40)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)


class AccountMirror:
    def __init__(self, engine: sa.Engine, table: str = "salesforce_account_mirror") -> None:
        self.engine = engine
        self.table = table

    def load(self) -> tuple[pd.DataFrame | None, datetime | None]:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(self.table) or not sa.inspect(conn).has_table(
                extract_state.name
            ):
                return None, None
            mark = conn.execute(
                sa.select(extract_state.c.high_water_mark).where(
                    extract_state.c.mirror_table == self.table
                )
            ).scalar()
            frame = pd.read_sql_table(self.table, conn).astype(object)
        frame = frame.where(frame.notna(), None)
        return frame, (datetime.fromisoformat(mark) if mark else None)

    def save(self, accounts: pd.DataFrame, mark: datetime | None) -> None:
        with self.engine.begin() as conn:
            _state.create_all(conn)
            accounts.to_sql(self.table, conn, if_exists="replace", index=False, chunksize=10_000)
            conn.execute(sa.delete(extract_state).where(extract_state.c.mirror_table == self.table))
            conn.execute(
                extract_state.insert().values(
                    mirror_table=self.table,
                    high_water_mark=mark.isoformat() if mark else None,
                    updated_at=datetime.now(UTC),
                )
            )


def refresh_accounts(
    source: SalesforceAccountSource, mirror: AccountMirror, full_refresh: bool = False
) -> tuple[AccountExtract, int]:
    """All current accounts, fetching only changes when a mirror and mark exist.

    Returns the extract (every account; `deleted_ids` and the new mark describe this
    run's delta) and how many account rows were fetched from Salesforce.
    """
    held, mark = (None, None) if full_refresh else mirror.load()
    if held is None or mark is None:
        delta = source.read_accounts(None)
        accounts = delta.accounts
        full = True
    else:
        delta = source.read_accounts(mark)
        gone = set(delta.deleted_ids) | set(delta.accounts["Id"])
        kept = held[~held["Id"].isin(gone)]
        accounts = (
            pd.concat([kept, delta.accounts], ignore_index=True) if len(kept) else (delta.accounts)
        )
        full = False
    # A stable order (by Id), so an account re-read after a change keeps its place:
    # downstream tie-breaks (e.g. dedup's survivor choice) must not depend on fetch order.
    accounts = accounts.sort_values("Id", kind="stable").reset_index(drop=True)
    mirror.save(accounts, delta.high_water_mark)
    extract = AccountExtract(
        accounts=accounts,
        deleted_ids=list(delta.deleted_ids),
        high_water_mark=delta.high_water_mark,
        full_refresh=full,
    )
    return extract, len(delta.accounts)
