"""Regenerate the screenshots in docs/ (docs/reporting.md shows them): run the nightly job
on the bundled sample CRM for one month into a scratch SEGMENTATION_HOME, then open the
current executive dashboard and one CSM view in headless Chromium and save full-page PNGs.

    python scripts/docs_screenshots.py            # docs/img/*.png, month 2026-10
    python scripts/docs_screenshots.py --home /tmp/seg --keep   # keep the run's files

Needs the [dev] extra (playwright) and a Chromium at /usr/bin/chromium (or --chromium).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "img"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def run_sample(home: Path, month: str) -> Path:
    """`segmentation-pipeline run` on the sample, as the README runs it; the reports folder."""
    env = {**os.environ, "SEGMENTATION_HOME": str(home), "PYTHONPATH": str(REPO)}
    for name in ("DAGSTER_HOME", "SEGMENTATION_WAREHOUSE_URL", "SEGMENTATION_REPORTS_DIR"):
        env.pop(name, None)
    command = [sys.executable, "-m", "segmentation_pipeline.cli", "run", "--month", month]
    done = subprocess.run(command, env=env, cwd=home, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the sample run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return home / "reports"


def one_csm_view(reports: Path, month: str) -> Path:
    """The CSM page with the most accounts (the largest file), a realistic book."""
    pages = [p for p in (reports / "csm" / month).glob("*.html") if p.name != "index.html"]
    return max(pages, key=lambda p: (p.stat().st_size, p.name))


def screenshot(browser, page_file: Path, target: Path, width: int, height: int | None) -> None:
    page = browser.new_page(viewport={"width": width, "height": height or 900})
    page.goto(page_file.resolve().as_uri())
    page.wait_for_load_state("networkidle")
    if page_file.name == "dashboard.html":
        page.wait_for_function("document.body.dataset.renders >= 1")
    page.screenshot(path=str(target), full_page=height is None)
    page.close()
    print(f"wrote {target.relative_to(REPO)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--home", type=Path, help="scratch SEGMENTATION_HOME (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch home")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="segmentation-screenshots-"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        reports = run_sample(home, args.month)
        from playwright.sync_api import sync_playwright

        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
            screenshot(browser, reports / "dashboard.html", OUT / "dashboard.png", 1440, None)
            csm = one_csm_view(reports, args.month)
            # The top of a CSM's page: the summary and the first rows of the book.
            screenshot(browser, csm, OUT / "csm-view.png", 1440, 1100)
            browser.close()
    finally:
        if not args.keep and args.home is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
