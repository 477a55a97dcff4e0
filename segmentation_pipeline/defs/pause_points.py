"""Named points where a fault test can stop a real run: a kill -9 in the middle of a
write, or a second run started while the first holds what it read.

With `SEGMENTATION_PAUSE_AT=<name>` and `SEGMENTATION_PAUSE_DIR=<folder>` in a run's
environment, the step reaching `pause_point(<name>)` writes `<folder>/<name>.reached`
and waits until `<folder>/<name>.release` exists. Without them (every deployment) a
pause point is one environment lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT = "SEGMENTATION_PAUSE_AT"
PAUSE_DIR = "SEGMENTATION_PAUSE_DIR"


def pause_point(name: str) -> None:
    if os.environ.get(PAUSE_AT) != name:
        return
    folder = Path(os.environ[PAUSE_DIR])
    (folder / f"{name}.reached").write_text(str(os.getpid()))
    while not (folder / f"{name}.release").exists():
        time.sleep(0.05)
