"""The oracle of incremental nights: night after night, every output of the nightly
assets equals a run from scratch (a fresh state folder and warehouse) on the same input,
the same month and the same framework.

One deployment runs a sequence of nights over a small generated CRM: the first night,
edits of scoring fields and of usage with new accounts, a night where nothing changed,
renames (match fields), a framework change, deletions on a requested full refresh, and the
first night of the next month. After each night the same assets run from scratch, and
accounts_standardized, accounts_deduplicated, account_merge_audit, accounts_enriched,
account_scores, segment_assignments and the month's segment_snapshots rows must agree.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import dagster as dg
import pandas as pd
import pytest
import yaml

from segmentation_pipeline.defs import partitions
from segmentation_pipeline.defs.assets import (
    account_scores,
    accounts_enriched,
    accounts_standardized,
    crm_accounts,
    deduplicated_accounts,
    product_usage,
    segment_assignments,
    warehouse_segments,
)
from segmentation_pipeline.defs.enrichment import FirmographicsResource
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.resources import (
    FileCrmResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH, load_framework
from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.sample_data import write_sample_crm

NIGHTLY_ASSETS = [
    crm_accounts,
    product_usage,
    accounts_standardized,
    deduplicated_accounts,
    accounts_enriched,
    account_scores,
    segment_assignments,
    warehouse_segments,
]
COMPARED = [
    "accounts_standardized",
    "accounts_deduplicated",
    "account_merge_audit",
    "accounts_enriched",
    "account_scores",
    "segment_assignments",
]
OCTOBER, NOVEMBER = "2026-10-01", "2026-11-01"


@dataclass
class Night:
    result: dg.ExecuteInProcessResult
    snapshots: pd.DataFrame  # the month's segment_snapshots rows after the night

    def value(self, asset: str) -> pd.DataFrame:
        return self.result.asset_value(asset)

    def metadata(self, asset: str) -> dict:
        for event in self.result.get_asset_materialization_events():
            if event.asset_key.to_user_string() == asset:
                return {k: v.value for k, v in event.materialization.metadata.items()}
        raise KeyError(asset)


class Deployment:
    """One state folder (warehouse, snapshots, IO manager files) shared by its nights."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True)
        self.folder = folder
        self.instance = dg.DagsterInstance.ephemeral()

    def night(
        self, crm: Path, month: str, framework: str = "", full_refresh: bool = False
    ) -> Night:
        url = f"sqlite:///{self.folder / 'warehouse.sqlite'}"
        with _code_location_loaded_with(framework):
            result = self._materialize(url, crm, month, framework, full_refresh)
        assert result.success
        table = Warehouse(url).read_table("segment_snapshots")
        return Night(result, table[table["snapshot_month"] == month])

    def _materialize(
        self, url: str, crm: Path, month: str, framework: str, full_refresh: bool
    ) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            NIGHTLY_ASSETS,
            partition_key=month,
            instance=self.instance,
            resources={
                "warehouse": WarehouseResource(url=url),
                "crm": FileCrmResource(folder=str(crm)),
                "framework": FrameworkResource(path=framework),
                "snapshots": SnapshotStoreResource(base_dir=str(self.folder / "snapshots")),
                "io_manager": FrameFilesystemIOManager(base_dir=str(self.folder / "outputs")),
                "firmographics": FirmographicsResource(path=str(crm / "firmographics.csv")),
            },
            run_config={"ops": {"crm_accounts": {"config": {"full_refresh": full_refresh}}}},
        )


