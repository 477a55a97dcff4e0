"""Report files: atomic writes, folders swapped whole, old dashboards pruned."""

import os
import stat

import pytest

from segmentation_pipeline.io.report_files import prune_files, replace_folder, write_file


def test_write_file_creates_folders_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a" / "b" / "page.html"
    write_file(target, "<p>one</p>")
    write_file(target, "<p>two</p>")
    assert target.read_text() == "<p>two</p>"
    assert os.listdir(target.parent) == ["page.html"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_replace_folder_keeps_exactly_the_new_files(tmp_path):
    folder = tmp_path / "csm" / "2026-11"
    replace_folder(folder, {"index.html": "1", "gone.html": "x"})
    replace_folder(folder, {"index.html": "2", "owner.csv": "a,b"})
    assert sorted(os.listdir(folder)) == ["index.html", "owner.csv"]
    assert (folder / "index.html").read_text() == "2"
    assert sorted(os.listdir(folder.parent)) == ["2026-11"]  # nothing left behind
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_replace_folder_refuses_paths_and_keeps_the_old_folder(tmp_path):
    folder = tmp_path / "docs"
    replace_folder(folder, {"index.html": "old"})
    with pytest.raises(ValueError, match="plain file name"):
        replace_folder(folder, {"../escape.html": "x"})
    assert (folder / "index.html").read_text() == "old"
    assert not (tmp_path / "escape.html").exists()


def test_prune_keeps_the_newest(tmp_path):
    for i in range(4):
        path = tmp_path / f"executive-dashboard-2026-11-run{i}.html"
        path.write_text(str(i))
        os.utime(path, (1000 + i, 1000 + i))
    (tmp_path / "executive-dashboard-2026-10-run9.html").write_text("other month")
    gone = prune_files(tmp_path, "executive-dashboard-2026-11-*.html", keep=2)
    assert sorted(p.name for p in gone) == [
        "executive-dashboard-2026-11-run0.html",
        "executive-dashboard-2026-11-run1.html",
    ]
    assert len(list(tmp_path.iterdir())) == 3
