"""The state store keeps a source's last extract and each step's per-account state between nights."""

import pandas as pd

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
