"""Report files: atomic writes, folders swapped whole, old dashboards pruned."""

import os
import stat
import time

import pytest

from segmentation_pipeline.io.report_files import (
    publish_dashboard,
    write_file,
    write_folder,
)


def test_write_file_creates_folders_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a" / "b" / "page.html"
    write_file(target, "<p>one</p>")
    write_file(target, "<p>two</p>")
    assert target.read_text() == "<p>two</p>"
    assert os.listdir(target.parent) == ["page.html"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_write_folder_keeps_exactly_the_new_files(tmp_path):
    folder = tmp_path / "csm" / "2026-11"
    write_folder(folder, {"index.html": "1", "gone.html": "x"}.items())
    write_folder(folder, {"index.html": "2", "owner.csv": "a,b"}.items())
    assert sorted(os.listdir(folder)) == ["index.html", "owner.csv"]
    assert (folder / "index.html").read_text() == "2"
    assert sorted(os.listdir(folder.parent)) == ["2026-11"]  # nothing left behind
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_write_folder_refuses_paths_and_keeps_the_old_folder(tmp_path):
    folder = tmp_path / "docs"
    write_folder(folder, {"index.html": "old"}.items())
    with pytest.raises(ValueError, match="plain file name"):
        write_folder(folder, {"../escape.html": "x"}.items())
    assert (folder / "index.html").read_text() == "old"
    assert not (tmp_path / "escape.html").exists()


def test_one_current_dashboard_and_one_dated_copy_per_month_kept_for_n_months(tmp_path):
    copies = tmp_path / "dashboard"
    copies.mkdir()
    (copies / "executive-dashboard-2026-03-1a2b3c4d.html").write_text("an earlier per-run file")
    for month in ("2026-01", "2026-02", "2026-03"):
        publish_dashboard(tmp_path, f"{month}-01", f"<p>{month}</p>", keep_months=2)
    # A re-run of March replaces March's copy; keep 2 months: February and March.
    published = publish_dashboard(tmp_path, "2026-03-01", "<p>2026-03 again</p>", keep_months=2)
    assert published.current == tmp_path / "dashboard.html"
    assert published.current.read_text() == "<p>2026-03 again</p>"
    assert sorted(os.listdir(copies)) == [
        "executive-dashboard-2026-02.html",
        "executive-dashboard-2026-03.html",
    ]


def test_a_rerun_of_an_older_month_leaves_the_current_dashboard_on_the_newest(tmp_path):
    publish_dashboard(tmp_path, "2026-05-01", "<p>May</p>", keep_months=12)
    published = publish_dashboard(tmp_path, "2026-04-01", "<p>April</p>", keep_months=12)
    assert published.copy.name == "executive-dashboard-2026-04.html"
    assert published.copy.read_text() == "<p>April</p>"
    assert (tmp_path / "dashboard.html").read_text() == "<p>May</p>"
    assert published.removed == []


def test_copies_older_than_the_kept_months_go(tmp_path):
    publish_dashboard(tmp_path, "2025-12-01", "old", keep_months=1)
    published = publish_dashboard(tmp_path, "2026-01-01", "new", keep_months=1)
    assert [p.name for p in published.removed] == ["executive-dashboard-2025-12.html"]


def test_a_backfill_older_than_the_kept_months_keeps_its_copy_until_a_later_publish(tmp_path):
    publish_dashboard(tmp_path, "2026-06-01", "June", keep_months=2)
    published = publish_dashboard(tmp_path, "2025-01-01", "January", keep_months=2)
    assert published.copy.read_text() == "January" and published.removed == []
    assert (tmp_path / "dashboard.html").read_text() == "June"
    later = publish_dashboard(tmp_path, "2026-07-01", "July", keep_months=2)
    assert [p.name for p in later.removed] == ["executive-dashboard-2025-01.html"]


def test_the_size_reported_is_the_size_written_though_a_later_publish_removed_the_copy(
    tmp_path,
):
    # A backfill of an old month beside the nightly run: the nightly publish may prune the
    # backfill's copy before the backfill reports it.
    publish_dashboard(tmp_path, "2026-06-01", "June", keep_months=2)
    backfill = publish_dashboard(tmp_path, "2025-01-01", "Janvier é", keep_months=2)
    publish_dashboard(tmp_path, "2026-07-01", "July", keep_months=2)
    assert not backfill.copy.exists()
    assert backfill.size_bytes == len("Janvier é".encode())


def test_write_folder_streams_text_and_bytes_and_swaps_the_folder_whole(tmp_path):
    folder = tmp_path / "csm" / "2026-11"
    write_folder(folder, [("old.html", "x")])
    written = write_folder(
        folder, iter([("index.html", "é"), ("a.csv", b'"a"\n'), ("p.html", "<p>two</p>")])
    )
    assert sorted(os.listdir(folder)) == ["a.csv", "index.html", "p.html"]
    assert (folder / "p.html").read_bytes() == b"<p>two</p>"
    assert (folder / "index.html").read_text(encoding="utf-8") == "é"
    assert written == [folder / "index.html", folder / "a.csv", folder / "p.html"]
    assert sorted(os.listdir(folder.parent)) == ["2026-11"]


def test_a_crash_while_streaming_leaves_the_previous_folder(tmp_path):
    folder = tmp_path / "csm"
    write_folder(folder, [("index.html", "old"), ("a.html", "old a")])

    def pages():
        yield "index.html", "new"
        raise RuntimeError("renderer died half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        write_folder(folder, pages())
    assert sorted(os.listdir(folder)) == ["a.html", "index.html"]
    assert (folder / "index.html").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["csm"]  # no staging folder left behind


def test_a_name_given_twice_fails_and_keeps_the_old_folder(tmp_path):
    folder = tmp_path / "csm"
    write_folder(folder, [("index.html", "old")])
    with pytest.raises(ValueError, match="twice"):
        write_folder(folder, [("index.html", "new"), ("index.html", "again")])
    assert (folder / "index.html").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["csm"]


def test_swap_folders_a_killed_run_left_are_removed_by_the_next_write(tmp_path):
    """A run killed between making its staging folder and swapping it in leaves a hidden
    copy of the book; the next write removes it once it is clearly abandoned, and leaves
    a fresh one (another run may be writing it) alone."""
    folder = tmp_path / "csm" / "2026-10"
    write_folder(folder, [("index.html", "old")])
    abandoned = [folder.with_name(".2026-10.k1ll3d"), folder.with_name(".2026-10.old-.2026-10.x")]
    fresh = folder.with_name(".2026-10.wr1t1ng")
    for left in [*abandoned, fresh]:
        left.mkdir()
        (left / "index.html").write_text("half")
    hours_ago = time.time() - 2 * 3600
    for left in abandoned:
        os.utime(left, (hours_ago, hours_ago))
    write_folder(folder, [("index.html", "new")])
    assert sorted(p.name for p in folder.parent.iterdir()) == [fresh.name, "2026-10"]
    assert (folder / "index.html").read_text() == "new"
