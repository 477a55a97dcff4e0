"""Row memos across runs: reused while code and framework stay the same, dropped when
either changes."""

import pandas as pd

from segmentation_pipeline.defs.row_memo import code_fingerprint, memoized_rows
from segmentation_pipeline.io.snapshots import SnapshotStore


def test_the_fingerprint_follows_the_framework_and_every_file_of_the_stage(
    tmp_path, framework, monkeypatch
):
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "__init__.py").write_text("RULE = 1\n")
    (stage / "synonyms.yaml").write_text("saas: Software\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import stage as module

    before = code_fingerprint(module, framework)
    assert code_fingerprint(module, framework) == before
    assert code_fingerprint(module, framework.model_copy(update={"version": "other"})) != before
    (stage / "synonyms.yaml").write_text("saas: Software\nmfg: Manufacturing\n")
    assert code_fingerprint(module, framework) != before


def test_a_memo_is_reused_under_its_fingerprint_and_replaced_under_a_new_one(tmp_path):
    store, calls = SnapshotStore(str(tmp_path)), []
    inputs = pd.DataFrame({"Id": ["a", "b"], "Name": ["Acme", "Beta"]})

    def upper(rows):
        calls.append(len(rows))
        return pd.DataFrame({"name_upper": rows["Name"].str.upper()})

    first, computed = memoized_rows(store, "stage", "v1", inputs, upper)
    again, recomputed = memoized_rows(store, "stage", "v1", inputs, upper)
    assert (computed, recomputed) == (2, 0)
    pd.testing.assert_frame_equal(first, again)
    assert first["name_upper"].tolist() == ["ACME", "BETA"]

    _, computed = memoized_rows(store, "stage", "v2", inputs, upper)
    assert computed == 2 and calls == [2, 2]
    assert [p.name for p in (tmp_path / "stage").iterdir()] == ["v2.pkl"]


def test_standardizing_through_the_memo_equals_standardizing_everything(tmp_path, framework):
    from segmentation_pipeline.core.standardize import standardize_accounts
    from segmentation_pipeline.defs.resources import SAMPLE_CRM_FOLDER
    from segmentation_pipeline.io.crm import FileCrm

    accounts = FileCrm(SAMPLE_CRM_FOLDER).read_accounts().accounts
    store = SnapshotStore(str(tmp_path))

    def standardize(rows):
        return standardize_accounts(rows, framework)

    memoized_rows(store, "standardized", "v1", accounts, standardize)
    night = accounts.copy()
    night.loc[::50, "ARR__c"] = "12,345"  # 30 edited accounts
    night.loc[1::97, "BillingCountry"] = None
    night = pd.concat([night.iloc[10:], night.iloc[:3].assign(Id=["N1", "N2", "N3"])])

    outputs, computed = memoized_rows(store, "standardized", "v1", night, standardize)

    assert 30 <= computed < 60
    pd.testing.assert_frame_equal(outputs, standardize(night.reset_index(drop=True)))


def test_a_small_night_writes_a_delta_and_a_big_one_rewrites_the_memo(tmp_path):
    store = SnapshotStore(str(tmp_path))
    inputs = pd.DataFrame({"Id": [f"a{i}" for i in range(100)], "Name": ["x"] * 100})

    def upper(rows):
        return pd.DataFrame({"name_upper": rows["Name"].str.upper()})

    memoized_rows(store, "stage", "v1", inputs, upper)
    memo = tmp_path / "stage" / "v1.pkl"
    written = memo.stat().st_mtime_ns

    night = inputs.copy()
    night.loc[:4, "Name"] = "y"  # 5 of 100: under the 10% share
    outputs, computed = memoized_rows(store, "stage", "v1", night, upper)
    assert computed == 5 and memo.stat().st_mtime_ns == written
    assert (tmp_path / "stage" / "v1.delta.pkl").exists()
    assert outputs["name_upper"].tolist() == ["Y"] * 5 + ["X"] * 95

    _, computed = memoized_rows(store, "stage", "v1", night, upper)
    assert computed == 0  # the delta's rows are known

    night.loc[:19, "Name"] = "z"  # 20 more: the memo is rewritten, the delta folded in
    outputs, computed = memoized_rows(store, "stage", "v1", night, upper)
    assert computed == 20 and memo.stat().st_mtime_ns != written
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == ["v1.pkl"]
    assert outputs["name_upper"].tolist() == ["Z"] * 20 + ["X"] * 80
