"""A failure in one line: what an operator reads first, on the terminal and in an alert."""

from __future__ import annotations

import re
from collections.abc import Sequence

OWN_MODULE = "segmentation_pipeline."
# What SQLAlchemy appends to a database error: the statement, its parameters (account
# data, bound for the alert channels) and a link. The driver's own message says what failed.
_SQL_DETAIL = re.compile(r"\s*\[SQL: .*|\s*\(Background on this error at: [^)]*\)", re.S)
# A run stopped from outside (Ctrl-C, a termination signal) fails its step with one of these.
_INTERRUPTIONS = ("DagsterExecutionInterruptedError", "KeyboardInterrupt")
INTERRUPTED = "interrupted (Ctrl-C or a stop signal) before the step finished"


def error_line(chain: Sequence[str], limit: int = 300) -> str:
    """One line for an error chain given outermost first, as `module.Class: message` texts:
    the first error raised outside Dagster (the one the pipeline's own code raised), with the
    class name dropped for the project's own errors (their messages name what failed)."""
    if not chain:
        return "unknown error"
    if any(text.split(":", 1)[0].strip().rsplit(".", 1)[-1] in _INTERRUPTIONS for text in chain):
        return INTERRUPTED
    ours = [text for text in chain if not text.startswith("dagster")]
    text = _SQL_DETAIL.sub("", (ours[0] if ours else chain[-1])).strip()
    head, sep, message = text.partition(": ")
    if sep and " " not in head:
        own = head.startswith(OWN_MODULE)
        text = message if own else f"{head.rsplit('.', 1)[-1]}: {message}"
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
