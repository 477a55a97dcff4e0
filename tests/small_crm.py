"""A small CRM folder and the alert paths the governance tests share.

A module of its own, not conftest: a test that imports from `conftest` gets whichever
conftest pytest imported last, and tests/reliability has one of the same module name.
"""

import shutil
from pathlib import Path

import pandas as pd

SLACK_PATH = "/services/T0SECRET/B0SECRET/xoxbsecrettoken"
WEBHOOK_PATH = "/hooks/governance-secret-token"


def write_small_crm(folder: Path, n_accounts: int = 60, arr_blank_share: float = 0.0) -> Path:
    """The first `n_accounts` of the bundled sample CRM, with ARR blanked on a share of them
    (a deliberately broken extract when the share is high)."""
    from segmentation_pipeline.defs.resources import SAMPLE_CRM_FOLDER

    folder.mkdir(parents=True, exist_ok=True)
    accounts = pd.read_csv(Path(SAMPLE_CRM_FOLDER) / "accounts.csv", dtype=str).head(n_accounts)
    blank = int(round(len(accounts) * arr_blank_share))
    accounts.loc[accounts.index[:blank], "ARR__c"] = None
    accounts.to_csv(folder / "accounts.csv", index=False)
    usage = pd.read_csv(Path(SAMPLE_CRM_FOLDER) / "product_usage.csv", dtype=str)
    usage[usage["AccountId"].isin(accounts["Id"])].to_csv(folder / "product_usage.csv", index=False)
    shutil.copy(Path(SAMPLE_CRM_FOLDER) / "firmographics.csv", folder / "firmographics.csv")
    return folder
