"""The report assets materialized in-process on a small generated CRM over two months:
every report table lands in the warehouse, the files land in the reports folder, and the
metadata links to them."""

import os
from pathlib import Path

import dagster as dg
import pytest

from segmentation_pipeline.defs.assets import ALL_ASSETS
from segmentation_pipeline.defs.assets.reports import (
    FRAMEWORK_VERSION,
    ReportFiles,
    framework_docs,
)
from segmentation_pipeline.defs.resources import (
    FileCrmResource,
    FirmographicsFileResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.sample_data import write_sample_crm

MONTHS = ("2026-09-01", "2026-10-01")
REPORT_TABLES = (
    "report_segment_summary",
    "report_customers_by_segment",
    "report_arr_by_segment",
    "report_segment_retention",
    "report_segment_health",
    "report_segment_migration",
    "report_csm_book",
    "report_outliers",
    "report_csm_capacity",
    "report_sub_segments",
    "report_segment_product_lines",
    "customer_activity",
)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports_pipeline")
    write_sample_crm(root / "crm", n_accounts=120, seed=7)
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    resources = {
        "framework": FrameworkResource(),
        "crm": FileCrmResource(folder=str(root / "crm")),
        "firmographics": FirmographicsFileResource(path=str(root / "crm" / "firmographics.csv")),
        "warehouse": WarehouseResource(url=url),
        "snapshots": SnapshotStoreResource(base_dir=str(root / "snapshots")),
    }
    files = ReportFiles(folder=str(root / "reports"))
    run_config = dg.RunConfig(ops={"csm_views": files, "executive_dashboard": files})
    partitioned = [a for a in ALL_ASSETS if a.partitions_def is not None]
    results = {}
    # Each run computes its whole chain; history crosses months only through the
    # warehouse, so in-memory IO and an ephemeral instance are enough (and fast).
    resources["io_manager"] = dg.InMemoryIOManager()
    with dg.DagsterInstance.ephemeral() as instance:
        for month in MONTHS:
            results[month] = dg.materialize(
                partitioned,
                partition_key=month,
                resources=resources,
                instance=instance,
                run_config=run_config,
            )
        # The same month again, nothing changed: the activity table keeps its rows.
        results["again"] = dg.materialize(
            partitioned,
            partition_key=MONTHS[1],
            resources=resources,
            instance=instance,
            run_config=run_config,
        )
        results["docs"] = dg.materialize(
            [framework_docs],
            resources=resources,
            instance=instance,
            run_config=dg.RunConfig(ops={"framework_docs": files}),
        )
    warehouse = Warehouse(url)
    yield {"root": root, "warehouse": warehouse, "results": results}
    warehouse.dispose()


def _metadata(result, asset_key):
    events = result.asset_materializations_for_node(asset_key)
    assert len(events) == 1
    return events[0].metadata


def test_every_report_table_holds_both_months(pipeline):
    assert all(r.success for r in pipeline["results"].values())
    for table in REPORT_TABLES:
        months = set(pipeline["warehouse"].read_table(table)["snapshot_month"])
        expected = set(MONTHS)
        if table in ("report_segment_retention", "report_segment_migration"):
            expected = {MONTHS[1]}  # the first month has no earlier month to compare with
        assert months == expected, table


def test_report_tables_agree_with_the_snapshots(pipeline):
    warehouse = pipeline["warehouse"]
    snapshots = warehouse.read_table("segment_snapshots")
    customers = warehouse.read_table("report_customers_by_segment")
    for month in MONTHS:
        base = customers[(customers["snapshot_month"] == month) & (customers["dimension"] == "all")]
        assert base["accounts"].sum() == (snapshots["snapshot_month"] == month).sum()
        by_industry = customers[
            (customers["snapshot_month"] == month) & (customers["dimension"] == "industry")
        ]
        assert by_industry["accounts"].sum() == base["accounts"].sum()
    retention = warehouse.read_table("report_segment_retention")
    overall = retention[retention["dimension"] == "all"]
    assert (overall["cohort_month"] == MONTHS[0]).all()
    september = warehouse.read_table("customer_activity").query("snapshot_month == @MONTHS[0]")
    assert overall["cohort_accounts"].sum() == september["active"].astype(bool).sum()
    assert ((overall["grr"] <= 1) | overall["grr"].isna()).all()


def test_a_rerun_of_an_unchanged_month_rewrites_no_activity_row(pipeline):
    first = _metadata(pipeline["results"][MONTHS[1]], "customer_activity_history")
    again = _metadata(pipeline["results"]["again"], "customer_activity_history")
    assert first["rows_written"].value == first["dagster/row_count"].value
    assert again["rows_written"].value == 0
    assert again["rows_unchanged"].value == first["rows_written"].value
    stored = pipeline["warehouse"].read_table("customer_activity")
    assert (stored["snapshot_month"] == MONTHS[1]).sum() == first["rows_written"].value


def test_a_rerun_of_an_unchanged_month_rewrites_no_outlier_row(pipeline):
    first = _metadata(pipeline["results"][MONTHS[1]], "outliers_report")
    again = _metadata(pipeline["results"]["again"], "outliers_report")
    assert first["rows_written"].value == first["dagster/row_count"].value > 0
    assert again["rows_written"].value == 0
    assert again["rows_unchanged"].value == again["dagster/row_count"].value
    stored = pipeline["warehouse"].read_table("report_outliers")
    assert (stored["snapshot_month"] == MONTHS[1]).sum() == again["dagster/row_count"].value


def test_report_assets_carry_a_markdown_preview(pipeline):
    result = pipeline["results"][MONTHS[1]]
    for key in ("customers_by_segment_report", "segment_retention_report", "csm_book_report"):
        preview = _metadata(result, key)["preview"].value
        assert preview.startswith("| segment") or preview.startswith("| owner_id"), key
    migration = _metadata(result, "segment_migration_report")["preview"].value
    assert migration.startswith("| from_segment")
    starts = {
        "outliers_report": ["rule", "segment", "accounts", "arr"],
        "csm_capacity_report": ["owner_id", "owner", "accounts", "arr"],
        "sub_segments_report": ["segment", "tier_label", "sub_segment"],
        "segment_product_lines_report": ["segment", "tier_label", "product"],
    }
    for key, start in starts.items():
        header = _metadata(result, key)["preview"].value.splitlines()[0]
        assert [cell.strip() for cell in header.strip("|").split("|")][: len(start)] == start


def test_the_dashboard_is_written_and_linked_from_metadata(pipeline):
    metadata = _metadata(pipeline["results"][MONTHS[1]], "executive_dashboard")
    path = Path(metadata["dashboard"].value)
    assert path == pipeline["root"] / "reports" / "dashboard.html"
    assert metadata["dashboard_url"].value == path.as_uri()
    copies = sorted(p.name for p in (pipeline["root"] / "reports" / "dashboard").iterdir())
    # Three runs (September, October, October again): one dated copy per month.
    assert copies == ["executive-dashboard-2026-09.html", "executive-dashboard-2026-10.html"]
    assert Path(metadata["dated_copy"].value).name == "executive-dashboard-2026-10.html"
    page = path.read_text()
    assert '"months":["2026-09","2026-10"]' in page
    assert "cdn.plot.ly/plotly" not in page.split("<script")[0]
    for panel in ("health", "sub-segments", "outliers", "capacity", "product-lines"):
        assert f'id="panel-{panel}"' in page, panel


def test_the_playbook_reports_agree_with_the_snapshots(pipeline):
    warehouse = pipeline["warehouse"]
    snapshots = warehouse.read_table("segment_snapshots").query("snapshot_month == @MONTHS[1]")
    capacity = warehouse.read_table("report_csm_capacity").query("snapshot_month == @MONTHS[1]")
    owners = capacity[capacity["load"].notna()]
    assert owners["accounts"].sum() == len(snapshots)
    assert owners["owner_id"].nunique() == len(owners)
    outliers = warehouse.read_table("report_outliers").query("snapshot_month == @MONTHS[1]")
    tier3 = snapshots[(snapshots["segment"] == "Tier 3") & (snapshots["arr"] >= 100_000)]
    high = outliers[
        (outliers["rule"] == "arr_high_for_segment") & (outliers["segment"] == "Tier 3")
    ]
    assert sorted(high["account_id"]) == sorted(tier3["account_id"])
    subs = warehouse.read_table("report_sub_segments").query("snapshot_month == @MONTHS[1]")
    assert subs["accounts"].sum() == (snapshots["segment"] == "Tier 1").sum()


def test_csm_views_and_docs_are_written_and_linked(pipeline):
    csm = _metadata(pipeline["results"][MONTHS[1]], "csm_views")
    index = Path(csm["index"].value)
    assert index == pipeline["root"] / "reports" / "csm" / "2026-10" / "index.html"
    assert len(list(index.parent.glob("*.csv"))) == csm["owners"].value

    docs = _metadata(pipeline["results"]["docs"], "framework_docs")
    assert docs["framework_version"].value == FRAMEWORK_VERSION
    assert Path(docs["index"].value).exists()
    assert "Tier 1" in docs["segment_definitions"].value


def test_framework_docs_are_versioned_by_the_framework_and_regenerate_on_change(tmp_path):
    spec = framework_docs.specs_by_key[dg.AssetKey("framework_docs")]
    assert spec.code_version == FRAMEWORK_VERSION
    resources = {"framework": FrameworkResource()}
    run_config = dg.RunConfig(ops={"framework_docs": ReportFiles(folder=str(tmp_path))})
    bumped = framework_docs.map_asset_specs(
        lambda s: s.replace_attributes(code_version=f"{FRAMEWORK_VERSION}-next")
    )

    def requested(assets, cursor):
        result = dg.evaluate_automation_conditions(
            defs=dg.Definitions(assets=[assets], resources=resources),
            instance=instance,
            cursor=cursor,
        )
        return result.total_requested, result.cursor

    with dg.instance_for_test() as instance:
        count, cursor = requested(framework_docs, None)
        assert count == 0  # first deployment: the nightly job generates them
        dg.materialize(
            [framework_docs], resources=resources, instance=instance, run_config=run_config
        )
        count, cursor = requested(framework_docs, cursor)
        assert count == 0  # up to date
        count, cursor = requested(bumped, cursor)
        assert count == 1  # the framework version changed: regenerate
        count, cursor = requested(bumped, cursor)
        assert count == 0  # once


def test_the_definitions_load_with_every_report_asset():
    from segmentation_pipeline.definitions import defs

    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "segment_summary_report",
        "executive_dashboard",
        "csm_views",
        "framework_docs",
        "segment_retention_report",
        "segment_migration_report",
    } <= keys
    job = defs.resolve_job_def("segmentation_job")
    assert "executive_dashboard" in {n.name for n in job.graph.nodes}


