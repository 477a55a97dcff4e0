"""Frames kept in memory by file: shared while the file is unchanged, within a budget."""

import os
from pathlib import Path

import pandas as pd

from segmentation_pipeline.io.recent_frames import RecentFrames


def _written(path: Path, size: int) -> str:
    path.write_bytes(b"x" * size)
    return str(path)


def test_a_kept_frame_comes_back_as_a_copy_readers_cannot_spoil(tmp_path):
    recent = RecentFrames(budget_bytes=1000)
    path = _written(tmp_path / "scores", 100)
    recent.keep(path, pd.DataFrame({"score": [1.0, 2.0]}))
    first = recent.get(path)
    first["score"] = first["score"] * 10
    first.loc[0, "score"] = -1.0
    first["extra"] = 1
    assert recent.get(path).equals(pd.DataFrame({"score": [1.0, 2.0]}))


def test_a_file_changed_since_is_read_again(tmp_path):
    recent = RecentFrames(budget_bytes=1000)
    path = _written(tmp_path / "scores", 100)
    recent.keep(path, pd.DataFrame({"score": [1.0]}))
    _written(tmp_path / "scores", 120)  # another process wrote a new output
    assert recent.get(path) is None
    assert len(recent) == 0


def test_a_file_touched_with_the_same_size_is_read_again(tmp_path):
    recent = RecentFrames(budget_bytes=1000)
    path = _written(tmp_path / "scores", 100)
    recent.keep(path, pd.DataFrame({"score": [1.0]}))
    stamp = os.stat(path).st_mtime_ns
    os.utime(path, ns=(stamp + 1_000_000, stamp + 1_000_000))
    assert recent.get(path) is None


def test_the_least_recently_used_frame_leaves_when_the_budget_is_spent(tmp_path):
    recent = RecentFrames(budget_bytes=250)
    a, b, c = (_written(tmp_path / name, 100) for name in "abc")
    recent.keep(a, pd.DataFrame({"v": [1]}))
    recent.keep(b, pd.DataFrame({"v": [2]}))
    assert recent.get(a) is not None  # a is now the most recently used
    recent.keep(c, pd.DataFrame({"v": [3]}))
    assert recent.get(b) is None
    assert recent.get(a)["v"].tolist() == [1] and recent.get(c)["v"].tolist() == [3]


def test_only_frames_of_existing_files_within_the_budget_are_kept(tmp_path):
    recent = RecentFrames(budget_bytes=100)
    big = _written(tmp_path / "big", 101)
    small = _written(tmp_path / "small", 10)
    recent.keep(big, pd.DataFrame({"v": [1]}))
    recent.keep(small, {"not": "a frame"})
    recent.keep(str(tmp_path / "missing"), pd.DataFrame({"v": [1]}))
    assert len(recent) == 0
