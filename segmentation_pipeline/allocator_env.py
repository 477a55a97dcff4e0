"""Environment variables that let the C allocators back large frames with huge pages.

A nightly run allocates and frees gigabytes of column buffers. Where the kernel offers
transparent huge pages only on request (`madvise`, the usual default), every 4 KiB page of
that memory is a separate page fault, and on some virtual machines a fault costs several
microseconds. numpy already asks for huge pages for its large arrays; these settings make
glibc's malloc and Arrow's mimalloc ask too, and send Python's own small objects (the
strings of object columns) through glibc's malloc instead of Python's arenas, which are
mapped 1 MiB at a time and returned as soon as they empty.

On a machine where page faults are dear they cut a 1%-changed night at a million accounts
from 88.7 s to 71.0 s, and its page faults from 1.4 to 0.3 million (docs/performance.md,
"Mechanisms kept"). They must be in the environment before the process starts: the
`Dockerfile` sets them, and `benchmarks/end_to_end.py` starts its runs with them. Where
huge pages are off they only route small objects through malloc, which on its own ran no
slower (112.0 s against 111.4 s without any of the settings).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

ALLOCATOR_ENV: Mapping[str, str] = {
    # Python's small objects from malloc, so they share its huge-page heap.
    "PYTHONMALLOC": "malloc",
    # glibc 2.35 and later: madvise(MADV_HUGEPAGE) on the heap and on mmap'd chunks.
    "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
    # Arrow's default pool on Linux is mimalloc; this lets it use huge OS pages.
    "MIMALLOC_ALLOW_LARGE_OS_PAGES": "1",
}


def with_allocator_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` (default: this process's) with ALLOCATOR_ENV added. A variable already
    set is left as it is: an operator's own tuning wins."""
    merged = dict(os.environ if environ is None else environ)
    for name, value in ALLOCATOR_ENV.items():
        merged.setdefault(name, value)
    return merged
