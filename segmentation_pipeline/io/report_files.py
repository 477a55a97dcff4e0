"""Report files on disk (dashboard, CSM views, docs), written so that a reader never
sees half a file or a folder mixing two runs. They are meant to be shared (a web server,
a team drive), so they are readable by all like any file written with open()."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# mkstemp / mkdtemp create private files and folders; reports are for sharing.
FILE_MODE = 0o644
FOLDER_MODE = 0o755
# A swap's sibling folder older than this is what a killed run left: no write of a folder
# takes this long, so removing it never pulls one from under a run still writing.
ABANDONED_AFTER_SECONDS = 3600


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


def write_folder(folder: Path, files: Iterable[tuple[str, str | bytes]]) -> list[Path]:
    """Make `folder` hold exactly `files`, writing each file as it comes so the caller can
    render them one at a time instead of holding all of them; owners who left the book
    keep no stale page.

    `files` yields (name, content): text or UTF-8 bytes. Everything goes into a sibling
    folder that is swapped in at the end: a reader never sees a half-written folder, and
    an error part-way (a bad name, a failing renderer) leaves the previous folder as it
    was.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_swaps(folder)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    written: list[Path] = []
    seen: set[str] = set()
    try:
        os.chmod(staging, FOLDER_MODE)
        for name, content in files:
            _check_name(name)
            if name in seen:
                raise ValueError(f"report file {name!r} given twice")
            seen.add(name)
            written.append(folder / name)
            target = staging / name
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
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


def _remove_abandoned_swaps(folder: Path) -> None:
    """The staging and retired siblings (`.<name>.*`) a run killed mid-swap left behind:
    hidden, and never removed otherwise, each held a whole copy of the folder."""
    cutoff = time.time() - ABANDONED_AFTER_SECONDS
    for sibling in folder.parent.glob(f".{folder.name}.*"):
        if sibling.is_dir() and sibling.stat().st_mtime < cutoff:
            shutil.rmtree(sibling, ignore_errors=True)


# --- the executive dashboard: one current file, dated copies ---------------------------

CURRENT_DASHBOARD = "dashboard.html"
DASHBOARD_COPIES = "dashboard"
_COPY_PREFIX = "executive-dashboard-"


@dataclass(frozen=True)
class PublishedDashboard:
    current: Path
    copy: Path
    removed: list[Path]
    size_bytes: int  # of the copy as written: a later month's publish may remove it at once


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
    dated[copy] = _month_number(copy.name)  # though another run's publish removed it already
    newest = max((n, p) for p, n in dated.items() if n is not None)[1]
    current = folder / CURRENT_DASHBOARD
    try:
        text = html if newest == copy else newest.read_text(encoding="utf-8")
    except FileNotFoundError:  # another run's publish removed it meanwhile: ours is current
        text = html
    write_file(current, text)
    cutoff = dated[newest] - keep_months
    # The copy just written stays even when it is older than the kept months (a backfill
    # of an old month): the run reports it; the next publish of a later month removes it.
    removed = [p for p, n in dated.items() if p != copy and (n is None or n <= cutoff)]
    for path in removed:
        path.unlink(missing_ok=True)
    return PublishedDashboard(current, copy, sorted(removed), len(html.encode("utf-8")))
