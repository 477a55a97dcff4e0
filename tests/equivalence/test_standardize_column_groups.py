"""standardize_accounts builds one of its two column groups in a worker thread. Threads must change
no value: the frame equals the one built with the groups run one after the other, on
generated messy accounts of both benchmark generators."""

import sys
from concurrent.futures import Future
from pathlib import Path

import pandas as pd

from segmentation_pipeline.core.standardize import accounts
from segmentation_pipeline.framework import load_framework


class OneAfterTheOther:
    """A stand-in for ThreadPoolExecutor that runs each task at once, in this thread."""

    tasks = 0

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, task, *args) -> Future:
        done = Future()
        done.set_result(task(*args))
        OneAfterTheOther.tasks += 1
        return done


def test_threads_build_the_same_frame(monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from independent_accounts import generate as independent
    from messy_accounts import generate as messy

    raw = pd.concat(
        [messy(3000, seed=11).accounts, independent(3000, seed=12).accounts], ignore_index=True
    ).astype("str")
    framework = load_framework(None)

    threaded = accounts.standardize_accounts(raw, framework)
    monkeypatch.setattr(accounts, "ThreadPoolExecutor", OneAfterTheOther)
    serial = accounts.standardize_accounts(raw, framework)

    assert OneAfterTheOther.tasks == 1  # the serial frame was built without threads
    pd.testing.assert_frame_equal(threaded, serial)
    assert threaded["phone_e164"].notna().sum() > 1000  # the data exercises both groups
    assert threaded["domain"].notna().sum() > 1000
