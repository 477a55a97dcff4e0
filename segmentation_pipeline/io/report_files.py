"""Report files on disk (dashboard, CSM views, docs), written so that a reader never
sees half a file or a folder mixing two runs. They are meant to be shared (a web server,
a team drive), so they are readable by all like any file written with open()."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# mkstemp / mkdtemp create private files and folders; reports are for sharing.
FILE_MODE = 0o644
FOLDER_MODE = 0o755


def write_file(path: Path, text: str) -> Path:
    """Write `text` next to `path` first, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replace_folder(folder: Path, files: dict[str, str]) -> list[Path]:
    """Make `folder` hold exactly `files` (name -> text): build a sibling folder, then swap
    it in, so owners who left the book do not keep a stale page."""
    for name in files:
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"report file name must be a plain file name, got {name!r}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        os.chmod(staging, FOLDER_MODE)
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        retired = None
        if folder.exists():
            retired = folder.with_name(f".{folder.name}.old-{staging.name}")
            folder.rename(retired)
        staging.rename(folder)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / name for name in files]


def prune_files(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the `keep` newest files matching `pattern`; returns what went."""
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    gone = found[keep:]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone
