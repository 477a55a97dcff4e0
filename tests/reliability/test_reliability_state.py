"""The state kept between nights damaged between nights: a file of the snapshot folder
cut short (a full disk, an interrupted copy or restore) is no state, so the next night
computes what it stood for again and leaves the warehouse as a night without the fault."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.reliability.test_reliability_inputs import read_accounts, write_accounts
from tests.reliability.test_reliability_rerun import assert_same_tables, dump


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def recomputed_alike(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables but what says how a night was computed, as a full re-read on request
    records it too: the extractor's cursor (its new snapshot file) and whether an
    enrichment answer came from the cache."""
    kept = {name: frame for name, frame in tables.items() if name != "pipeline_state"}
    kept["enrichment_provenance"] = kept["enrichment_provenance"].drop(columns="from_cache")
    return kept


def snapshot_folder(night) -> Path:
    """The night fixture keeps the snapshots beside the warehouse file."""
    return Path(night.warehouse_url.removeprefix("sqlite:///")).parent / "snapshots"


def test_every_state_file_cut_short_is_recomputed_and_changes_no_table(night, sample_crm):
    first = night(sample_crm)
    assert first.success, first.failure_messages()
    before = dump(first.warehouse_url)
    state_files = list(snapshot_folder(first).rglob("*.arrow"))
    assert len(state_files) > 3  # the snapshot and the steps' state
    for path in state_files:
        cut_short(path)

    again = night(sample_crm)
    assert again.success, again.failure_messages()
    assert again.metadata("crm_accounts")["extract_mode"] == "full"
    assert_same_tables(
        *(recomputed_alike(tables) for tables in (before, dump(again.warehouse_url)))
    )


def test_the_months_rejections_survive_their_state_file_cut_short(night, sample_crm):
    accounts = read_accounts(sample_crm)
    copy = accounts.iloc[[7]].copy()
    copy["SystemModstamp"] = "2026-10-31T23:00:00.000+0000"
    write_accounts(sample_crm, pd.concat([copy, accounts], ignore_index=True))
    first = night(sample_crm)
    assert first.success, first.failure_messages()
    assert len(first.warehouse().read_table("rejected_records")) == 1
    (rejections,) = (snapshot_folder(first) / "crm_rejected_records").iterdir()
    cut_short(rejections)

    second = night(sample_crm)
    assert second.success, second.failure_messages()
    assert len(second.warehouse().read_table("rejected_records")) == 1
