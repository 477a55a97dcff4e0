"""What an operator sees on the bundled sample, as a check anyone can rerun.

    python docs/screenshots/operator.py            # writes docs/screenshots/*.png

1. runs `segmentation-pipeline run` for two months on the bundled sample into a fresh
   SEGMENTATION_HOME (a temporary folder unless --home is given);
2. starts the Dagster webserver on that instance (`dagster-webserver`, no daemon, so no
   sensor or schedule fires while it looks);
3. reads the asset graph over GraphQL and prints each group with its assets and their
   partitions (materialized / total): what the catalog shows;
4. screenshots the global lineage, one group's lineage, the catalog and the partitions of
   `segment_assignments` in headless Chromium (Debian's /usr/bin/chromium driven by
   Playwright, the dev dependency the browser tests use).

It exits non-zero when a run fails, when a group holds more than MAX_ASSETS_PER_GROUP
assets or when a monthly asset shows a month that is neither materialized nor the open
month (the "23 missing" the catalog once showed).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
MONTHS = ("2026-11", "2026-12")
LOCATION = "segmentation_pipeline"  # workspace.yaml's location_name
MAX_ASSETS_PER_GROUP = 12
VIEWPORT = {"width": 1600, "height": 1000}

ASSET_GRAPH = """
{
  assetNodes {
    assetKey { path }
    groupName
    isPartitioned
    partitionStats { numMaterialized numPartitions numFailed }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_months(env: dict[str, str]) -> None:
    for month in MONTHS:
        done = subprocess.run(
            [sys.executable, "-m", "segmentation_pipeline.cli", "run", "--month", month],
            env=env,
            capture_output=True,
            text=True,
        )
        last = done.stdout.strip().splitlines()
        print(f"run {month}: exit {done.returncode}; {next((x for x in last if 'run ' in x), '')}")
        if done.returncode != 0:
            sys.exit(done.stdout[-2000:] + done.stderr[-2000:])


def wait_for(url: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    sys.exit(f"the webserver did not answer at {url} within {seconds:.0f} s")


def graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        body = json.load(answer)
    if body.get("errors"):
        sys.exit(f"GraphQL errors: {body['errors']}")
    return body["data"]


def describe_graph(nodes: list[dict]) -> list[str]:
    """Print groups, assets and partitions; return what an operator would find alarming."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for node in nodes:
        groups[node["groupName"]].append(node)
    problems = []
    print(f"\n{len(nodes)} assets in {len(groups)} groups")
    for group, members in sorted(groups.items()):
        print(f"\n[{group}] {len(members)} assets")
        if len(members) > MAX_ASSETS_PER_GROUP:
            problems.append(f"group {group} holds {len(members)} assets")
        for node in sorted(members, key=lambda n: n["assetKey"]["path"]):
            name = "/".join(node["assetKey"]["path"])
            stats = node["partitionStats"]
            if not node["isPartitioned"] or stats is None:
                print(f"  {name}")
                continue
            done, total = stats["numMaterialized"], stats["numPartitions"]
            print(f"  {name}: {done}/{total} months materialized, {stats['numFailed']} failed")
            # The open month's next partition (end_offset=1) may stay unbuilt; no other.
            if done and total - done > 1:
                problems.append(f"{name} shows {total - done} unbuilt months")
    return problems


def screenshots(base: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = {
        "operator-lineage.png": f"{base}/asset-groups",
        "operator-lineage-segmentation.png": (
            f"{base}/locations/{LOCATION}/asset-groups/segmentation"
        ),
        "operator-catalog.png": f"{base}/assets",
        "operator-partitions.png": (
            f"{base}/assets/segment_assignments?view=partitions&partition={MONTHS[-1]}-01"
        ),
    }
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport=VIEWPORT)
        for name, url in shots.items():
            page.goto(url, wait_until="networkidle", timeout=120_000)
            skip = page.get_by_role("button", name="Skip")  # the first visit's newsletter box
            if skip.count():
                skip.first.click()
            page.wait_for_timeout(4000)  # the graph lays itself out after the data arrives
            path = OUT / name
            page.screenshot(path=str(path))
            written.append(path)
            print(f"screenshot {url} -> {path.relative_to(REPO)}")
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="SEGMENTATION_HOME to use (default: a temporary one)")
    args = parser.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="segmentation-operator-")).resolve()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SEGMENTATION_", "DAGSTER_"))},
        "SEGMENTATION_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    run_months(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["dagster-webserver", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1"]
        + ["-p", str(port)],
        env=env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"{base}/server_info")
        problems = describe_graph(graphql(base, ASSET_GRAPH)["assetNodes"])
        screenshots(base)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
