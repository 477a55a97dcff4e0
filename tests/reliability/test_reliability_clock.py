"""Time is the framework's: the machine's time zone changes no result.

The open month's as-of is "now". An account created 30 days and one hour ago has a
tenure of 30 days wherever the job runs; read as local time labelled UTC, a machine in
Los Angeles saw 29 days and held it provisional with a `provisional_until` already past.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pandas as pd

from segmentation_pipeline.core.clock import month_key

# Bookkeeping of the write, not results (the row hash covers the instant too).
SNAPSHOT_RUN_COLUMNS = ("run_id", "written_at", "created_at", "updated_at", "_row_hash")


@contextmanager
def machine_time_zone(name: str):
    """The process's local time zone, restored afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def snapshots(night) -> pd.DataFrame:
    """segment_snapshots with the run's own instant (a transition opened "now") named
    `<as_of>`: two runs a second apart differ there, whatever the time zone."""
    table = night.warehouse().read_table("segment_snapshots")
    table = table.drop(columns=[c for c in SNAPSHOT_RUN_COLUMNS if c in table])
    as_of = pd.Timestamp(night.metadata("segment_history")["as_of"])
    opened = pd.to_datetime(table["transition_opened_at"])
    assert opened.dropna().eq(as_of).all()
    table["transition_opened_at"] = opened.notna().map({True: "<as_of>", False: None})
    table["transition_id"] = table["transition_id"].str.replace(as_of.isoformat(), "<as_of>")
    return table.sort_values("account_id").reset_index(drop=True)


def test_the_open_month_is_the_same_under_utc_and_los_angeles(night, sample_crm, tmp_path):
    accounts = pd.read_csv(sample_crm / "accounts.csv", dtype=str, keep_default_na=False)
    turned_30 = datetime.now(UTC) - timedelta(days=30, hours=1)
    accounts.loc[:3, "CreatedDate"] = turned_30.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    accounts.to_csv(sample_crm / "accounts.csv", index=False)
    month = month_key("UTC")

    runs = {}
    for zone in ("UTC", "America/Los_Angeles"):
        with machine_time_zone(zone):
            url = f"sqlite:///{tmp_path / (zone.replace('/', '_') + '.sqlite')}"
            runs[zone] = night(sample_crm, month=month, warehouse_url=url)
            assert runs[zone].success, runs[zone].failure_messages()

    utc, la = snapshots(runs["UTC"]), snapshots(runs["America/Los_Angeles"])
    # (the sample's first four rows are four companies, none of them a duplicate)
    fresh = utc[utc["account_id"].isin(accounts["Id"][:4])]
    assert len(fresh) == 4 and not fresh["provisional"].astype(bool).any()
    pd.testing.assert_frame_equal(utc, la)


def test_a_closed_month_ends_on_the_framework_wall_clock(night, sample_crm, tmp_path):
    with machine_time_zone("America/Los_Angeles"):
        result = night(sample_crm, month="2026-11-01")
    assert result.success, result.failure_messages()
    assert result.metadata("account_scores")["as_of"] == "2026-11-30T23:59:59"
