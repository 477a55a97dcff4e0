"""Row memos: a row-by-row stage recomputes only the rows it has not seen before.

The memo of a stage is its last output, each row tagged with the hash of the input row it
came from, kept in the snapshot store under a fingerprint of the stage's code and the
framework. Change either and the fingerprint changes, so every row is computed afresh.
"""

import hashlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd

from segmentation_pipeline.core.changes import INPUT_HASH, recompute_changed_rows
from segmentation_pipeline.framework import Framework
from segmentation_pipeline.io.snapshots import SnapshotStore


def code_fingerprint(module: ModuleType, framework: Framework) -> str:
    """A digest of every file in the module's folder and of the whole framework config."""
    folder = Path(module.__file__).parent
    digest = hashlib.sha256(framework.model_dump_json().encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def memoized_rows(
    store: SnapshotStore,
    name: str,
    fingerprint: str,
    inputs: pd.DataFrame,
    compute: Callable[[pd.DataFrame], pd.DataFrame],
) -> tuple[pd.DataFrame, int]:
    """`compute(inputs)`, reusing the stored outputs of input rows seen before; returns
    the outputs and how many rows were computed this time."""
    file_name = f"{fingerprint}.pkl"
    memo = store.get_pickle(name, file_name)
    outputs, computed = recompute_changed_rows(inputs, memo, compute)
    if computed or memo is None or len(memo) != len(outputs):
        store.put_pickle(name, file_name, outputs)
        store.prune(name, keep={file_name})
    return outputs.drop(columns=[INPUT_HASH]), computed
