"""Where asset outputs live between steps: one Arrow IPC file per output and partition
(`io.frame_files`) under a folder or any fsspec URL, laid out as Dagster's own
filesystem IO manager lays out its files.

An input declared with `AssetIn(metadata={"columns": [...]})` is loaded with just those
columns (those the frame has): a report reading a dozen of the assignments' ~50 columns
does not convert the rest."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd
from upath import UPath

from segmentation_pipeline.io.frame_files import read_frame, write_frame


class ArrowFrameIOManager(dg.UPathIOManager):
    extension = ".arrow"

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(
                f"{context.asset_key.to_user_string() if context.has_asset_key else context.name}"
                f" returned a {type(obj).__name__}; asset outputs stored between steps are"
                " data frames"
            )
        write_frame(obj, path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pd.DataFrame:
        return read_frame(path, (context.definition_metadata or {}).get("columns"))

    def read_month(self, asset_key: dg.AssetKey, month: str) -> pd.DataFrame:
        """One stored month of an asset, read outside a step's inputs (checks, previews).

        The file is where `UPathIOManager` puts a partition: `<base>/<asset path>/<month>`
        plus the extension. Going through `load_input` would need `build_input_context`,
        which starts a throwaway Dagster instance for every read (0.2 s each; a tenth of
        every night's time on the sample went there)."""
        path = self._base_path.joinpath(*asset_key.path, month + self.extension)
        if not path.exists():
            raise FileNotFoundError(f"{asset_key.to_user_string()} has no stored {month}: {path}")
        return read_frame(path)


class FrameFilesystemIOManager(dg.ConfigurableIOManagerFactory):
    """Asset outputs as files under `base_dir`: a folder or an fsspec URL (s3://...,
    memory://...); by default the Dagster instance's storage folder."""

    base_dir: str | None = None

    def create_io_manager(self, context: dg.InitResourceContext) -> ArrowFrameIOManager:
        base_dir = self.base_dir or context.instance.storage_directory()
        return ArrowFrameIOManager(base_path=UPath(base_dir))
