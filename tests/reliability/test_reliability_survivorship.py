"""Issue 24: a merged duplicate's signals reach its survivor, and an unreadable ARR in a
cluster ends visible (Unsegmented with a reason), never as a silently smaller sum.

The sample CRM gets three injected duplicate pairs: a copy of an account with a new Id and
the same name, website and phone. The original comes first and is as complete as its
copy, so it survives (survivorship ends on input order).
"""

from pathlib import Path

import pandas as pd
import pytest
from nights import Night

EDITED = "2026-10-31T23:00:00.000+0000"  # after every stamp of the sample


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _unique_accounts(accounts: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """Long-standing accounts with one usage row, whose name and website no other holds,
    with a phone and a readable ARR: a copy of one is a duplicate of it and of nothing else."""
    rows_per_account = usage["AccountId"].value_counts()
    one_row = accounts["Id"].map(rows_per_account).eq(1)
    unique = ~accounts["Name"].str.lower().duplicated(keep=False)
    unique &= ~accounts["Website"].duplicated(keep=False)
    filled = accounts["Phone"].ne("") & accounts["Website"].ne("")
    readable = accounts["ARR__c"].str.fullmatch(r"[0-9]+(\.[0-9]+)?")
    old = accounts["CreatedDate"].lt("2025")
    plain = accounts["Segment_Override__c"].ne("true") & accounts["Customer_Tier__c"].eq("")
    return accounts[one_row & unique & filled & readable & old & plain]


def inject_duplicates(folder: Path) -> dict[str, str]:
    """Adds three duplicate pairs to the CRM folder; returns the Ids:
    usage / usage_copy: the copy holds the account's only usage row, the original none;
    own_arr: the original (the survivor) has ARR '1,2e5';
    dup_arr / dup_arr_copy: the copy (the duplicate) has ARR '∞'."""
    accounts, usage = _read(folder, "accounts.csv"), _read(folder, "product_usage.csv")
    picked = _unique_accounts(accounts, usage).head(3)
    assert len(picked) == 3
    ids = dict(zip(["usage", "own_arr", "dup_arr"], picked["Id"], strict=True))
    copies = picked.assign(Id=[f"001DUP00000000{i}" for i in range(3)])
    ids.update(usage_copy=copies["Id"].iloc[0], dup_arr_copy=copies["Id"].iloc[2])
    accounts.loc[accounts["Id"].eq(ids["own_arr"]), "ARR__c"] = "1,2e5"
    copies.loc[copies["Id"].eq(ids["dup_arr_copy"]), "ARR__c"] = "∞"
    # The copy of the own-ARR account is less complete, so the original still survives.
    copies.loc[copies.index[1], ["BillingCity", "OwnerId"]] = ""
    usage.loc[usage["AccountId"].eq(ids["usage"]), "AccountId"] = ids["usage_copy"]
    # Edited and new records carry a new stamp, so an incremental extract reads them.
    copies["SystemModstamp"] = EDITED
    accounts.loc[accounts["Id"].eq(ids["own_arr"]), "SystemModstamp"] = EDITED
    pd.concat([accounts, copies]).to_csv(folder / "accounts.csv", index=False)
    usage.to_csv(folder / "product_usage.csv", index=False)
    return ids


def assert_survivors_carry_their_duplicates(night: Night, folder: Path, ids: dict[str, str]):
    assert night.success, night.failure_messages()
    audit = night.value("account_merge_audit").set_index("account_id")["survivor_id"]
    assert audit.get(ids["usage_copy"]) == ids["usage"]
    assert audit.get(ids["dup_arr_copy"]) == ids["dup_arr"]
    assert audit[audit.eq(ids["own_arr"])].index.str.startswith("001DUP").tolist() == [True]

    moved = _read(folder, "product_usage.csv").set_index("AccountId").loc[ids["usage_copy"]]
    scores = night.value("account_scores").set_index("account_id")
    survivor = scores.loc[ids["usage"]]
    # Scored on the copy's usage, not "no usage: median 3".
    assert survivor["behavioral_fallback"] is None
    assert survivor["logins_30d"] == float(moved["Logins30d"])
    assert survivor["active_share"] == pytest.approx(
        float(moved["ActiveUsers"]) / float(moved["LicensedUsers"])
    )
    assert ids["usage_copy"] not in scores.index

    segments = night.value("segment_assignments").set_index("account_id")
    assert segments.loc[ids["usage"], "status"] != "unsegmented"
    assert segments.loc[ids["own_arr"], ["status", "unsegmented_reason"]].tolist() == [
        "unsegmented",
        "invalid_arr:unparseable",
    ]
    assert segments.loc[ids["dup_arr"], ["status", "unsegmented_reason"]].tolist() == [
        "unsegmented",
        "invalid_arr:duplicate_unparseable",
    ]


def test_survivors_take_their_duplicates_usage_and_show_an_unreadable_arr(
    night, sample_crm, warehouse_url
):
    ids = inject_duplicates(sample_crm)
    first = night(sample_crm, warehouse_url=warehouse_url)
    assert_survivors_carry_their_duplicates(first, sample_crm, ids)
    audit = first.warehouse().read_table("account_merge_audit")
    assert set(audit["account_id"]) >= {ids["usage_copy"], ids["dup_arr_copy"]}

    # The next night on the same input gives the same scores and segments.
    second = night(sample_crm, warehouse_url=warehouse_url)
    assert_survivors_carry_their_duplicates(second, sample_crm, ids)
    pd.testing.assert_frame_equal(second.value("account_scores"), first.value("account_scores"))
    columns = ["segment", "status", "unsegmented_reason", "composite_score"]
    pd.testing.assert_frame_equal(
        second.value("segment_assignments")[columns], first.value("segment_assignments")[columns]
    )


def test_duplicates_arriving_on_a_later_night_are_carried_as_on_a_first(night, sample_crm):
    # Night one without the pairs fills the cluster, standardization and enrichment memos;
    # night two reuses them for the unchanged rows and must still fold the new copies.
    assert night(sample_crm).success
    ids = inject_duplicates(sample_crm)
    assert_survivors_carry_their_duplicates(night(sample_crm), sample_crm, ids)
