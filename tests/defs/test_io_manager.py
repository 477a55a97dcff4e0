"""Asset outputs go to packed pickles in a folder; a failed write keeps the last output."""

from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2026-01-01")


def _accounts(n: int = 3_000, segment: str = "Tier 1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": pd.Series([f"001{i:06d}" for i in range(n)], dtype="str"),
            "segment": pd.Series(np.where(np.arange(n) % 3, segment, None), dtype=object),
        }
    )


def _graph(make_frame):
    @dg.asset(partitions_def=MONTHS)
    def upstream() -> pd.DataFrame:
        return make_frame()

    @dg.asset(partitions_def=MONTHS)
    def downstream(upstream: pd.DataFrame) -> int:
        assert upstream["segment"].dtype == object
        assert upstream["segment"].iloc[0] is None
        return int((upstream["segment"] == "Tier 1").sum())

    return [upstream, downstream]


def _stored(folder: Path) -> pd.DataFrame:
    io_manager = FrameFilesystemIOManager(base_dir=str(folder))
    context = dg.build_input_context(
        asset_key=dg.AssetKey("upstream"),
        partition_key="2026-11-01",
        asset_partitions_def=MONTHS,
        resources={},
    )
    with dg.build_init_resource_context() as init:
        return io_manager.create_io_manager(init).load_input(context)


def test_a_frame_reaches_the_next_asset_as_it_left_the_last(tmp_path: Path):
    result = dg.materialize(
        _graph(_accounts),
        partition_key="2026-11-01",
        resources={"io_manager": FrameFilesystemIOManager(base_dir=str(tmp_path))},
    )
    assert result.output_for_node("downstream") == 2_000
    assert (tmp_path / "upstream" / "2026-11-01").is_file()
    pd.testing.assert_frame_equal(_stored(tmp_path), _accounts())


def test_outputs_written_by_dagsters_own_filesystem_io_manager_still_load(tmp_path: Path):
    dg.materialize(
        _graph(_accounts),
        partition_key="2026-11-01",
        resources={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path))},
    )
    pd.testing.assert_frame_equal(_stored(tmp_path), _accounts())


def test_a_write_that_fails_halfway_leaves_the_previous_output(tmp_path: Path):
    resources = {"io_manager": FrameFilesystemIOManager(base_dir=str(tmp_path))}
    dg.materialize(_graph(_accounts), partition_key="2026-11-01", resources=resources)

    def unpicklable() -> pd.DataFrame:
        frame = _accounts(segment="Tier 2")
        frame["callback"] = [lambda: None] * len(frame)  # pickle fails after the ids
        return frame

    result = dg.materialize(
        _graph(unpicklable),
        partition_key="2026-11-01",
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    pd.testing.assert_frame_equal(_stored(tmp_path), _accounts())
    assert [p.name for p in (tmp_path / "upstream").iterdir()] == ["2026-11-01"]


def test_steps_reading_one_output_share_a_copy_none_of_them_can_spoil(tmp_path: Path):
    """The first reader changes its input in place; the second still sees the output as
    written, and so does a fresh read of the file."""

    @dg.asset(partitions_def=MONTHS)
    def upstream() -> pd.DataFrame:
        return _accounts()

    @dg.asset(partitions_def=MONTHS)
    def first(upstream: pd.DataFrame) -> int:
        upstream["segment"] = "Tier 9"
        upstream.loc[0, "account_id"] = "changed"
        return len(upstream)

    @dg.asset(partitions_def=MONTHS, deps=[first])
    def second(upstream: pd.DataFrame) -> int:
        return int((upstream["segment"] == "Tier 1").sum())

    io_manager = FrameFilesystemIOManager(base_dir=str(tmp_path))
    result = dg.materialize(
        [upstream, first, second], partition_key="2026-11-01", resources={"io_manager": io_manager}
    )
    assert result.output_for_node("second") == 2_000
    pd.testing.assert_frame_equal(_stored(tmp_path), _accounts())


def test_without_a_memory_budget_every_read_is_from_the_file(tmp_path: Path):
    result = dg.materialize(
        _graph(_accounts),
        partition_key="2026-11-01",
        resources={
            "io_manager": FrameFilesystemIOManager(base_dir=str(tmp_path), memory_cache_mb=0)
        },
    )
    assert result.output_for_node("downstream") == 2_000
