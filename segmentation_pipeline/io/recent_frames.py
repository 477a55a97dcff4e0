"""Frames this process has just written or read, kept in memory by file.

A run on the in-process executor writes `segment_assignments` once and then unpickles it
again for each of the eight or so steps that read it (0.85 s each at 940k accounts, its
object columns being rebuilt one Python string at a time). Holding the last frames here
lets those steps share one copy. The file stays the truth: an entry counts only while
its file has the size and modification time it had when the entry was made, so a file
rewritten by another process is read again. Each reader gets a shallow copy, which under
pandas' copy-on-write cannot change what the next reader sees.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class _Entry:
    stamp: tuple[int, int]  # (size, mtime_ns) of the file when the frame was kept
    frame: pd.DataFrame


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


class RecentFrames:
    """Least recently used frames up to `budget_bytes` of their files' sizes (a frame
    in memory is about one to two times its packed file)."""

    def __init__(self, budget_bytes: int):
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def keep(self, path: str, obj: object) -> None:
        """Remember `obj` as the contents of `path` (data frames only)."""
        self._entries.pop(path, None)
        stamp = _stamp(path)
        if not isinstance(obj, pd.DataFrame) or stamp is None or stamp[0] > self.budget_bytes:
            return
        self._entries[path] = _Entry(stamp, obj)
        while sum(e.stamp[0] for e in self._entries.values()) > self.budget_bytes:
            self._entries.popitem(last=False)

    def get(self, path: str) -> pd.DataFrame | None:
        """The frame kept for `path` while the file is as it was, else None."""
        entry = self._entries.get(path)
        if entry is None:
            return None
        if _stamp(path) != entry.stamp:
            del self._entries[path]
            return None
        self._entries.move_to_end(path)
        return entry.frame.copy(deep=False)
