"""The state kept between nights damaged between nights: a file of the snapshot folder
cut short (a full disk, an interrupted copy or restore) is no state, so the next night
computes what it stood for again and leaves the warehouse as a night without the fault."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from segmentation_pipeline.io.state_store import StateStore
from tests.reliability.test_reliability_inputs import read_accounts, write_accounts
from tests.reliability.test_reliability_rerun import assert_same_tables, differences, dump


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


# -- A night stopped while it keeps its state -------------------------------------------
def blank_firmographics(crm: Path, every: int = 11) -> None:
    """A CRM user's day: every `every`-th account loses its industry and employee count,
    which the enrichment then fills again."""
    accounts = read_accounts(crm)
    blanked = accounts.index[3::every]
    accounts.loc[blanked, ["Industry", "NumberOfEmployees"]] = ""
    accounts.loc[blanked, "SystemModstamp"] = "2026-11-20T10:00:00.000+0000"
    write_accounts(crm, accounts)


def review_tables(night) -> dict[str, pd.DataFrame]:
    """December's enrichment review rows, without the moments of fetching."""
    tables = dump(night.warehouse_url)
    return {
        name: tables[name]
        .query("snapshot_month == '2026-12-01'")
        .drop(columns=["fetched_at", "from_cache"], errors="ignore")
        .reset_index(drop=True)
        for name in ("enrichment_provenance", "enrichment_non_matches", "enrichment_conflicts")
    }


def test_a_night_stopped_between_two_enrichment_saves_leaves_no_mixed_state(
    night, another_deployment, sample_crm, monkeypatch
):
    """The enrichment keeps its night in several files (accounts, provenance, ...). A night
    that saved the accounts but not the provenance must not leave the next nights carrying
    tonight's accounts with last night's provenance: the new month, whose review tables
    are written whole from what is carried, lost the provenance of the refilled fields."""
    assert night(sample_crm).success
    blank_firmographics(sample_crm)
    save = StateStore.save

    def disk_full_at_provenance(self, step, *args, **kwargs):
        if step == "accounts_enriched/provenance":
            raise OSError(28, "No space left on device")
        return save(self, step, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(StateStore, "save", disk_full_at_provenance)
        stopped = night(sample_crm)
    assert not stopped.success
    december = night(sample_crm, month="2026-12-01")
    assert december.success, december.failure_messages()

    unstopped = another_deployment(sample_crm, month="2026-12-01")
    assert unstopped.success, unstopped.failure_messages()
    assert differences(review_tables(unstopped), review_tables(december)) == []
