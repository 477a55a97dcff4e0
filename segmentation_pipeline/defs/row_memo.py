"""Row memos: a row-by-row stage recomputes only the rows it has not seen before.

The memo of a stage is its outputs, each row tagged with the hash of the input row it
came from, kept in the snapshot store under a fingerprint of the stage's code and the
framework. Change either and the fingerprint changes, so every row is computed afresh.
Rows of records deleted or edited since stay in the memo until it is next rewritten.
"""

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import pandas as pd

from segmentation_pipeline.core.changes import (
    INPUT_HASH,
    SOURCE_HASH,
    content_hashes,
    recompute_changed_rows,
)
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


# A night's newly computed rows go to a small delta file beside the memo; the memo itself
# is rewritten (and the delta folded in) once the delta exceeds this share of it.
DELTA_SHARE = 0.1


def memoized_rows(
    store: SnapshotStore,
    name: str,
    fingerprint: str,
    inputs: pd.DataFrame,
    compute: Callable[[pd.DataFrame], pd.DataFrame],
    keep_hash: bool = False,
    row_hash_ignores: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, int]:
    """`compute(inputs)`, reusing the stored outputs of input rows seen before; returns
    the outputs and how many rows were computed this time. With `keep_hash`, each output
    row keeps the hash of its input row as SOURCE_HASH, for later stages to key on. Inputs
    that carry the extract's ROW_HASH are hashed through it (`content_hashes`).

    The memo is a file of outputs plus a delta file of the rows computed since, so a
    night that computes 1% of the rows writes 1% of them."""
    base_file, delta_file = f"{fingerprint}.pkl", f"{fingerprint}.delta.pkl"
    base = store.get_pickle(name, base_file)
    delta = store.get_pickle(name, delta_file) if base is not None else None
    memo = base if delta is None else pd.concat([base, delta], ignore_index=True)
    hashes = content_hashes(inputs, row_hash_ignores)
    outputs, computed = recompute_changed_rows(inputs, memo, compute, hashes)
    if base is None or computed and computed + _rows(delta) > DELTA_SHARE * len(base):
        store.put_pickle(name, base_file, outputs)
        store.prune(name, keep={base_file})
    elif computed:
        fresh = outputs[~outputs[INPUT_HASH].isin(memo[INPUT_HASH].to_numpy())]
        grown = fresh if delta is None else pd.concat([delta, fresh], ignore_index=True)
        store.put_pickle(name, delta_file, grown)
        store.prune(name, keep={base_file, delta_file})
    if keep_hash:
        return outputs.rename(columns={INPUT_HASH: SOURCE_HASH}), computed
    return outputs.drop(columns=[INPUT_HASH]), computed


def _rows(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)
