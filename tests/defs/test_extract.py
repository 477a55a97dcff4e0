"""crm_accounts across nights: a full extract first, then only what changed since the
high-water mark kept in the warehouse, and a full reconcile when a new month starts."""

import dagster as dg
import pandas as pd
import pytest

from segmentation_pipeline.core.input_contract import ACCOUNTS_INPUT
from segmentation_pipeline.defs.assets.extract import STATE_NAME, crm_accounts
from segmentation_pipeline.defs.resources import (
    FileCrmResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.io.warehouse import Warehouse

OCT, NOV = "2026-10-01", "2026-11-01"
SHOWN = ("Id", "Name", "ARR__c", "SystemModstamp")
# The contract's other columns, blank in every row of these exports.
BLANK = [c for c in ACCOUNTS_INPUT.required_columns if c not in SHOWN]
HEADER = ",".join([*SHOWN, *BLANK]) + "\n"


def export_text(rows: str) -> str:
    """HEADER and `rows` (Id,Name,ARR__c,SystemModstamp lines) with the blank columns."""
    return HEADER + "".join(line + "," * len(BLANK) + "\n" for line in rows.splitlines())


START = (
    "001A,Acme,100,2026-10-01T00:00:00.000+0000\n"
    "001B,Beta,200,2026-10-02T00:00:00.000+0000\n"
    "001C,Core,300,2026-10-03T00:00:00.000+0000\n"
)


class Night:
    """One CRM export folder, one warehouse, one snapshot store, one Dagster instance."""

    def __init__(self, tmp_path, warehouse_url):
        self.folder = tmp_path / "crm"
        self.folder.mkdir()
        self.warehouse_url = warehouse_url
        self.snapshots = tmp_path / "snapshots"
        self.instance = dg.DagsterInstance.ephemeral()

    def export(self, rows: str) -> None:
        (self.folder / "accounts.csv").write_text(export_text(rows))

    def run(self, month=NOV, full_refresh=False, folder=None):
        result = dg.materialize(
            [crm_accounts],
            partition_key=month,
            instance=self.instance,
            resources={
                "crm": FileCrmResource(folder=str(folder or self.folder)),
                "warehouse": WarehouseResource(url=self.warehouse_url),
                "snapshots": SnapshotStoreResource(base_dir=str(self.snapshots)),
                "framework": FrameworkResource(),
            },
            run_config={"ops": {"crm_accounts": {"config": {"full_refresh": full_refresh}}}},
        )
        assert result.success
        event = result.get_asset_materialization_events()[0]
        metadata = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
        return result.asset_value("crm_accounts"), metadata


@pytest.fixture
def night(tmp_path, warehouse_url):
    return Night(tmp_path, warehouse_url)


def test_nightly_runs_read_only_what_changed_and_keep_the_whole_base(night):
    night.export(START)
    accounts, meta = night.run()
    assert meta["extract_mode"] == "full" and meta["full_refresh_reason"] == "first run"
    assert meta["new_accounts"] == 3 and len(accounts) == 3

    night.export(
        START.replace("Beta,200,2026-10-02", "Beta,250,2026-11-02")
        + "001D,Delta,50,2026-11-02T00:00:00.000+0000\n"
    )
    accounts, meta = night.run()
    assert meta["extract_mode"] == "incremental"
    assert meta["rows_read_from_crm"] == 3  # Beta, Delta and Core (stamped at the old mark)
    assert (meta["new_accounts"], meta["updated_accounts"], meta["deleted_accounts"]) == (1, 1, 0)
    assert meta["unchanged_accounts_read"] == 1
    assert meta["changed_share"] == 0.5
    assert accounts["Id"].tolist() == ["001A", "001B", "001C", "001D"]
    assert accounts["ARR__c"].tolist() == ["100", "250", "300", "50"]

    state = Warehouse(night.warehouse_url).get_state(STATE_NAME)
    assert state["high_water_mark"].startswith("2026-11-02T00:00:00")
    assert state["accounts"] == 4 and state["partition"] == NOV

    # Nothing changed: only the records inside the overlap before the mark come back, and
    # their content says they are the same.
    unchanged, meta = night.run()
    assert meta["extract_mode"] == "incremental"
    assert meta["rows_read_from_crm"] == 2 and meta["unchanged_accounts_read"] == 2
    assert (meta["new_accounts"], meta["updated_accounts"]) == (0, 0)
    assert meta["high_water_mark"].startswith("2026-11-02 00:00:00")
    pd.testing.assert_frame_equal(unchanged, accounts)


def test_an_account_gone_from_the_export_is_deleted_that_night_and_a_month_reconciles(night):
    """The file export lists every account, so an incremental night sees a deletion by its
    absence; the month's first night still re-reads everything (the reconcile sources that
    cannot list their accounts rely on)."""
    night.export(START)
    night.run(OCT)
    night.export(START.replace("001B,Beta,200,2026-10-02T00:00:00.000+0000\n", ""))

    accounts, meta = night.run(OCT)
    assert meta["extract_mode"] == "incremental"
    assert meta["deleted_accounts"] == 1
    assert accounts["Id"].tolist() == ["001A", "001C"]

    accounts, meta = night.run(NOV)
    assert meta["extract_mode"] == "full"
    assert meta["full_refresh_reason"] == "new month: full reconcile"
    assert meta["deleted_accounts"] == 0 and meta["unchanged_accounts_read"] == 2
    assert accounts["Id"].tolist() == ["001A", "001C"]


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_a_full_extract_on_request_on_a_new_source_or_without_a_snapshot(night, tmp_path):
    night.export(START)
    night.run()
    assert night.run(full_refresh=True)[1]["full_refresh_reason"] == "requested"

    for snapshot_file in (night.snapshots / STATE_NAME).iterdir():
        snapshot_file.unlink()
    accounts, meta = night.run()
    assert meta["full_refresh_reason"] == "stored snapshot missing"
    assert len(accounts) == 3

    other = tmp_path / "other_crm"
    other.mkdir()
    (other / "accounts.csv").write_text(export_text("009Z,Zeta,1,2026-11-01T00:00:00.000+0000"))
    accounts, meta = night.run(folder=other)
    assert meta["full_refresh_reason"] == "CRM source changed"
    assert accounts["Id"].tolist() == ["009Z"] and meta["deleted_accounts"] == 3


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_a_quiet_night_keeps_the_snapshot_file_and_only_two_files_are_kept(night):
    snapshot_files = night.snapshots / STATE_NAME
    night.export(START)
    night.run()
    night.run()  # nothing changed: the stored snapshot stays in force, nothing is written
    assert len(list(snapshot_files.iterdir())) == 1
    for _ in range(3):
        night.run(full_refresh=True)
    assert len(list(snapshot_files.iterdir())) == 2  # the current one and the one before
