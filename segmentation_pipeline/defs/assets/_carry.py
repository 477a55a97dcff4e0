"""A carrying step's round trip through the state store: its stored rows under tonight's
stamp, the one full-pass rule (`core.change_set.full_pass_reason`), and tonight's rows kept
for tomorrow (only the changed accounts' when the state held)."""

from collections.abc import Callable

import pandas as pd

from segmentation_pipeline.core.change_set import Carried, full_pass_reason
from segmentation_pipeline.io.state_store import StateStore


def carry_step(
    store: StateStore,
    step: str,
    stamp: dict,
    changes: pd.DataFrame,
    carry: Callable[[pd.DataFrame | None], Carried],
) -> tuple[Carried, dict]:
    """Run `carry` on the stored rows (None on a full pass), keep its rows; returns them
    with the metadata every carrying step reports (rows_recomputed, full_pass_reason)."""
    # The change set's reasons first: a full pass never reads state it will not use.
    reason = full_pass_reason(changes, state_kept=True)
    stored = None if reason else store.load(step, stamp)
    reason = reason or full_pass_reason(changes, stored is not None)
    carried = carry(stored)
    del stored  # tonight's rows are all the save needs: the stored ones are freed first
    store.save(step, stamp, carried.rows, None if reason else carried.changed)
    metadata = {"rows_recomputed": int(carried.computed.sum()), "full_pass_reason": reason or ""}
    return carried, metadata
