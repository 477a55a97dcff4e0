"""Benchmark: storing `segment_assignments` between steps, Arrow IPC against Parquet.

Builds the assignments of N accounts with `assignment.py`'s generator and the real
`assign_segments`, then writes and reads them back on local disk: the IO manager's own
Arrow IPC files (`io.frame_files`, memory-mapped on reading), the same with lz4, and
Parquet (snappy). Prints CPU seconds (best of --repeat) and file sizes as JSON.

    python benchmarks/frame_files.py --n 1000000 --out benchmarks/results/frame_files.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout

from assignment import AS_OF, make_accounts, make_usage, prior_state  # noqa: E402
from columns import report  # noqa: E402

from segmentation_pipeline.core.assignment import assign_segments  # noqa: E402
from segmentation_pipeline.core.scoring import score_accounts  # noqa: E402
from segmentation_pipeline.framework import load_framework  # noqa: E402
from segmentation_pipeline.io.frame_files import (  # noqa: E402
    from_table,
    read_frame,
    to_table,
    write_frame,
)


def _ipc_lz4_write(frame: pd.DataFrame, path: Path) -> None:
    table = to_table(frame)
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with (
        pa.OSFile(str(path), "wb") as sink,
        pa.ipc.new_file(sink, table.schema, options=options) as w,
    ):
        w.write_table(table)


def _ipc_lz4_read(path: Path) -> pd.DataFrame:
    with pa.memory_map(str(path), "r") as source:
        return from_table(pa.ipc.open_file(source).read_all())


FORMATS = {
    "arrow_ipc": (lambda f, p: write_frame(f, UPath(p)), lambda p: read_frame(UPath(p))),
    "arrow_ipc_lz4": (_ipc_lz4_write, _ipc_lz4_read),
    "parquet": (
        lambda f, p: pq.write_table(to_table(f), str(p)),
        lambda p: from_table(pq.read_table(str(p))),
    ),
}


def cpu(work, *args):
    start = time.process_time()
    value = work(*args)
    return time.process_time() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/frame_files.json")
    args = parser.parse_args()
    rng = np.random.default_rng(20261101)
    accounts = make_accounts(args.n, rng)
    scores = score_accounts(accounts, make_usage(accounts, rng), load_framework(), AS_OF)
    frame = assign_segments(
        accounts, scores, load_framework(), prior_state(accounts, rng), AS_OF
    ).reset_index(drop=True)
    result: dict = {"benchmark": "frame_files", "rows": len(frame), "columns": frame.shape[1]}
    with tempfile.TemporaryDirectory() as folder:
        for name, (write, read) in FORMATS.items():
            path = Path(folder) / name
            writes, reads = [], []
            for _ in range(args.repeat):
                writes.append(cpu(write, frame, path)[0])
                seconds, back = cpu(read, path)
                reads.append(seconds)
            pd.testing.assert_frame_equal(back, frame)
            result[name] = {
                "write_cpu_s": round(min(writes), 3),
                "read_cpu_s": round(min(reads), 3),
                "mb": round(path.stat().st_size / 2**20, 1),
            }
    report(result, args.out)


if __name__ == "__main__":
    main()
