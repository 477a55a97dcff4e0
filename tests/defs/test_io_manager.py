"""Asset outputs go to Arrow IPC files under a folder or an fsspec URL; each comes back as
it left its asset, and a failed write keeps the last output."""

import uuid
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from small_crm import write_small_crm
from upath import UPath

from segmentation_pipeline.defs.io_manager import ArrowFrameIOManager, FrameFilesystemIOManager
from segmentation_pipeline.defs.resources import (
    FileCrmResource,
    FirmographicsFileResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.io.frame_files import read_frame

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2026-01-01")


def _accounts(n: int = 3_000, segment: str = "Tier 1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": pd.Series([f"001{i:06d}" for i in range(n)], dtype="str"),
            "segment": pd.Series(np.where(np.arange(n) % 3, segment, None), dtype=object),
        }
    )


def _every_kind_of_column(copies: int = 1) -> pd.DataFrame:
    """Each kind of column; with many copies, text of few values goes as a dictionary."""
    once = pd.DataFrame(
        {
            "text": pd.Series(["a", None, "c"], dtype="str"),
            "objects_none": pd.Series(["a", None, "b"], dtype=object),
            "objects_nan": pd.Series(["a", np.nan, "b"], dtype=object),
            "flags_or_none": pd.Series([True, None, False], dtype=object),
            "at": pd.to_datetime(["2026-01-01", None, "2026-02-01"]).tz_localize("UTC"),
            "count": pd.array([1, None, 3], dtype="Int64"),
            "tier": pd.Categorical(["Tier 1", "Tier 2", None]),
            "arr": [1.0, np.nan, 2.5],
        }
    )
    frame = pd.concat([once] * copies, ignore_index=True)
    return frame.set_axis(pd.Index(range(10, 10 + len(frame)), name="row"))


def _graph(make_frame):
    @dg.asset(partitions_def=MONTHS)
    def upstream() -> pd.DataFrame:
        return make_frame()

    @dg.asset(partitions_def=MONTHS)
    def downstream(upstream: pd.DataFrame) -> pd.DataFrame:
        assert upstream["segment"].dtype == object
        assert upstream["segment"].iloc[0] is None
        return pd.DataFrame({"tier_1": [int((upstream["segment"] == "Tier 1").sum())]})

    return [upstream, downstream]


def _stored(base: str) -> pd.DataFrame:
    return read_frame(UPath(base) / "upstream" / "2026-11-01.arrow")


@pytest.mark.parametrize(("base", "copies"), [("folder", 1), ("memory", 1), ("folder", 100)])
def test_every_kind_of_column_comes_back_as_it_was_written(tmp_path: Path, base, copies):
    root = str(tmp_path) if base == "folder" else f"memory://{uuid.uuid4().hex}"
    result = dg.materialize(
        _graph(lambda: _every_kind_of_column(copies))[:1],
        partition_key="2026-11-01",
        resources={"io_manager": FrameFilesystemIOManager(base_dir=root)},
    )
    assert result.success
    stored = _stored(root)
    pd.testing.assert_frame_equal(stored, _every_kind_of_column(copies))
    assert stored.loc[11, "objects_none"] is None
    assert stored.loc[11, "objects_nan"] is not None and np.isnan(stored.loc[11, "objects_nan"])
    assert stored.loc[11, "flags_or_none"] is None


def test_a_frame_reaches_the_next_asset_as_it_left_the_last(tmp_path: Path):
    result = dg.materialize(
        _graph(_accounts),
        partition_key="2026-11-01",
        resources={"io_manager": FrameFilesystemIOManager(base_dir=str(tmp_path))},
    )
    assert result.output_for_node("downstream")["tier_1"].iloc[0] == 2_000
    assert (tmp_path / "upstream" / "2026-11-01.arrow").is_file()
    pd.testing.assert_frame_equal(_stored(str(tmp_path)), _accounts())


