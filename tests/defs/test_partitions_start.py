"""Monthly partitions start at the first month with data (or a configured month), so a
new deployment's catalog does not show a year of "missing" months."""

import sqlalchemy as sa

from segmentation_pipeline.defs.partitions import BEFORE_ANY_DATA, first_month
from segmentation_pipeline.io.snapshot_months import earliest_month


def test_the_configured_month_wins_else_the_first_stored_month():
    assert first_month("2025-03", "2026-10-01", "2026-12-01") == "2025-03-01"
    assert first_month(None, "2026-10-01", "2026-12-01") == "2026-10-01"
    # No data yet: far enough back for a first run of a past month.
    assert first_month(None, None, "2026-12-01") == BEFORE_ANY_DATA


def test_the_first_stored_month_is_read_without_creating_the_warehouse(tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    assert earliest_month(url) is None
    assert not (tmp_path / "warehouse.sqlite").exists()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE segment_snapshots (snapshot_month TEXT)"))
        assert earliest_month(url) is None
        conn.execute(sa.text("INSERT INTO segment_snapshots VALUES ('2026-11-01'), ('2026-10-01')"))
    assert earliest_month(url) == "2026-10-01"
