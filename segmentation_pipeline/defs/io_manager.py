"""Where asset outputs live between steps: pickles in the instance's storage folder, as
with Dagster's own filesystem IO manager, laid out the same way (so files it wrote still
load), with data frames packed by `io.frame_pickle`. Files are written beside their place
and renamed into it, so a run cut off mid-write leaves the previous output readable.
Frames just written or read stay in memory up to a budget (`io.recent_frames`), so the
steps of an in-process run that read one output share one copy instead of unpickling it
each; other executors' processes simply read the file."""

from __future__ import annotations

import os
from typing import Any

import dagster as dg
from upath import UPath

from segmentation_pipeline.io import frame_pickle
from segmentation_pipeline.io.recent_frames import RecentFrames

MIB = 1024 * 1024
# One per budget and process: Dagster may build an IO manager per step.
_RECENT: dict[int, RecentFrames] = {}


def recent_frames(budget_mb: int) -> RecentFrames:
    return _RECENT.setdefault(budget_mb, RecentFrames(budget_mb * MIB))


class FramePickleIOManager(dg.UPathIOManager):
    extension = ""

    def __init__(self, base_path: UPath, recent: RecentFrames | None = None):
        super().__init__(base_path=base_path)
        self.recent = recent

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("wb") as file:
                frame_pickle.dump(obj, file)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        if self.recent is not None:
            self.recent.keep(str(path), obj)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        kept = self.recent.get(str(path)) if self.recent is not None else None
        if kept is not None:
            return kept
        with path.open("rb") as file:
            obj = frame_pickle.load(file)
        if self.recent is not None:
            self.recent.keep(str(path), obj)
        return obj


class FrameFilesystemIOManager(dg.ConfigurableIOManagerFactory):
    """Asset outputs as files under `base_dir` (default: the Dagster instance's storage);
    up to `memory_cache_mb` of the latest frames (by file size) also stay in memory."""

    base_dir: str | None = None
    memory_cache_mb: int = 768

    def create_io_manager(self, context: dg.InitResourceContext) -> FramePickleIOManager:
        base_dir = self.base_dir or context.instance.storage_directory()
        recent = recent_frames(self.memory_cache_mb) if self.memory_cache_mb > 0 else None
        return FramePickleIOManager(base_path=UPath(base_dir), recent=recent)
