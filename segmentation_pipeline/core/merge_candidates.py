"""The `merge_candidates` report: folded duplicate clusters for RevOps to merge with
Salesforce's own tools, one row per cluster, weakest link first so doubtful clusters are
looked at before they are merged."""

from __future__ import annotations

import pandas as pd

MERGE_CANDIDATE_COLUMNS = (
    "survivor_id", "survivor_name", "members", "member_count", "min_match_probability",
    "evidence",
)  # fmt: skip


def _joined(values: pd.Series) -> str:
    return "; ".join(dict.fromkeys(str(v) for v in values if pd.notna(v) and str(v).strip()))


def merge_candidates(
    merge_audit: pd.DataFrame, accounts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per survivor with folded records: the members (ids, comma-separated), how
    many, the lowest match probability in the cluster and the evidence of its links.
    `accounts` (account_id, name), when given, names the survivor."""
    if merge_audit is None or not len(merge_audit):
        return pd.DataFrame(columns=list(MERGE_CANDIDATE_COLUMNS))
    audit = merge_audit[merge_audit["account_id"] != merge_audit["survivor_id"]]
    probability = pd.to_numeric(
        audit.get("match_probability", pd.Series(None, index=audit.index)), errors="coerce"
    )
    evidence = audit.get("evidence", pd.Series(None, index=audit.index))
    frame = pd.DataFrame(
        {
            "survivor_id": audit["survivor_id"],
            "account_id": audit["account_id"],
            "probability": probability,
            "evidence": evidence,
        }
    )
    grouped = frame.sort_values("account_id", kind="stable").groupby("survivor_id", sort=True)
    clusters = pd.DataFrame(
        {
            "members": grouped["account_id"].agg(lambda s: ", ".join(s.astype(str))),
            "member_count": grouped["account_id"].size(),
            "min_match_probability": grouped["probability"].min(),
            "evidence": grouped["evidence"].agg(_joined),
        }
    ).reset_index()
    names = {}
    if accounts is not None and "name" in accounts:
        names = dict(zip(accounts["account_id"], accounts["name"], strict=False))
    clusters["survivor_name"] = clusters["survivor_id"].map(names)
    clusters = clusters.sort_values(
        ["min_match_probability", "survivor_id"], na_position="first", kind="stable"
    )
    return clusters[list(MERGE_CANDIDATE_COLUMNS)].reset_index(drop=True)
