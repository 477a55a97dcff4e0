"""carry_step: a carrying step's round trip through the state store, and the metadata
every carrying step reports."""

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import CHANGE_COLUMNS, Carried, account_changes
from segmentation_pipeline.core.changes import ChangeSet
from segmentation_pipeline.defs.assets._carry import carry_step
from segmentation_pipeline.io.state_store import StateStore

STAMP = {"code": "c1", "framework": "f1"}
ROWS = pd.DataFrame({"account_id": ["a", "b"], "score": [1.0, 2.0]})


class CountingStore(StateStore):
    """A state store that counts how often a step's state is read."""

    loads = 0

    def load(self, step, stamp, key="account_id"):
        self.loads += 1
        return super().load(step, stamp, key)


def _no_changes() -> pd.DataFrame:
    return pd.DataFrame(columns=list(CHANGE_COLUMNS))


def _full_pass(reason: str) -> pd.DataFrame:
    snapshot = pd.DataFrame({"Id": ["a", "b"]})
    return account_changes(None, snapshot, ChangeSet([], [], []), full_pass=reason)


def _carry_that_records(given: list):
    def carry(stored):
        given.append(stored)
        return Carried(ROWS, np.zeros(len(ROWS), dtype=bool), [])

    return carry


def test_a_night_without_changes_carries_the_stored_rows(tmp_path):
    store = CountingStore(str(tmp_path))
    store.save("scores", STAMP, ROWS)
    given = []
    _, metadata = carry_step(store, "scores", STAMP, _no_changes(), _carry_that_records(given))
    pd.testing.assert_frame_equal(given[0], ROWS)
    assert metadata == {"rows_recomputed": 0, "full_pass_reason": ""}


def test_without_state_under_the_stamp_every_row_is_computed(tmp_path):
    store = CountingStore(str(tmp_path))
    store.save("scores", {**STAMP, "framework": "f0"}, ROWS)
    given = []
    _, metadata = carry_step(store, "scores", STAMP, _no_changes(), _carry_that_records(given))
    assert given == [None]
    assert metadata["full_pass_reason"] == "no state under tonight's code and framework versions"


def test_a_full_pass_named_by_the_change_set_never_reads_the_state(tmp_path):
    """Reading a million stored rows only to drop them cost time and, held beside
    tonight's rows, the night's memory peak."""
    store = CountingStore(str(tmp_path))
    store.save("scores", STAMP, ROWS)
    given = []
    changes = _full_pass("requested")
    _, metadata = carry_step(store, "scores", STAMP, changes, _carry_that_records(given))
    assert given == [None]
    assert store.loads == 0
    assert metadata["full_pass_reason"] == "requested"
