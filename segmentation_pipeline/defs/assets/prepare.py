"""Prepare: standardize fields, then fold duplicate accounts into survivors."""

import dagster as dg
import pandas as pd

from segmentation_pipeline.core import dedup as dedup_module
from segmentation_pipeline.core import standardize as standardize_module
from segmentation_pipeline.core.dedup import deduplicate
from segmentation_pipeline.core.dedup.reuse import carried_finding, memo_of
from segmentation_pipeline.core.standardize import (
    quality_flags,
    report_from_flags,
    standardize_accounts,
)
from segmentation_pipeline.defs.assets._metadata import frame_metadata, table_md
from segmentation_pipeline.defs.assets.extract import BOOKKEEPING_FIELDS
from segmentation_pipeline.defs.assets.warehouse import SNAPSHOT_COLUMN
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import (
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.defs.row_memo import code_fingerprint, memoized_rows
from segmentation_pipeline.framework import Framework
from segmentation_pipeline.io.warehouse_partitions import store_partition

_QUALITY_COLUMNS = ["field", "populated_before", "standardized_before", "populated_after",
                    "standardized_after", "unresolved"]  # fmt: skip


QUALITY_FLAG = "_quality:"
CLUSTER_MEMO = "dedup_clusters"
REVIEW_TABLE = "duplicate_review"


def _standardization_fingerprint(fw: Framework) -> str:
    return code_fingerprint(standardize_module, fw) + fw.standardization.tables_digest()


def _with_quality_flags(raw: pd.DataFrame, standardized: pd.DataFrame) -> pd.DataFrame:
    flags = quality_flags(raw, standardized).add_prefix(QUALITY_FLAG)
    return pd.concat([standardized, flags.set_axis(standardized.index)], axis=1)


def _quality_table(report: pd.DataFrame) -> dg.MetadataValue:
    shares = report[_QUALITY_COLUMNS].copy()
    for column in _QUALITY_COLUMNS[1:-1]:
        shares[column] = shares[column].map("{:.1%}".format)
    return table_md(shares)


@dg.multi_asset(
    group_name="inputs",
    partitions_def=monthly_partitions,
    outs={
        "accounts_standardized": dg.AssetOut(
            kinds={"pandas"},
            description="Accounts with industry picklist, ISO country and region, size and "
            "ARR bands, registrable domain, E.164 phone and a name matching key; values that "
            "could not be standardized are null with a reason, their raw text kept.",
        ),
        "data_quality_report": dg.AssetOut(
            kinds={"pandas"},
            description="Per field: share populated and share in standard form, before and "
            "after standardization, and how many raw values stayed unresolved.",
        ),
    },
)
def accounts_standardized(
    context: dg.AssetExecutionContext,
    crm_accounts: pd.DataFrame,
    framework: FrameworkResource,
    snapshots: SnapshotStoreResource,
):
    fw = framework.load()
    # Row by row: a night where 1% of accounts changed standardizes that 1%. The memo is
    # keyed by the code, the framework and the contents of its standardization tables.
    # Each row keeps the hash of its CRM record (SOURCE_HASH): dedup and enrichment key
    # their own reuse on it instead of hashing a million rows again.
    fingerprint = _standardization_fingerprint(fw)
    # The data-quality flags of a row ride in the memo with it, so the report is a sum.
    standardized, computed = memoized_rows(
        snapshots.store(),
        "accounts_standardized",
        fingerprint,
        crm_accounts,
        lambda rows: _with_quality_flags(rows, standardize_accounts(rows, fw)),
        keep_hash=True,
        row_hash_ignores=BOOKKEEPING_FIELDS,
    )
    flag_columns = [c for c in standardized.columns if c.startswith(QUALITY_FLAG)]
    report = report_from_flags(
        standardized[flag_columns].rename(columns=lambda c: c[len(QUALITY_FLAG) :])
    )
    standardized = standardized.drop(columns=flag_columns)
    metadata = frame_metadata(
        standardized, ["account_id", "name", "domain", "industry", "country_code", "arr_tier"]
    )
    metadata["rows_standardized"] = computed
    metadata["rows_reused"] = len(standardized) - computed
    metadata["industry_status"] = dg.MetadataValue.json(
        standardized["industry_status"].value_counts().to_dict()
    )
    metadata["data_quality"] = _quality_table(report)
    yield dg.MaterializeResult(
        asset_key="accounts_standardized", value=standardized, metadata=metadata
    )
    yield dg.MaterializeResult(
        asset_key="data_quality_report",
        value=report,
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(report)),
            "report": _quality_table(report),
            "unresolved_values": dg.MetadataValue.int(int(report["unresolved"].sum())),
        },
    )


