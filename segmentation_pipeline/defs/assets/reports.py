"""Reports people look at: report tables in the warehouse, the executive dashboard, CSM
views and the framework docs.

Two asset groups, by who reads them: `reports`, CS leadership's (the segment, ARR,
retention, health, migration and playbook tables, and the executive dashboard with every
table it shows), and `csm_and_revops`, what the account teams work from (each CSM's book
and pages, the framework docs with the CSM quick reference, and RevOps's merge candidates,
defined with the Salesforce assets). The nightly job runs both.

Each report table is one asset writing one warehouse table keyed by `snapshot_month`,
with a markdown preview of its segment-level rows in the metadata. The files (dashboard,
CSM views, docs) go under the reports folder and are linked from the metadata.
"""

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.csm_views import (
    CSM_VIEW_COLUMNS,
    ViewSettings,
    account_cells,
    iter_csm_view_files,
    view_settings,
)
from segmentation_pipeline.core.dashboard import dashboard_html
from segmentation_pipeline.core.dashboard_panels import (
    MAX_PANEL_ROWS,
    capacity_panel,
    health_panel,
    outlier_panel,
    product_line_panel,
    sub_segment_panel,
)
from segmentation_pipeline.core.docs import render_documents
from segmentation_pipeline.core.merged_usage import attributed_usage
from segmentation_pipeline.core.reports import (
    ALL_DIMENSION,
    BOOK_INPUT_COLUMNS,
    CSM_ACCOUNT_COLUMNS,
    arr_by_segment,
    csm_accounts,
    csm_book,
    customer_activity,
    customers_by_segment,
    folded_into,
    health_by_segment,
    migration_matrix,
    migration_pivot,
    pending_moves,
    segment_retention,
    segment_summary,
    shift_month,
)
from segmentation_pipeline.core.reports.book import PENDING_MOVE_COLUMNS
from segmentation_pipeline.core.reports.capacity import (
    CAPACITY_INPUT_COLUMNS,
    capacity_summary,
    csm_capacity,
)
from segmentation_pipeline.core.reports.outliers import (
    COUNTED_COLUMNS,
    OUTLIER_INPUT_COLUMNS,
    outlier_counts,
    outliers,
)
from segmentation_pipeline.core.reports.product_lines import segment_product_lines
from segmentation_pipeline.core.reports.retention import ACTIVITY_INPUT_COLUMNS
from segmentation_pipeline.core.reports.sub_segments import (
    SUB_SEGMENT_INPUT_COLUMNS,
    sub_segment_distribution,
)
from segmentation_pipeline.core.schema import UNSEGMENTED
from segmentation_pipeline.defs.assets._metadata import frame_metadata
from segmentation_pipeline.defs.assets.warehouse import SNAPSHOT_COLUMN, warehouse_segments
from segmentation_pipeline.defs.partitions import (
    FRAMEWORK_VERSION,
    monthly_partitions,
    run_as_of,
    run_as_of_day,
)
from segmentation_pipeline.defs.resources import HOME, FrameworkResource, WarehouseResource
from segmentation_pipeline.framework import Framework
from segmentation_pipeline.io.report_files import publish_dashboard, write_folder
from segmentation_pipeline.io.warehouse import Warehouse
from segmentation_pipeline.io.warehouse_partitions import (
    read_partition,
    store_partition,
)

# The docs are a function of the framework alone: their code version is its version, so
# a framework change marks them stale and the automation condition regenerates them at
# once; the nightly job regenerates them too (their group is one it runs).

REPORT = {"group_name": "reports", "partitions_def": monthly_partitions}
TEAM_REPORT = {"group_name": "csm_and_revops", "partitions_def": monthly_partitions}


class ReportFiles(dg.Config):
    """Where the dashboard, CSM views and docs are written: SEGMENTATION_REPORTS_DIR, else
    SEGMENTATION_HOME/reports; a run can point one asset elsewhere in its run config."""

    folder: str = os.environ.get("SEGMENTATION_REPORTS_DIR") or str(HOME / "reports")


