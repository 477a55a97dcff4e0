"""The framework-change path: preview a candidate file on a stored month, then adopt it.

`preview_month` reads the month's stored partitions through the IO manager that wrote
them and hands them to `core.framework_preview`; it writes nothing. `adopt_file` puts the
candidate where the deployed code location loads its framework (the file
SEGMENTATION_FRAMEWORK names, else `framework.yaml` under SEGMENTATION_HOME): the
re-score must then run in a process that loads it (`segmentation-pipeline framework
adopt` starts `segmentation-pipeline backfill` for that), so the scoring assets'
code_version, the run tag and the applied framework are the new version together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from segmentation_pipeline.core.framework_preview import MonthInputs, Preview, preview
from segmentation_pipeline.defs.io_manager import ArrowFrameIOManager
from segmentation_pipeline.defs.partitions import as_of_for_partition
from segmentation_pipeline.framework.loader import (
    ADOPTED_FILE_NAME,
    DEFAULT_FRAMEWORK_PATH,
    FrameworkError,
    deployed_framework_path,
    load_framework,
)
from segmentation_pipeline.framework.models import Framework

STORED = {
    "deduplicated": "accounts_deduplicated",
    "enriched": "accounts_enriched",
    "usage": "product_usage",
    "merge_audit": "account_merge_audit",
    "assignments": "segment_assignments",
}


def stored_month(
    instance: dg.DagsterInstance, io_manager: ArrowFrameIOManager, month: str
) -> MonthInputs:
    """The month's stored scoring inputs and assignments, read back, nothing written."""
    frames = {}
    for name, asset in STORED.items():
        key = dg.AssetKey(asset)
        if not instance.get_latest_materialization_event(key):
            raise FrameworkError(f"{asset} has no stored month yet: run the pipeline first")
        frames[name] = io_manager.read_month(key, month)
    return MonthInputs(**frames)


def preview_month(
    instance: dg.DagsterInstance, io_manager_def, candidate: Framework, month: str
) -> Preview:
    """The stored `month` re-scored under `candidate`, compared with the month as stored."""
    init = dg.build_init_resource_context(instance=instance)
    io_manager = io_manager_def.create_io_manager(init)
    return preview(stored_month(instance, io_manager, month), candidate, as_of_for_partition(month))


def adoption_target(environ: Mapping[str, str] = os.environ) -> Path:
    """Where adoption writes: the deployed file, unless that is the bundled default (part
    of the package, replaced by the next install), then `framework.yaml` under
    SEGMENTATION_HOME, which the code location loads from then on."""
    deployed = deployed_framework_path(environ)
    if deployed.resolve() == DEFAULT_FRAMEWORK_PATH.resolve():
        return Path(environ.get("SEGMENTATION_HOME", ".segmentation")) / ADOPTED_FILE_NAME
    return deployed


def adopt_file(candidate_file: str | Path, deployed_version: str, target: Path) -> Framework:
    """Validate the candidate and write it over the deployed file (atomically). A
    candidate with the deployed version is refused: nothing could tell the months apart."""
    candidate = load_framework(candidate_file)
    if candidate.version == deployed_version:
        raise FrameworkError(
            f"{candidate_file}: version {candidate.version} is the deployed version; bump "
            "`version` so code versions, run tags and snapshots show the change"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.adopting")
    partial.write_text(Path(candidate_file).read_text(encoding="utf-8"), encoding="utf-8")
    os.replace(partial, target)
    return candidate