@dg.multi_asset(
    group_name="inputs",
    partitions_def=monthly_partitions,
    outs={
        "accounts_deduplicated": dg.AssetOut(
            kinds={"pandas"},
            description="One survivor row per real-world company: blanks filled from its "
            "duplicates, ARR and open pipeline summed (null with a reason when a member's "
            "ARR is unreadable), duplicate_count set.",
        ),
        "account_merge_audit": dg.AssetOut(
            kinds={"pandas"},
            description="Every folded duplicate: its survivor (the duplicate-of flag for the "
            "CRM), the pair that matched it, probability, rule, evidence and the fields it "
            "filled. Pairs in the review band (and matches the cluster guard kept apart) "
            f"go to the warehouse table {REVIEW_TABLE}, neither merged nor ignored.",
        ),
    },
)
def deduplicated_accounts(
    context: dg.AssetExecutionContext,
    accounts_standardized: pd.DataFrame,
    framework: FrameworkResource,
    snapshots: SnapshotStoreResource,
    warehouse: WarehouseResource,
):
    fw = framework.load()
    # Last run's clusters hold while no row's match fields moved (core/dedup/reuse.py).
    # A record hash says a row is unchanged only under the same standardization, so the
    # memo is keyed by that fingerprint as well as dedup's own.
    store = snapshots.store()
    memo_file = f"{code_fingerprint(dedup_module, fw)}{_standardization_fingerprint(fw)}.pkl"
    memo = store.get_pickle(CLUSTER_MEMO, memo_file)
    finding, why = carried_finding(memo, accounts_standardized)
    result = deduplicate(accounts_standardized, fw, finding)
    kept = memo_of(result.finding, accounts_standardized, memo if finding is not None else None)
    if kept is not memo:
        store.put_pickle(CLUSTER_MEMO, memo_file, kept)
        store.prune(CLUSTER_MEMO, keep={memo_file})
    context.log.info(
        "%d accounts -> %d survivors (%d folded, %d matches left for review); clusters %s (%s)",
        len(accounts_standardized),
        len(result.survivors),
        len(result.audit),
        len(result.review),
        "carried over" if finding is not None else "matched afresh",
        why,
    )
    survivors_meta = frame_metadata(
        result.survivors, ["account_id", "name", "domain", "duplicate_count"]
    )
    rates = {
        "duplicate_rate_before": result.duplicate_rate_before,
        "duplicate_rate_after": result.duplicate_rate_after,
    }
    survivors_meta.update({k: dg.MetadataValue.float(round(v, 4)) for k, v in rates.items()})
    survivors_meta["dedup_stats"] = dg.MetadataValue.json(result.stats)
    survivors_meta["clusters_carried_over"] = finding is not None
    survivors_meta["clusters_reason"] = why
    audit_meta = frame_metadata(
        result.audit, ["account_id", "survivor_id", "match_score", "rule", "fields_filled"]
    )
    audit_meta.update({k: dg.MetadataValue.float(round(v, 4)) for k, v in rates.items()})
    audit_meta["rules"] = dg.MetadataValue.json(
        result.audit["rule"].value_counts().head(10).to_dict()
    )
    audit_meta["left_for_review"] = table_md(result.review.head(20))
    audit_meta["duplicate_review_rows"] = dg.MetadataValue.int(
        store_partition(
            warehouse.client(),
            REVIEW_TABLE,
            result.review.assign(**{SNAPSHOT_COLUMN: context.partition_key}),
            SNAPSHOT_COLUMN,
            context.partition_key,
        )
    )
    if not result.weights.empty:
        # The weights learned this run, for an operator: comparison, level, m, u, weight.
        survivors_meta["match_weights"] = table_md(result.weights.round(4))
    yield dg.MaterializeResult(
        asset_key="accounts_deduplicated", value=result.survivors, metadata=survivors_meta
    )
    yield dg.MaterializeResult(
        asset_key="account_merge_audit", value=result.audit, metadata=audit_meta
    )
