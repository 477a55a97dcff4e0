"""Accounts merged away in Salesforce (loser -> master), remembered between nights.

Only an incremental read sees a merge (its `queryAll` lists the loser, deleted, with its
MasterRecordId), and the recycle bin forgets the loser within weeks, while the usage export
may name it for good. So the merges are kept in the state store, one Arrow file whose name
is committed with the account extract's mark beside the related records' (`kept["merges"]`):
a crash before the commit leaves last night's merges in force.
"""

from __future__ import annotations

import pandas as pd

from segmentation_pipeline.io.state_store import StateStore

STATE_NAME = "salesforce_merges"
KEY = "merges"  # in the source's kept state


def load_merges(store: StateStore, kept: dict | None) -> dict[str, str]:
    """The merges `kept` names (none kept, or the file gone: none)."""
    name = (kept or {}).get(KEY)
    frame = store.read(STATE_NAME, name) if name else None
    if frame is None:
        return {}
    return dict(zip(frame["account_id"], frame["master_id"], strict=True))


def keep_merges(
    store: StateStore, kept: dict | None, merges: dict[str, str], held: dict | None
) -> dict | None:
    """`kept` (what the source commits with the mark) naming the file of `merges`. Merges
    unchanged since `held` (last night's kept state) keep last night's file, so a re-run
    writes no state; files neither committed last night nor written now are removed."""
    rest = {k: v for k, v in (kept or {}).items() if k != KEY}
    previous = (held or {}).get(KEY)
    if merges and merges == load_merges(store, held):
        name = previous
    elif merges:
        frame = pd.DataFrame(sorted(merges.items()), columns=["account_id", "master_id"])
        name = store.write(STATE_NAME, frame.astype(object))
    else:
        name = None
    store.prune(STATE_NAME, keep={n for n in (previous, name) if n})
    return {**rest, KEY: name} if name else (rest or None)