def _store(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    table: str,
    frame: pd.DataFrame,
    preview: pd.DataFrame | None = None,
    keys: Sequence[str] = (),
) -> dict:
    """Write the month's rows of a report table; metadata with a markdown preview. A table
    of many rows an account (the outliers) names its `keys` and is synced: a night
    rewrites only the rows that differ from the stored ones."""
    client, month = warehouse.client(), context.partition_key
    synced = None
    if keys:
        synced = client.sync_partition(table, frame, SNAPSHOT_COLUMN, month, keys)
        rows = len(frame)
    else:
        rows = store_partition(client, table, frame, SNAPSHOT_COLUMN, month)
    if preview is None:
        preview = frame[frame["dimension"] == ALL_DIMENSION] if "dimension" in frame else frame
    metadata = frame_metadata(preview.round(4), preview_rows=20)
    metadata["dagster/row_count"] = dg.MetadataValue.int(rows)
    metadata["table"] = table
    if synced is not None:
        metadata["rows_written"] = dg.MetadataValue.int(synced.written)
        metadata["rows_unchanged"] = dg.MetadataValue.int(synced.unchanged)
    return metadata


def _segment_order(fw: Framework) -> list[str]:
    return [t.name for t in fw.tiers] + [UNSEGMENTED]


def _reading(*columns: Sequence[str]) -> dict[str, dg.AssetIn]:
    """The assets' `ins` loading just these columns of segment_assignments (the IO manager
    reads only the columns an input's metadata names)."""
    wanted = list(dict.fromkeys(c for group in columns for c in group))
    return {"segment_assignments": dg.AssetIn(metadata={"columns": wanted})}


def _table_asset(
    name: str, table: str, description: str, columns: Sequence[str] | None = None
) -> Callable:
    """The decorator of a report asset that writes one warehouse table for the month;
    `columns`: all it reads of segment_assignments, when that is known."""
    return dg.asset(
        name=name,
        **REPORT,
        kinds={"sql"},
        deps=[warehouse_segments],
        ins=_reading(columns) if columns else None,
        description=f"{description} (warehouse table {table}).",
    )


