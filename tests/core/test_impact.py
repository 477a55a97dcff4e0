"""Tier moves between two assignments of the same accounts."""

import pandas as pd

from segmentation_pipeline.core.impact import impact_report, migration_matrix


def frame(rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": list(rows),
            "name": [f"Co {k}" for k in rows],
            "segment": list(rows.values()),
        }
    )


BEFORE = frame({"a": "Tier 1", "b": "Tier 2", "c": "Tier 2", "d": "Tier 3"})
AFTER = frame({"a": "Tier 2", "b": "Tier 2", "c": "Tier 1", "d": "Tier 3", "e": "Tier 3"})


def test_impact_counts_moves_and_each_segment_old_vs_new():
    report = impact_report(BEFORE, AFTER)
    assert (report.accounts, report.moved) == (5, 3)
    assert {(r.before, r.after): r.accounts for r in report.moves.itertuples()} == {
        ("Tier 1", "Tier 2"): 1,
        ("Tier 2", "Tier 1"): 1,
        ("(absent)", "Tier 3"): 1,
    }
    per_segment = report.per_segment.set_index("segment")
    assert per_segment.loc["Tier 1"].tolist() == [1, 1, 1, 1, 0]
    assert per_segment.loc["Tier 2"].tolist() == [2, 2, 1, 1, 0]
    assert per_segment.loc["Tier 3"].tolist() == [1, 2, 1, 0, 1]
    assert sorted(report.moved_accounts["account_id"]) == ["a", "c", "e"]


def test_migration_matrix_rows_are_before_and_columns_after():
    matrix = migration_matrix(BEFORE, AFTER)
    assert matrix.loc["Tier 2", "Tier 2"] == 1
    assert matrix.loc["Tier 1", "Tier 2"] == 1
    assert matrix.loc["(absent)", "Tier 3"] == 1
    assert int(matrix.to_numpy().sum()) == 5
