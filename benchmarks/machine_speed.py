"""How fast this machine is at the three kinds of work the pipeline's nightly run is made of.

    python benchmarks/machine_speed.py [--out machine.json]

The same code and data took 63 s on one session's 2-core machine and 92 to 112 s on the
next one's. Wall-clock figures from different machines only compare next to figures of each
machine's own speed. `end_to_end.py` records these
figures beside its own, so a change in a quoted figure can be told apart from a change of
machine:

* `python_loop_s`: ten million additions in a Python loop, which is interpreter speed
  (formatting, per-object pandas paths).
* `hash_strings_s`: pandas hashing a million distinct short strings, one Python object
  at a time (`hash_pandas_object`, used for every row hash).
* `fresh_memory_s`: filling 512 MiB of newly allocated, not yet touched memory. This is
  mostly the cost of the kernel's page faults, which is what makes stores and loads of
  large frames slow on some virtual machines.

Each figure is the best of three tries, so a busy neighbour shows up less.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

TRIES = 3
LOOP_ADDITIONS = 10_000_000
HASHED_STRINGS = 1_000_000
FRESH_MEMORY_BYTES = 512 * 1024 * 1024


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The shortest of `repeat` timed calls of `work`, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def _python_loop() -> int:
    total = 0
    for i in range(LOOP_ADDITIONS):
        total += i
    return total


def _fresh_memory() -> None:
    # bytearray(n) gets its memory from the C allocator, which maps fresh pages for a
    # request this large; writing every byte touches each page once.
    buffer = bytearray(FRESH_MEMORY_BYTES)
    buffer[:] = b"\x01" * FRESH_MEMORY_BYTES


def reference_figures() -> dict[str, float]:
    """Seconds for each reference workload on this machine (about 10 s in all)."""
    strings = pd.Series([f"account-{i:09d}" for i in range(HASHED_STRINGS)], dtype=object)
    return {
        "python_loop_s": best_of(TRIES, _python_loop),
        "hash_strings_s": best_of(
            TRIES, lambda: pd.util.hash_pandas_object(strings, index=False, categorize=False)
        ),
        "fresh_memory_s": best_of(TRIES, _fresh_memory),
        "numpy_sum_s": best_of(TRIES, lambda: np.ones(50_000_000).sum()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    figures = reference_figures()
    for name, seconds in figures.items():
        print(f"{name:16s} {seconds:7.3f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
