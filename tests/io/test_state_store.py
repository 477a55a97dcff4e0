"""The state store keeps a source's last extract and each step's state between nights."""

import uuid

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import CarriedMatching, matching_of
from segmentation_pipeline.core.changes import SOURCE_HASH
from segmentation_pipeline.core.dedup import deduplicate
from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS
from segmentation_pipeline.core.standardize import standardize_accounts
from segmentation_pipeline.io.state_store import StateStore


def _extract() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Id": pd.array(["001A", "001B", None], dtype="str"),
            "AnnualRevenue": [1.5e6, None, 2.0e5],
            "_row_hash": pd.array([1, 2, 2**63 + 5], dtype="uint64"),
        },
        index=[7, 8, 9],
    )


def test_a_written_snapshot_reads_back_with_its_values_and_dtypes(tmp_path):
    store = StateStore(str(tmp_path))
    name = store.write("crm_accounts", _extract())
    assert name.endswith(".arrow")
    pd.testing.assert_frame_equal(
        store.read("crm_accounts", name), _extract().reset_index(drop=True)
    )


def test_a_parquet_snapshot_of_an_earlier_release_still_reads(tmp_path):
    (tmp_path / "crm_accounts").mkdir()
    _extract().to_parquet(tmp_path / "crm_accounts" / "old.parquet", index=False)
    read = StateStore(str(tmp_path)).read("crm_accounts", "old.parquet")
    pd.testing.assert_frame_equal(read, _extract().reset_index(drop=True))


def test_a_snapshot_whose_file_is_gone_reads_as_none(tmp_path):
    assert StateStore(str(tmp_path)).read("crm_accounts", "gone.arrow") is None


def test_a_file_cut_short_reads_as_no_state(tmp_path):
    """A full disk or an interrupted copy: the night recomputes, it does not fail."""
    store = StateStore(str(tmp_path))
    name = store.write("crm_accounts", _extract())
    store.save("standardized", STAMP, _rows(["a", "b"], "x"))
    for path in tmp_path.rglob("*.arrow"):
        path.write_bytes(path.read_bytes()[:100])
    assert store.read("crm_accounts", name) is None
    assert store.load("standardized", STAMP) is None


STAMP = {"code": "c1", "framework": "f1"}


def _rows(ids, value) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": pd.Series(ids, dtype=object),
            "tier": pd.Series([value] * len(ids), dtype=object),
            "arr": [1.5] * len(ids),
        }
    )


def test_a_step_state_round_trips_on_memory_and_reads_as_none_under_another_stamp():
    store = StateStore(f"memory://state-{uuid.uuid4().hex}")
    rows = _rows(["a", "b"], None)
    assert store.save("standardized", STAMP, rows) == "base"
    pd.testing.assert_frame_equal(store.load("standardized", STAMP), rows)
    assert store.load("standardized", {**STAMP, "framework": "f2"}) is None
    assert store.load("never_saved", STAMP) is None


def test_a_step_state_keeps_each_missing_text_as_the_none_or_nan_it_was():
    """A carried row is the row computed: `unsegmented_reason` is NaN where a reason was
    masked and None where none was set, and a night comparing rows must see both again."""
    store = StateStore(f"memory://state-{uuid.uuid4().hex}")
    rows = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "reason": pd.Series(["missing_arr", np.nan, None], dtype=object),
            "flags": pd.Series([np.nan, np.nan, "pending"], dtype=object),
        }
    )
    store.save("assignments", STAMP, rows)
    read = store.load("assignments", STAMP)
    pd.testing.assert_frame_equal(read, rows)
    assert read["reason"].iloc[2] is None and read["flags"].iloc[0] != read["flags"].iloc[0]


def test_a_forgotten_step_reads_as_no_state_until_saved_again(tmp_path):
    store = StateStore(str(tmp_path))
    store.save("run", STAMP, _rows(["a"], "x"))
    store.forget("run")
    assert store.load("run", STAMP) is None
    store.forget("never_saved")
    store.save("run", STAMP, _rows(["b"], "y"))
    assert store.load("run", STAMP)["account_id"].tolist() == ["b"]