@pytest.mark.parametrize(("base", "copies"), [("folder", 1), ("memory", 100)])
def test_an_input_that_names_its_columns_gets_just_those_as_they_were(tmp_path: Path, base, copies):
    root = str(tmp_path) if base == "folder" else f"memory://{uuid.uuid4().hex}"
    wanted = ["objects_nan", "count", "tier", "not_there"]
    seen = {}

    @dg.asset(partitions_def=MONTHS)
    def upstream() -> pd.DataFrame:
        return _every_kind_of_column(copies)

    @dg.asset(partitions_def=MONTHS, ins={"upstream": dg.AssetIn(metadata={"columns": wanted})})
    def downstream(upstream: pd.DataFrame) -> pd.DataFrame:
        seen["frame"] = upstream
        return upstream

    result = dg.materialize(
        [upstream, downstream],
        partition_key="2026-11-01",
        resources={"io_manager": FrameFilesystemIOManager(base_dir=root)},
    )
    assert result.success
    expected = _every_kind_of_column(copies)[["objects_nan", "count", "tier"]]
    pd.testing.assert_frame_equal(seen["frame"], expected)
    assert np.isnan(seen["frame"].loc[11, "objects_nan"])


@pytest.mark.parametrize("base", ["folder", "memory"])
def test_a_write_that_fails_leaves_the_previous_output(tmp_path: Path, base: str):
    root = str(tmp_path) if base == "folder" else f"memory://{uuid.uuid4().hex}"
    resources = {"io_manager": FrameFilesystemIOManager(base_dir=root)}
    dg.materialize(_graph(_accounts), partition_key="2026-11-01", resources=resources)

    def unstorable() -> pd.DataFrame:
        frame = _accounts(segment="Tier 2")
        frame["callback"] = [lambda: None] * len(frame)  # Arrow has no type for these
        return frame

    result = dg.materialize(
        _graph(unstorable), partition_key="2026-11-01", resources=resources, raise_on_error=False
    )
    assert not result.success
    pd.testing.assert_frame_equal(_stored(root), _accounts())
    assert [p.name for p in (UPath(root) / "upstream").iterdir()] == ["2026-11-01.arrow"]


@pytest.mark.parametrize("base", ["folder", "memory"])
def test_a_stored_month_is_read_back_by_key_and_a_missing_one_is_named(tmp_path: Path, base):
    """What checks and framework previews read: the month a step stored, by asset and
    month, without a step's input context."""
    root = str(tmp_path) if base == "folder" else f"memory://{uuid.uuid4().hex}"
    dg.materialize(
        _graph(_accounts)[:1],
        partition_key="2026-11-01",
        resources={"io_manager": FrameFilesystemIOManager(base_dir=root)},
    )
    manager = ArrowFrameIOManager(base_path=UPath(root))
    pd.testing.assert_frame_equal(
        manager.read_month(dg.AssetKey("upstream"), "2026-11-01"), _accounts()
    )
    with pytest.raises(FileNotFoundError, match="upstream has no stored 2026-10-01"):
        manager.read_month(dg.AssetKey("upstream"), "2026-10-01")


def test_a_value_that_is_not_a_frame_is_refused_not_pickled(tmp_path: Path):
    @dg.asset
    def count() -> int:
        return 3

    result = dg.materialize(
        [count],
        resources={"io_manager": FrameFilesystemIOManager(base_dir=str(tmp_path))},
        raise_on_error=False,
    )
    assert not result.success
    assert not any(tmp_path.rglob("count*"))


class _RecordingIOManager(ArrowFrameIOManager):
    """Keeps a copy of each output as its asset returned it, beside the stored file."""

    def __init__(self, base_path: UPath):
        super().__init__(base_path=base_path)
        self.handed: dict[UPath, pd.DataFrame] = {}

    def dump_to_path(self, context: dg.OutputContext, obj, path: UPath) -> None:
        super().dump_to_path(context, obj, path)
        self.handed[path] = obj.copy(deep=True)


def test_the_whole_job_round_trips_every_output_on_memory(tmp_path: Path):
    crm = write_small_crm(tmp_path / "crm", n_accounts=120)
    io_manager = _RecordingIOManager(UPath(f"memory://{uuid.uuid4().hex}"))
    warehouse = WarehouseResource(url=f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    from segmentation_pipeline.definitions import defs

    job = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        resources={
            **defs.resources,
            "io_manager": io_manager,
            "warehouse": warehouse,
            "crm": FileCrmResource(folder=str(crm)),
            "firmographics": FirmographicsFileResource(path=str(crm / "firmographics.csv")),
            "snapshots": SnapshotStoreResource(base_dir=str(tmp_path / "snapshots")),
        },
    ).resolve_job_def("segmentation_job")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(partition_key="2026-11-01", instance=instance)
    assert result.success

    assert len(io_manager.handed) >= 8  # extract to reports: every stored output
    for path, handed in io_manager.handed.items():
        assert path.protocol == "memory"
        pd.testing.assert_frame_equal(read_frame(path), handed, obj=path.path)
