"""Which assets the nightly job runs depends on the CRM it is configured for."""

import os
import subprocess
import sys

PROBE = (
    "from segmentation_pipeline.definitions import defs;"
    "job = defs.resolve_job_def('segmentation_job');"
    "print(sorted(k.to_user_string() for k in job.asset_layer.executable_asset_keys))"
)


def nightly_assets(crm: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SEGMENTATION_CRM"}
    if crm:
        env["SEGMENTATION_CRM"] = crm
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_the_file_crm_nightly_run_stops_at_warehouse_and_reports():
    assets = nightly_assets(None)
    assert "'segment_assignments'" in assets and "'executive_dashboard'" in assets
    assert "crm_segment_sync" not in assets


def test_with_salesforce_the_nightly_run_ends_with_the_write_back():
    assert "'crm_segment_sync'" in nightly_assets("salesforce")
