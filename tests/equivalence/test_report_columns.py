"""The report assets that load only the columns of segment_assignments they declare
(`AssetIn(metadata={"columns": ...})`, honoured by the Arrow IO manager) write what they
write when they are handed every column: a column left out of a declaration would show
up here as a missing owner name, explanation or pending move."""

from pathlib import Path

import dagster as dg
import pandas as pd

from segmentation_pipeline.defs.assets.reports import (
    ReportFiles,
    csm_book_report,
    csm_capacity_report,
    csm_views,
    outliers_report,
    sub_segments_report,
)
from segmentation_pipeline.defs.io_manager import FrameFilesystemIOManager
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import FrameworkResource, WarehouseResource
from segmentation_pipeline.io.warehouse import Warehouse
from tests.core.reports.history import CONTRACT_ENDS, FEB, snapshot

PROJECTED = [csm_views, csm_book_report, csm_capacity_report, outliers_report, sub_segments_report]
TABLES = ["report_csm_book", "report_csm_capacity", "report_outliers", "report_sub_segments"]


def _assignments() -> pd.DataFrame:
    """February with every column some projected report reads, values that show, and
    columns none of them read."""
    frame = snapshot(FEB)
    frame["owner_name"] = frame["owner_id"].map({"csm-1": "Ana Ruiz"})
    frame["contract_end_date"] = pd.to_datetime(frame["account_id"].map(CONTRACT_ENDS[FEB]))
    frame["explanation_detail"] = "detail of " + frame["account_id"]
    frame["service_model"] = frame["segment"].map({"Tier 1": "high_touch", "Tier 3": "tech_touch"})
    frame["at_risk"] = frame["account_id"].isin(["B2", "C2"])
    pending = frame["account_id"].eq("B1")
    frame["transition_status"] = pending.map({True: "pending", False: None})
    frame["transition_from"] = pending.map({True: "Tier 2", False: None})
    frame["transition_to"] = pending.map({True: "Tier 1", False: None})
    frame["arr"] = frame["arr"] * 1000  # in dollars, so some accounts break the ARR limits
    frame["composite_score"] = [4.9, 1.2, 3.0, 4.1, 2.2, 2.0, 4.4, 1.0, 3.3, 2.9]
    frame["unread"] = "x"
    return frame


def _run(tmp_path: Path, io_manager) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    @dg.asset(name="segment_assignments", partitions_def=monthly_partitions)
    def assignments() -> pd.DataFrame:
        return _assignments()

    @dg.asset(name="warehouse_segments", partitions_def=monthly_partitions)
    def warehouse_segments() -> dg.MaterializeResult:
        return dg.MaterializeResult()

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    reports = tmp_path / "reports"
    result = dg.materialize(
        [assignments, warehouse_segments, *PROJECTED],
        partition_key=FEB,
        resources={
            "io_manager": io_manager,
            "warehouse": WarehouseResource(url=url),
            "framework": FrameworkResource(),
        },
        run_config=dg.RunConfig(ops={"csm_views": ReportFiles(folder=str(reports))}),
    )
    assert result.success
    warehouse = Warehouse(url)
    tables = {t: warehouse.read_table(t) for t in TABLES}
    files = {p.name: p.read_bytes() for p in (reports / "csm" / FEB[:7]).iterdir()}
    return tables, files


def test_reports_reading_their_declared_columns_write_what_they_write_from_all(tmp_path):
    everything = _run(tmp_path / "all", dg.InMemoryIOManager())
    projected = _run(tmp_path / "some", FrameFilesystemIOManager(base_dir=str(tmp_path / "io")))
    for table in TABLES:
        assert len(everything[0][table]), table  # the fixture gives every report rows
        pd.testing.assert_frame_equal(projected[0][table], everything[0][table], obj=table)
    assert projected[1] == everything[1]
    pages = b"".join(everything[1].values())
    assert b"Ana Ruiz" in pages and b"detail of A1" in pages and b"Tier 2 -&gt; Tier 1" in pages