def test_csm_views_rerun_rewrites_the_folder_with_the_changed_rows(tmp_path):
    from segmentation_pipeline.core.csm_views import owner_slug
    from segmentation_pipeline.defs.assets.reports import csm_views
    from segmentation_pipeline.defs.partitions import monthly_partitions
    from tests.core.reports.history import FEB, snapshot

    current = {"frame": snapshot(FEB)}

    @dg.asset(name="segment_assignments", partitions_def=monthly_partitions)
    def fake_assignments():
        return current["frame"]

    resources = {
        "warehouse": WarehouseResource(url=f"sqlite:///{tmp_path / 'w.sqlite'}"),
        "framework": FrameworkResource(),
        "io_manager": dg.InMemoryIOManager(),
    }
    run_config = dg.RunConfig(ops={"csm_views": ReportFiles(folder=str(tmp_path / "reports"))})

    def run():
        result = dg.materialize(
            [fake_assignments, csm_views],
            partition_key=FEB,
            resources=resources,
            run_config=run_config,
        )
        return _metadata(result, "csm_views")

    first = run()
    folder = tmp_path / "reports" / "csm" / FEB[:7]
    # index + a page and a CSV for csm-1, csm-2 and the unassigned accounts
    assert first["files"].value == 7 == len(os.listdir(folder))

    changed = snapshot(FEB)
    changed.loc[changed["account_id"] == "A1", "name"] = 'Renamed "Co" <b>'
    changed = changed[changed["owner_id"].notna()]  # the unassigned account is gone
    current["frame"] = changed
    second = run()
    assert second["files"].value == 5
    written = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    owners = [owner_slug(o) for o in ("csm-1", "csm-2")]
    assert set(written) == {"index.html"} | {f"{o}.{e}" for o in owners for e in ("html", "csv")}
    assert "Renamed &quot;Co&quot; &lt;b&gt;" in written[f"{owners[0]}.html"]
    assert sorted(os.listdir(folder.parent)) == [FEB[:7]]