def _snapshot_report(
    name: str,
    table: str,
    description: str,
    build: Callable[[pd.DataFrame, Framework], pd.DataFrame],
    preview: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    columns: Sequence[str] | None = None,
    keys: Sequence[str] = (),
) -> dg.AssetsDefinition:
    """A report that is a function of the month's segment assignments alone (of their
    `columns`, when given); `keys`: its table is synced by them (`_store`)."""

    @_table_asset(name, table, description, columns)
    def report(
        context: dg.AssetExecutionContext,
        segment_assignments: pd.DataFrame,
        framework: FrameworkResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        frame = build(segment_assignments, framework.load())
        shown = None if preview is None else preview(frame)
        metadata = _store(context, warehouse, table, frame, shown, keys)
        return dg.MaterializeResult(metadata=metadata)

    return report


segment_summary_report = _snapshot_report(
    "segment_summary_report",
    "report_segment_summary",
    "Accounts and ARR by segment",
    lambda assignments, fw: segment_summary(assignments),
)
customers_by_segment_report = _snapshot_report(
    "customers_by_segment_report",
    "report_customers_by_segment",
    "Customers by segment, and by segment x each configured breakdown",
    lambda assignments, fw: customers_by_segment(assignments, fw.reporting.breakdowns),
)
arr_by_segment_report = _snapshot_report(
    "arr_by_segment_report",
    "report_arr_by_segment",
    "ARR by segment, and by segment x each configured breakdown",
    lambda assignments, fw: arr_by_segment(assignments, fw.reporting.breakdowns),
)

# --- issue 28: the playbook's reports ---------------------------------------------------
outliers_report = _snapshot_report(
    "outliers_report",
    "report_outliers",
    "Accounts whose ARR or composite score is far from their segment's band, one row per "
    "rule broken (limits in the framework's reporting.outliers)",
    lambda assignments, fw: outliers(assignments, fw.tiers, fw.reporting.outliers),
    outlier_counts,
    OUTLIER_INPUT_COLUMNS,
    keys=("account_id", "rule"),
)
csm_capacity_report = _snapshot_report(
    "csm_capacity_report",
    "report_csm_capacity",
    "Accounts and ARR per owner per segment against the service model's accounts-per-CSM "
    "ratio, with each owner's load (overloaded / underloaded / within ratio)",
    lambda assignments, fw: csm_capacity(assignments, fw.service_models),
    capacity_summary,
    CAPACITY_INPUT_COLUMNS,
)
sub_segments_report = _snapshot_report(
    "sub_segments_report",
    "report_sub_segments",
    "Accounts and ARR of each sub-segment (framework reporting.sub_segments) and of the "
    "rest of its segment",
    lambda assignments, fw: sub_segment_distribution(assignments, fw.reporting.sub_segments),
    columns=SUB_SEGMENT_INPUT_COLUMNS,
)


@dg.asset(
    **REPORT,
    kinds={"pandas", "sql"},
    ins={
        **_reading(ACTIVITY_INPUT_COLUMNS),
        "accounts_enriched": dg.AssetIn(metadata={"columns": ["account_id", "contract_end_date"]}),
    },
    description="Who is a paying customer this month: each account with its contract end "
    "date and whether it is active (warehouse table customer_activity, only changed rows "
    "rewritten), the basis of retention.",
)
def customer_activity_history(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    accounts_enriched: pd.DataFrame,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    activity = customer_activity(
        segment_assignments,
        context.partition_key,
        accounts_enriched.reindex(columns=["account_id", "contract_end_date"]),
        as_of=run_as_of_day(context),  # churn that has happened by the run's as-of only
    )
    client, month = warehouse.client(), context.partition_key
    metadata = frame_metadata(activity, ["account_id", "segment", "arr", "active"])
    if activity.empty:
        store_partition(client, "customer_activity", activity, SNAPSHOT_COLUMN, month)
    else:
        # A night where 1% of accounts changed rewrites 1% of the month's rows.
        sync = client.sync_partition(
            "customer_activity", activity, SNAPSHOT_COLUMN, month, ["account_id"]
        )
        metadata.update(
            {"rows_written": sync.written, "rows_deleted": sync.deleted,
             "rows_unchanged": sync.unchanged}
        )  # fmt: skip
    metadata["inactive"] = dg.MetadataValue.json(
        activity["inactive_reason"].dropna().value_counts().to_dict()
    )
    return dg.MaterializeResult(value=activity, metadata=metadata)


def _folded_in(client: Warehouse, month: str) -> pd.Series:
    """An earlier month's merge audit from the warehouse, as folded id -> survivor id."""
    audit = read_partition(
        client, "account_merge_audit", SNAPSHOT_COLUMN, month, ["account_id", "survivor_id"]
    )
    return folded_into(audit)


@dg.asset(
    **REPORT,
    kinds={"sql"},
    description="Logo retention, gross and net revenue retention and churn per segment for "
    "the month, from last month's cohort (report_segment_retention).",
)
def segment_retention_report(
    context: dg.AssetExecutionContext,
    customer_activity_history: pd.DataFrame,
    account_merge_audit: pd.DataFrame,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    month = context.partition_key
    cohort_month = shift_month(month, -1)
    client = warehouse.client()
    cohort = read_partition(client, "customer_activity", SNAPSHOT_COLUMN, cohort_month)
    if cohort.empty:
        context.log.info("no customer_activity for %s: no retention for %s", cohort_month, month)
        table = pd.DataFrame()
    else:
        table = segment_retention(
            cohort,
            customer_activity_history,
            framework.load().reporting.breakdowns,
            merged_into=folded_into(account_merge_audit),
            folded_before=_folded_in(client, cohort_month),
        ).assign(cohort_month=cohort_month)
    metadata = _store(context, warehouse, "report_segment_retention", table)
    metadata["cohort_month"] = cohort_month
    return dg.MaterializeResult(metadata=metadata)


def _usage_report(
    name: str,
    table: str,
    description: str,
    build: Callable[[pd.DataFrame, pd.DataFrame, Framework], pd.DataFrame],
) -> dg.AssetsDefinition:
    """A report of the month's assignments and the usage export (merged accounts' usage
    moved to their survivor)."""

    @_table_asset(name, table, description)
    def report(
        context: dg.AssetExecutionContext,
        segment_assignments: pd.DataFrame,
        product_usage: pd.DataFrame,
        account_merge_audit: pd.DataFrame,
        framework: FrameworkResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        fw = framework.load()
        usage = attributed_usage(product_usage, account_merge_audit, fw.dedup)
        frame = build(segment_assignments, usage, fw)
        return dg.MaterializeResult(metadata=_store(context, warehouse, table, frame))

    return report


segment_health_report = _usage_report(
    "segment_health_report",
    "report_segment_health",
    "NPS (where the usage export has it) and engagement health by segment",
    lambda assignments, usage, fw: health_by_segment(assignments, usage, fw.reporting.breakdowns),
)
segment_product_lines_report = _usage_report(
    "segment_product_lines_report",
    "report_segment_product_lines",
    "Segment performance per product line: accounts, penetration, product ARR and NPS of "
    "each product in each segment",
    lambda assignments, usage, fw: segment_product_lines(assignments, usage),
)


@dg.asset(
    **REPORT,
    kinds={"sql"},
    deps=[warehouse_segments],
    description="Segment migration matrix: accounts (and ARR) from each segment of the "
    "lookback month to each segment now, (merged) for those folded into a duplicate since "
    "(report_segment_migration).",
)
def segment_migration_report(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    account_merge_audit: pd.DataFrame,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    month = context.partition_key
    from_month = shift_month(month, -framework.load().reporting.migration_lookback_months)
    client = warehouse.client()
    before = read_partition(client, "segment_snapshots", SNAPSHOT_COLUMN, from_month)
    if before.empty:
        context.log.info("no segment_snapshots for %s: no migration matrix", from_month)
        matrix = pd.DataFrame()
        preview = matrix
    else:
        matrix = migration_matrix(
            before,
            segment_assignments,
            folded_into(account_merge_audit).index,
            folded_before=_folded_in(client, from_month),
        ).assign(from_month=from_month)
        preview = migration_pivot(matrix).reset_index()
    metadata = _store(context, warehouse, "report_segment_migration", matrix, preview)
    metadata["from_month"] = from_month
    return dg.MaterializeResult(metadata=metadata)


def _csm_frames(
    assignments: pd.DataFrame,
    columns: Sequence[str] = CSM_ACCOUNT_COLUMNS,
) -> tuple:
    """The CSM account list (with the crossings waiting for review, as this run's
    assignments carry them) and the book of business built from it."""
    accounts = csm_accounts(assignments, pending_moves(assignments), columns)
    return accounts, csm_book(accounts)


@dg.asset(
    **TEAM_REPORT,
    kinds={"sql"},
    deps=[warehouse_segments],
    ins=_reading(BOOK_INPUT_COLUMNS, PENDING_MOVE_COLUMNS),
    description="Each CSM's book of business by segment: accounts, ARR, at-risk, "
    "provisional and pending transitions (report_csm_book).",
)
def csm_book_report(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    _, book = _csm_frames(segment_assignments, BOOK_INPUT_COLUMNS)
    metadata = _store(context, warehouse, "report_csm_book", book)
    metadata["owners"] = int(book["owner_id"].nunique())
    return dg.MaterializeResult(metadata=metadata)


def write_csm_views(
    folder: Path, accounts: pd.DataFrame, book: pd.DataFrame, settings: ViewSettings
) -> int:
    """Write the CSM views into `folder` (every owner's files, rendered a few owners at a
    time); returns the number of files (benchmarks/csm_views.py calls this too)."""
    files = iter_csm_view_files(account_cells(accounts, settings), book, settings)
    return len(write_folder(folder, files))


@dg.asset(
    **TEAM_REPORT,
    kinds={"html", "csv"},
    deps=[warehouse_segments],
    ins=_reading(CSM_VIEW_COLUMNS, PENDING_MOVE_COLUMNS),
    description="Per owner: a page and a CSV of their accounts, at-risk and pending "
    "transitions first, filterable by segment, status, at-risk and renewal due, each with "
    "its explanation and the playbook of each segment they hold.",
)
def csm_views(
    context: dg.AssetExecutionContext,
    segment_assignments: pd.DataFrame,
    warehouse: WarehouseResource,
    framework: FrameworkResource,
    config: ReportFiles,
) -> dg.MaterializeResult:
    accounts, book = _csm_frames(segment_assignments, CSM_VIEW_COLUMNS)
    folder = Path(config.folder) / "csm" / context.partition_key[:7]
    # Renewals count from the run's as-of (the one clock of the run: now for the open
    # month, its last day for a month gone by), so every step of a run sees the same day.
    as_of = pd.Timestamp(run_as_of(context)).normalize()
    settings = view_settings(framework.load(), context.partition_key, as_of)
    files = write_csm_views(folder, accounts, book, settings)
    index = folder / "index.html"
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(index)),
            "index_url": dg.MetadataValue.url(index.as_uri()),
            "owners": int(book["owner_id"].nunique()),
            "files": files,
            "pending_transitions": int(accounts["pending_transition"].notna().sum()),
        }
    )


def _history(warehouse: Warehouse, table: str, through: str) -> pd.DataFrame:
    frame = warehouse.read_table(table)
    if frame.empty:
        return frame
    return frame[frame[SNAPSHOT_COLUMN] <= through]


@dg.asset(
    **REPORT,
    kinds={"html", "plotly"},
    deps=[
        customers_by_segment_report,
        arr_by_segment_report,
        segment_retention_report,
        segment_health_report,
        sub_segments_report,
        outliers_report,
        csm_capacity_report,
        segment_product_lines_report,
    ],
    description="Self-contained HTML executive dashboard (works offline): segment "
    "distribution, ARR, retention and trends, with period, segment and breakdown filters.",
)
def executive_dashboard(
    context: dg.AssetExecutionContext,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
    config: ReportFiles,
) -> dg.MaterializeResult:
    fw = framework.load()
    client = warehouse.client()
    month = context.partition_key
    customers = _history(client, "report_customers_by_segment", month)

    def this_month(table: str, **reading) -> pd.DataFrame:
        return read_partition(client, table, SNAPSHOT_COLUMN, month, **reading)

    panels = [
        health_panel(this_month("report_segment_health")),
        sub_segment_panel(this_month("report_sub_segments")),
        # Half a million rows in a large base: the counts' columns, and the largest whole.
        outlier_panel(
            this_month("report_outliers", columns=COUNTED_COLUMNS),
            this_month("report_outliers", largest=("arr", MAX_PANEL_ROWS)),
        ),
        capacity_panel(this_month("report_csm_capacity")),
        product_line_panel(this_month("report_segment_product_lines")),
    ]
    html = dashboard_html(
        customers,
        _history(client, "report_arr_by_segment", month),
        _history(client, "report_segment_retention", month),
        framework_version=fw.version,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        + f" · run {context.run.run_id[:8]}",
        segment_order=_segment_order(fw),
        labels={t.name: t.label for t in fw.tiers},
        max_months=fw.reporting.dashboard_months,
        panels=panels,
    )
    published = publish_dashboard(
        Path(config.folder), month, html, fw.reporting.dashboard_copies.keep_months
    )
    months = sorted(customers[SNAPSHOT_COLUMN].unique()) if len(customers) else []
    return dg.MaterializeResult(
        metadata={
            "dashboard": dg.MetadataValue.path(str(published.current)),
            "dashboard_url": dg.MetadataValue.url(published.current.as_uri()),
            "dated_copy": dg.MetadataValue.path(str(published.copy)),
            "months_shown": len(months[-fw.reporting.dashboard_months :]),
            "size_bytes": published.size_bytes,
            "older_dashboards_removed": len(published.removed),
        }
    )


@dg.asset(
    group_name="csm_and_revops",
    kinds={"markdown", "html"},
    code_version=FRAMEWORK_VERSION,
    automation_condition=dg.AutomationCondition.code_version_changed(),
    description="Segment definitions, business rules, CSM quick reference, FAQ and data "
    "sources generated from the framework config, as markdown and HTML.",
)
def framework_docs(
    context: dg.AssetExecutionContext,
    framework: FrameworkResource,
    config: ReportFiles,
) -> dg.MaterializeResult:
    fw = framework.load()
    files = render_documents(fw)
    folder = Path(config.folder) / "docs"
    write_folder(folder, files.items())
    index = folder / "index.html"
    return dg.MaterializeResult(
        metadata={
            "framework_version": fw.version,
            "index": dg.MetadataValue.path(str(index)),
            "index_url": dg.MetadataValue.url(index.as_uri()),
            "documents": dg.MetadataValue.json(sorted(files)),
            "segment_definitions": dg.MetadataValue.md(files["segment-definitions.md"]),
        }
    )


REPORT_ASSETS = [
    segment_summary_report,
    customers_by_segment_report,
    arr_by_segment_report,
    customer_activity_history,
    segment_retention_report,
    segment_health_report,
    segment_migration_report,
    outliers_report,
    csm_capacity_report,
    sub_segments_report,
    segment_product_lines_report,
    csm_book_report,
    csm_views,
    executive_dashboard,
    framework_docs,
]