def test_a_small_night_writes_a_part_that_reads_back_as_the_whole_state(tmp_path):
    store = StateStore(str(tmp_path))
    base = _rows([f"a{i}" for i in range(40)], "Tier 1")
    store.save("standardized", STAMP, base)
    night = pd.concat([base.iloc[1:], _rows(["new"], "Tier 2")], ignore_index=True)
    night.loc[night["account_id"] == "a5", "tier"] = "Tier 3"
    assert store.save("standardized", STAMP, night, changed=["a0", "a5", "new"]) == "part"
    assert store.save("standardized", STAMP, night, changed=[]) == "unchanged"
    read = store.load("standardized", STAMP).sort_values("account_id", ignore_index=True)
    pd.testing.assert_frame_equal(read, night.sort_values("account_id", ignore_index=True))
    # Past the delta share, the whole state is written again as one base.
    assert store.save("standardized", STAMP, night, changed=list(night["account_id"])) == "base"
    assert len(list((tmp_path / "standardized").iterdir())) == 2  # the base and the manifest


def test_a_cluster_finding_with_learned_weights_round_trips_as_a_record(framework):
    """What dedup carries over: the finding comes back array for array, and gives the
    same survivors, audit and review."""
    learned = framework.model_copy(
        update={"dedup": framework.dedup.model_copy(update={"engine": "fellegi_sunter"})}
    )
    accounts = standardize_accounts(
        pd.DataFrame(
            {
                "Id": ["A", "B", "C", "D"],
                "Name": ["Zentrix Labs", "Zentrix Labs Inc", "Quorabel", "Brightwave"],
                "Website": ["zentrixlabs.com", "www.zentrixlabs.com", "quorabel.de", None],
                "BillingCountry": ["US", "US", "DE", None],
            }
        ).reindex(columns=list(RAW_ACCOUNT_COLUMNS)),
        learned,
    )
    accounts[SOURCE_HASH] = np.arange(1, 5, dtype=np.uint64)
    first = deduplicate(accounts, learned)
    assert first.finding.weights is not None and first.finding.band is not None
    store = StateStore(f"memory://state-{uuid.uuid4().hex}")
    store.save_record("matching", STAMP, matching_of(first.finding, accounts))
    kept = store.load_record("matching", STAMP, CarriedMatching)
    assert kept.account_ids.tolist() == ["A", "B", "C", "D"]
    again = deduplicate(accounts, learned, kept.finding)
    pd.testing.assert_frame_equal(again.audit, first.audit)
    pd.testing.assert_frame_equal(again.survivors, first.survivors)
    pd.testing.assert_frame_equal(again.review, first.review)
    assert store.load_record("matching", {**STAMP, "code": "c2"}, CarriedMatching) is None


def test_a_part_replaces_every_row_of_the_keys_it_names():
    """Review rows: several per account. Tonight a1 has one row instead of two and a2 left."""
    store = StateStore(f"memory://state-{uuid.uuid4().hex}")
    ids = [f"a{i}" for i in range(30)]
    rows = pd.DataFrame({"account_id": ids + ["a1", "a2"], "field": ["x"] * 30 + ["y", "y"]})
    store.save("provenance", STAMP, rows)
    tonight = rows[~rows["account_id"].isin(["a1", "a2"])]
    tonight = pd.concat([tonight, pd.DataFrame({"account_id": ["a1"], "field": ["z"]})])
    assert store.save("provenance", STAMP, tonight, changed=["a1", "a2"]) == "part"
    read = store.load("provenance", STAMP)
    assert sorted(map(tuple, read.to_numpy().tolist())) == sorted(
        map(tuple, tonight.to_numpy().tolist())
    )


def test_each_later_part_wins_for_the_keys_it_names():
    """Night 1 changes a1 and adds n1; night 2 changes a1 again, drops n1 and changes a2."""
    store = StateStore(f"memory://state-{uuid.uuid4().hex}")
    ids = [f"a{i}" for i in range(60)]
    base = pd.DataFrame({"account_id": ids, "field": ["x"] * 60})
    store.save("scores", STAMP, base)
    night1 = pd.concat([base, pd.DataFrame({"account_id": ["n1"], "field": ["new"]})])
    night1.loc[night1["account_id"] == "a1", "field"] = "y"
    assert store.save("scores", STAMP, night1, changed=["a1", "n1"]) == "part"
    night2 = night1[night1["account_id"] != "n1"].copy()
    night2.loc[night2["account_id"] == "a1", "field"] = "z"
    night2.loc[night2["account_id"] == "a2", "field"] = "w"
    assert store.save("scores", STAMP, night2, changed=["a1", "n1", "a2"]) == "part"
    read = dict(store.load("scores", STAMP).itertuples(index=False))
    assert read == {**{i: "x" for i in ids}, "a1": "z", "a2": "w"}
