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


def test_the_nightly_run_builds_the_account_teams_views_too():
    assets = nightly_assets(None)
    for name in ("csm_book_report", "csm_views", "framework_docs", "merge_candidates"):
        assert f"'{name}'" in assets


def asset_groups() -> dict[str, set[str]]:
    from segmentation_pipeline.definitions import defs

    groups: dict[str, set[str]] = {}
    for spec in defs.resolve_all_asset_specs():
        groups.setdefault(spec.group_name, set()).add(spec.key.to_user_string())
    return groups


def test_each_asset_group_fits_one_readable_lineage_graph():
    """docs/screenshots/operator.py's rule: no group holds more than 12 assets, so each
    group's lineage stays readable in the UI (docs/operating.md lists the groups)."""
    groups = asset_groups()
    assert {name: len(assets) for name, assets in groups.items() if len(assets) > 12} == {}
    assert set(groups) == {"inputs", "segmentation", "reports", "csm_and_revops", "review_and_sync"}


def test_cs_leaderships_reports_and_the_account_teams_views_are_two_groups():
    """`reports`: the executive dashboard with every table it shows and the other segment
    tables; `csm_and_revops`: each CSM's book and pages, the framework docs (the CSM quick
    reference) and RevOps's merge candidates."""
    from segmentation_pipeline.definitions import defs

    groups = asset_groups()
    assert groups["csm_and_revops"] == {
        "csm_book_report",
        "csm_views",
        "framework_docs",
        "merge_candidates",
    }
    dashboard = defs.resolve_assets_def("executive_dashboard")
    shown = {key.to_user_string() for key in dashboard.dependency_keys}
    assert shown | {"executive_dashboard"} <= groups["reports"]
    assert "segment_summary_report" in groups["reports"]
    assert "segment_migration_report" in groups["reports"]
