"""The `merge_candidates` report: folded duplicate clusters for RevOps to merge with
Salesforce's own tools, one row per cluster, weakest link first so doubtful clusters are
looked at before they are merged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation_pipeline.core.columns import member_of, runs

MERGE_CANDIDATE_COLUMNS = (
    "survivor_id", "survivor_name", "members", "member_count", "min_match_probability",
    "evidence",
)  # fmt: skip


def _lowest(values: np.ndarray) -> float:
    """The lowest probability of a cluster, NaN when none is known."""
    known = values[~np.isnan(values)]
    return float(known.min()) if len(known) else np.nan


def _joined(values) -> str:
    return "; ".join(dict.fromkeys(str(v) for v in values if pd.notna(v) and str(v).strip()))


def merge_candidates(
    merge_audit: pd.DataFrame, accounts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per survivor with folded records: the members (ids, comma-separated), how
    many, the lowest match probability in the cluster and the evidence of its links.
    `accounts` (account_id, name), when given, names the survivor."""
    if merge_audit is None or not len(merge_audit):
        return pd.DataFrame(columns=list(MERGE_CANDIDATE_COLUMNS))
    folded = (merge_audit["account_id"] != merge_audit["survivor_id"]).to_numpy(dtype=bool)
    audit = merge_audit[folded & merge_audit["survivor_id"].notna().to_numpy(dtype=bool)]
    probability = pd.to_numeric(
        audit.get("match_probability", pd.Series(None, index=audit.index)), errors="coerce"
    )
    frame = pd.DataFrame(
        {
            "survivor_id": audit["survivor_id"],
            "account_id": audit["account_id"].astype(str),
            "probability": probability,
            "evidence": audit.get("evidence", pd.Series(None, index=audit.index)),
        }
    ).sort_values(["survivor_id", "account_id"], kind="stable")
    if frame.empty:
        return pd.DataFrame(columns=list(MERGE_CANDIDATE_COLUMNS))
    # Each cluster is a run of rows with one survivor: cut the runs once, no groupby.
    survivors = frame["survivor_id"].to_numpy(dtype=object)
    clusters_at = runs(survivors)
    ids, evidence = frame["account_id"].to_numpy(object), frame["evidence"].to_numpy(object)
    probabilities = frame["probability"].to_numpy(dtype=float)
    clusters = pd.DataFrame(
        {
            "survivor_id": [survivors[a] for a, _ in clusters_at],
            "members": [", ".join(ids[a:b]) for a, b in clusters_at],
            "member_count": np.array([b - a for a, b in clusters_at], dtype=np.int64),
            "min_match_probability": [_lowest(probabilities[a:b]) for a, b in clusters_at],
            "evidence": [_joined(evidence[a:b]) for a, b in clusters_at],
        }
    )
    names = {}
    if accounts is not None and "name" in accounts:
        # Only the survivors of folded clusters need a name, not every account.
        named = accounts[member_of(accounts["account_id"], clusters["survivor_id"])]
        names = dict(zip(named["account_id"], named["name"], strict=False))
    clusters["survivor_name"] = clusters["survivor_id"].map(names)
    clusters = clusters.sort_values(
        ["min_match_probability", "survivor_id"], na_position="first", kind="stable"
    )
    return clusters[list(MERGE_CANDIDATE_COLUMNS)].reset_index(drop=True)