@contextmanager
def _code_location_loaded_with(framework: str):
    """A night under another framework file is a night after the code location was
    reloaded with it (`framework adopt`): the resource applies only the loaded version."""
    if not framework:
        yield
        return
    version = load_framework(framework).version
    with (
        mock.patch.object(partitions, "FRAMEWORK_PATH", Path(framework)),
        mock.patch.object(partitions, "FRAMEWORK_VERSION", version),
    ):
        yield


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by account, without hash columns and the moments of fetching (a run from
    scratch fetches again). A missing text value is missing whether a row held None or
    NaN: carried rows come back from Arrow files with None."""
    kept = [
        c
        for c in frame.columns
        if not c.startswith("_") and not c.endswith("fetched_at") and c != "from_cache"
    ]
    rows = frame[kept]
    text = [c for c in rows.columns if rows[c].dtype == object]
    rows = rows.astype({c: object for c in text}).where(rows.notna(), None) if text else rows
    keys = [c for c in ("account_id", "survivor_id") if c in rows.columns]
    return rows.sort_values(keys, kind="stable").reset_index(drop=True)


def _stamp(night: int) -> str:
    return f"2026-11-{10 + night:02d}T00:00:00.000+0000"


def _edit(crm: Path, night: int, rows: slice, **fields) -> list[str]:
    accounts = pd.read_csv(crm / "accounts.csv", dtype=str, keep_default_na=False)
    for column, value in fields.items():
        current = accounts.loc[accounts.index[rows], column]
        accounts.loc[accounts.index[rows], column] = value(current) if callable(value) else value
    accounts.loc[accounts.index[rows], "SystemModstamp"] = _stamp(night)
    accounts.to_csv(crm / "accounts.csv", index=False)
    return accounts.loc[accounts.index[rows], "Id"].tolist()


def _add_accounts(crm: Path, night: int, count: int) -> None:
    accounts = pd.read_csv(crm / "accounts.csv", dtype=str, keep_default_na=False)
    new = accounts.tail(count).copy()
    new["Id"] = [f"001N{night:03d}{i:08d}" for i in range(count)]
    new["Name"] = [f"Newcomer {night} {i} Ltd" for i in range(count)]
    new["Website"] = [f"newcomer{night}x{i}.com" for i in range(count)]
    new["SystemModstamp"] = _stamp(night)
    pd.concat([accounts, new]).to_csv(crm / "accounts.csv", index=False)


def _delete_accounts(crm: Path, count: int) -> None:
    accounts = pd.read_csv(crm / "accounts.csv", dtype=str, keep_default_na=False)
    accounts.iloc[count:].to_csv(crm / "accounts.csv", index=False)


def _edit_usage(crm: Path, rows: slice) -> None:
    usage = pd.read_csv(crm / "product_usage.csv", dtype=str, keep_default_na=False)
    usage.loc[usage.index[rows], "Logins30d"] = "3"
    usage.to_csv(crm / "product_usage.csv", index=False)


def _changed_framework(folder: Path) -> str:
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text())
    data["version"] = "2026.1-oracle"
    data["scoring"]["weights"] = {"firmographic": 0.30, "behavioral": 0.35, "value": 0.35}
    path = folder / "framework.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _scratch(tmp: Path, name: str, nights: list[tuple[Path, str, str]]) -> Night:
    """The same input run from scratch: a fresh deployment, its nights in order."""
    deployment = Deployment(tmp / name)
    for crm, month, framework in nights:
        last = deployment.night(crm, month, framework)
    return last


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> list[tuple[str, Night, Night]]:
    """(what the night did, the deployment's night, the same input from scratch)."""
    tmp = tmp_path_factory.mktemp("nights")
    crm = tmp / "crm"
    write_sample_crm(crm, n_accounts=300)
    deployment = Deployment(tmp / "deployment")
    changed = _changed_framework(tmp)
    out = []

    def run(label: str, month: str = OCTOBER, framework: str = "", **options) -> None:
        night = deployment.night(crm, month, framework, **options)
        scratch = _scratch(tmp, f"scratch{len(out)}", [(crm, month, framework)])
        out.append((label, night, scratch))

    run("first night")
    _edit(crm, 1, slice(10, 20), ARR__c=lambda arr: "123456", Strategic_Importance__c="Standard")
    _edit_usage(crm, slice(0, 15))
    _add_accounts(crm, 1, 5)
    run("scoring and usage edits, new accounts")
    run("nothing changed")
    _edit(crm, 3, slice(30, 35), Name=lambda name: name + " Group")
    _edit(crm, 3, slice(40, 42), ARR__c="77000")
    run("renames")
    run("framework change", framework=changed)
    _delete_accounts(crm, 4)
    run("deletions on a full refresh", framework=changed, full_refresh=True)
    october = tmp / "crm_october"
    shutil.copytree(crm, october)
    _edit(crm, 6, slice(50, 55), ARR__c="50000")
    night = deployment.night(crm, NOVEMBER, changed)
    scratch = _scratch(
        tmp, "scratch_november", [(october, OCTOBER, changed), (crm, NOVEMBER, changed)]
    )
    out.append(("first night of a month", night, scratch))
    return out


def test_every_night_equals_a_run_from_scratch(nights):
    for label, night, scratch in nights:
        for asset in COMPARED:
            pd.testing.assert_frame_equal(
                _comparable(night.value(asset)),
                _comparable(scratch.value(asset)),
                check_dtype=False,
                obj=f"{label}: {asset}",
            )
        pd.testing.assert_frame_equal(
            _comparable(night.snapshots),
            _comparable(scratch.snapshots),
            check_dtype=False,
            obj=f"{label}: segment_snapshots",
        )


def test_the_nights_exercise_what_they_claim(nights):
    """Guards the oracle itself: the edits reached the outputs."""
    by_label = {label: night for label, night, _ in nights}
    assert len(by_label["first night"].value("accounts_standardized")) == 300
    assert len(by_label["scoring and usage edits, new accounts"].value("crm_accounts")) == 305
    assert len(by_label["deletions on a full refresh"].value("crm_accounts")) == 301
    names = by_label["renames"].value("accounts_standardized")["name"]
    assert names.str.endswith("Group").sum() >= 5


def test_each_night_recomputes_only_what_changed(nights):
    """rows_recomputed, the one name every carrying step reports, per night."""
    steps = ("accounts_standardized", "accounts_deduplicated", "accounts_enriched",
             "account_scores", "segment_assignments")  # fmt: skip
    recomputed = {
        label: [night.metadata(step)["rows_recomputed"] for step in steps]
        for label, night, _ in nights
    }
    assert recomputed["nothing changed"] == [0, 0, 0, 0, 0]
    standardized, deduplicated, _, scores, assignments = recomputed[
        "scoring and usage edits, new accounts"
    ]
    assert standardized == 15  # ten edited accounts and five new ones
    assert deduplicated > 0  # new accounts: matched afresh
    # The edited and new accounts, and those whose usage changed, but not all 295.
    assert 15 <= scores < 100 and 15 <= assignments < 100
    assert recomputed["renames"][0] == 7
    assert min(recomputed["framework change"]) > 0  # every step computed whole
    reasons = {
        label: night.metadata("account_changes")["full_pass_reason"] for label, night, _ in nights
    }
    assert reasons["nothing changed"] == ""
    assert reasons["deletions on a full refresh"] == "requested"
    assert reasons["first night of a month"] == ""  # re-read whole, compared exactly
    assert recomputed["first night of a month"][0] == 5
    dedup = nights[3][1].metadata("accounts_deduplicated")["full_pass_reason"]
    assert dedup == "match fields of 5 accounts changed"
