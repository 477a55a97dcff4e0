"""Where asset outputs live between steps: pickles in the instance's storage folder, as
with Dagster's own filesystem IO manager, laid out the same way (so files it wrote still
load), with data frames packed by `io.frame_pickle`. Files are written beside their place
and renamed into it, so a run cut off mid-write leaves the previous output readable."""

from __future__ import annotations

import os
from typing import Any

import dagster as dg
from upath import UPath

from segmentation_pipeline.io import frame_pickle


class FramePickleIOManager(dg.UPathIOManager):
    extension = ""

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("wb") as file:
                frame_pickle.dump(obj, file)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        with path.open("rb") as file:
            return frame_pickle.load(file)


class FrameFilesystemIOManager(dg.ConfigurableIOManagerFactory):
    """Asset outputs as files under `base_dir` (default: the Dagster instance's storage)."""

    base_dir: str | None = None

    def create_io_manager(self, context: dg.InitResourceContext) -> FramePickleIOManager:
        base_dir = self.base_dir or context.instance.storage_directory()
        return FramePickleIOManager(base_path=UPath(base_dir))
