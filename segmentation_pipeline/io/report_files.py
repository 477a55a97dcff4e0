"""Report files on disk (dashboard, CSM views, docs), written so that a reader never
sees half a file or a folder mixing two runs. They are meant to be shared (a web server,
a team drive), so they are readable by all like any file written with open()."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
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


def _check_name(name: str) -> None:
    if Path(name).name != name or name in ("", ".", ".."):
        raise ValueError(f"report file name must be a plain file name, got {name!r}")


def replace_folder(folder: Path, files: dict[str, str]) -> list[Path]:
    """Make `folder` hold exactly `files` (name -> text): build a sibling folder, then swap
    it in, so owners who left the book do not keep a stale page."""
    for name in files:
        _check_name(name)
    return write_folder(folder, files.items())


def _carry(source: Path, target: Path) -> None:
    """Hard-link an unchanged file into the new folder (files are never rewritten in
    place, so sharing the inode is safe); copy where links are not possible."""
    try:
        os.link(source, target)
    except OSError:
        if not source.is_file():
            raise
        shutil.copyfile(source, target)
        os.chmod(target, FILE_MODE)


Content = str | bytes | memoryview | Iterable["bytes | memoryview | FileSpan"]


def write_folder(
    folder: Path, files: Iterable[tuple[str, Content]], carry: Iterable[str] = ()
) -> list[Path]:
    """Make `folder` hold exactly `files` plus the `carry` files, writing each file as it
    comes so the caller can render them one at a time instead of holding all of them.

    `files` yields (name, content): text, UTF-8 bytes, or byte chunks written in order
    (a renderer's views, never joined into one string, and `FileSpan`s of earlier files);
    `carry` names files taken unchanged from the current `folder`. Everything goes into a
    sibling folder that is swapped in at the end: a reader never sees a half-written
    folder, and an error part-way (a bad name, a failing renderer, a missing file to
    carry) leaves the previous folder as it was.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    written: list[Path] = []
    seen: set[str] = set()

    def claim(name: str) -> Path:
        _check_name(name)
        if name in seen:
            raise ValueError(f"report file {name!r} given twice")
        seen.add(name)
        written.append(folder / name)
        return staging / name

    try:
        os.chmod(staging, FOLDER_MODE)
        for name in carry:
            _carry(folder / name, claim(name))
        for name, content in files:
            target = claim(name)
            with open(target, "wb", buffering=0) as handle:
                if isinstance(content, str):
                    content = content.encode("utf-8")
                single = isinstance(content, bytes | bytearray | memoryview | FileSpan)
                for part in [content] if single else content:
                    if isinstance(part, FileSpan):
                        part.copy_to(handle)
                    else:
                        _write_all(handle, part)
            os.chmod(target, FILE_MODE)
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
    return written


def read_json(path: Path) -> dict:
    """A small JSON object kept beside report files; {} when missing or unreadable (a lost
    manifest only costs a full rewrite)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def read_bytes(path: Path) -> bytes | None:
    """A file's bytes, or None when it is missing or unreadable."""
    try:
        return path.read_bytes()
    except OSError:
        return None


class FileBytes:
    """A file's bytes to be copied into another file rather than read: a slice of it is
    a `FileSpan`, which `write_folder` copies inside the kernel (`os.copy_file_range`)
    instead of paging it into this process and writing it out again (0.6 s against 2.0
    s for the 950 MB of CSM pages at a million accounts)."""

    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close(), after the copy
        self.size = os.fstat(self._file.fileno()).st_size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, span: slice) -> FileSpan:
        start, stop, step = span.indices(self.size)
        if step != 1:
            raise ValueError("a file span is contiguous")
        return FileSpan(self, start, max(start, stop))

    def fileno(self) -> int:
        return self._file.fileno()

    def read_at(self, offset: int, size: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class FileSpan:
    """Bytes [start, stop) of a `FileBytes`."""

    source: FileBytes
    start: int
    stop: int

    def copy_to(self, handle: io.RawIOBase) -> None:
        """Append these bytes to `handle` (an unbuffered file), in the kernel where the
        system can, else through a buffer."""
        offset, left = self.start, self.stop - self.start
        while left:
            copied = 0
            if hasattr(os, "copy_file_range"):
                try:
                    copied = os.copy_file_range(self.source.fileno(), handle.fileno(), left, offset)
                except OSError:  # not across these file systems: copy through a buffer
                    copied = 0
            if not copied:
                data = self.source.read_at(offset, min(left, _COPY_CHUNK))
                if not data:
                    raise OSError(f"file ended {left} bytes before the span it was sliced for")
                _write_all(handle, data)
                copied = len(data)
            offset, left = offset + copied, left - copied


_COPY_CHUNK = 1 << 20


def _write_all(handle: io.RawIOBase, data: bytes | bytearray | memoryview) -> None:
    """An unbuffered write may take only part of what it is given."""
    view = memoryview(data).cast("B")
    while len(view):
        view = view[handle.write(view) :]


# --- the executive dashboard: one current file, dated copies ---------------------------

CURRENT_DASHBOARD = "dashboard.html"
DASHBOARD_COPIES = "dashboard"
_COPY_PREFIX = "executive-dashboard-"


@dataclass(frozen=True)
class PublishedDashboard:
    current: Path
    copy: Path
    removed: list[Path]


def _month_number(name: str) -> int | None:
    """'executive-dashboard-2026-03.html' -> months since year 0; None for other names
    (the per-run files earlier versions wrote, 'executive-dashboard-2026-03-1a2b3c4d.html')."""
    stem = name.removeprefix(_COPY_PREFIX).removesuffix(".html")
    year, _, month = stem.partition("-")
    if not (len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
        return None
    return int(year) * 12 + int(month) - 1


def publish_dashboard(folder: Path, month: str, html: str, keep_months: int) -> PublishedDashboard:
    """Write the month's dashboard as `folder/dashboard/executive-dashboard-YYYY-MM.html`
    (a re-run of the month replaces it), make `folder/dashboard.html` the newest month's
    copy, and delete copies more than `keep_months` months older than the newest (and the
    per-run files of earlier versions). A re-run of an old month leaves the current file on
    the newest month."""
    copies = folder / DASHBOARD_COPIES
    copy = write_file(copies / f"{_COPY_PREFIX}{month[:7]}.html", html)
    dated = {p: _month_number(p.name) for p in copies.glob(f"{_COPY_PREFIX}*.html")}
    newest = max((n, p) for p, n in dated.items() if n is not None)[1]
    current = folder / CURRENT_DASHBOARD
    write_file(current, html if newest == copy else newest.read_text(encoding="utf-8"))
    cutoff = dated[newest] - keep_months
    removed = [p for p, n in dated.items() if n is None or n <= cutoff]
    for path in removed:
        path.unlink(missing_ok=True)
    return PublishedDashboard(current, copy, sorted(removed))
