"""The record ledger: rows in = every exit, and each imbalance is named with its counts."""

import pandas as pd

from segmentation_pipeline.core.accounting import account_records


def assignments(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["status", "unsegmented_reason"])


BALANCED = assignments(
    ("segmented", None),
    ("segmented", None),
    ("provisional", None),
    ("overridden", None),
    ("unsegmented", "missing_arr"),
)


def test_every_exit_is_counted_and_the_ledger_balances():
    # 6 snapshot accounts (5 assigned, 1 folded into a survivor) + 2 rejected = 8 in.
    ledger = account_records(accounts_in=6, assignments=BALANCED, merged=1, rejected=2)
    assert ledger.counts() == {
        "rows_in": 8,
        "segmented": 2,
        "provisional": 1,
        "overridden": 1,
        "unsegmented_with_reason": 1,
        "merged": 1,
        "rejected": 2,
        "without_exit": 0,
        "rows_out": 8,
    }
    assert ledger.balanced
    assert ledger.summary().startswith("rows in 8 = 8 out: segmented 2 + provisional 1")


def test_a_lost_record_is_an_imbalance_named_with_the_counts():
    ledger = account_records(accounts_in=7, assignments=BALANCED, merged=1, rejected=0)
    assert not ledger.balanced
    assert ledger.summary() == (
        "rows in 7 != 6 out: segmented 2 + provisional 1 + overridden 1 + unsegmented with "
        "reason 1 + merged 1 + rejected 0; rows without an exit 0"
    )


def test_unsegmented_without_a_reason_or_an_unknown_status_has_no_exit():
    rows = assignments(
        ("segmented", None), ("unsegmented", None), ("unsegmented", " "), (None, None)
    )
    ledger = account_records(accounts_in=4, assignments=rows, merged=0, rejected=0)
    assert ledger.without_exit == 3
    assert ledger.rows_out == 1
    assert not ledger.balanced
