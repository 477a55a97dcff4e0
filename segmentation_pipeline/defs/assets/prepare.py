"""Prepare: standardize fields, then fold duplicate accounts into survivors."""

import dagster as dg
import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import (
    CarriedMatching,
    carried_matching,
    carry_over,
    full_pass_reason,
    matching_of,
)
from segmentation_pipeline.core.changes import ROW_HASH, SOURCE_HASH
from segmentation_pipeline.core.dedup import deduplicate
from segmentation_pipeline.core.standardize import (
    quality_flags,
    report_from_flags,
    standardize_accounts,
    unknown_choices,
)
from segmentation_pipeline.core.standardize.dates import (
    date_order_warning,
    unreadable_dates_warning,
)
from segmentation_pipeline.core.standardize.flags import unreadable_flags
from segmentation_pipeline.defs.assets._carry import carry_step
from segmentation_pipeline.defs.assets._metadata import frame_metadata, table_md
from segmentation_pipeline.defs.assets.warehouse import SNAPSHOT_COLUMN
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import (
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.framework import Framework
from segmentation_pipeline.io.state_store import state_stamp
from segmentation_pipeline.io.warehouse_partitions import store_partition

_QUALITY_COLUMNS = ["field", "populated_before", "standardized_before", "populated_after",
                    "standardized_after", "unresolved"]  # fmt: skip


QUALITY_FLAG = "_quality:"
STANDARDIZED_STATE = "accounts_standardized"
MATCHING_STATE = "dedup_matching"
REVIEW_TABLE = "duplicate_review"


def _stamp(fw: Framework) -> dict:
    """What standardized rows (and so matching) depend on besides their input rows."""
    return state_stamp(fw, tables=fw.standardization.tables_digest())


def _with_quality_flags(raw: pd.DataFrame, standardized: pd.DataFrame) -> pd.DataFrame:
    flags = quality_flags(raw, standardized).add_prefix(QUALITY_FLAG)
    return pd.concat([standardized, flags.set_axis(standardized.index)], axis=1)


def _quality_table(report: pd.DataFrame) -> dg.MetadataValue:
    shares = report[_QUALITY_COLUMNS].copy()
    for column in _QUALITY_COLUMNS[1:-1]:
        shares[column] = shares[column].map("{:.1%}".format)
    return table_md(shares)


CONTRACT_END = "Contract_End_Date__c"
# SystemModstamp too: read against the export's order, an edit reads as one of another
# month, and an incremental night may not read it.
DATE_FIELDS = ("CreatedDate", "SystemModstamp", CONTRACT_END)


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
    account_changes: pd.DataFrame,
    framework: FrameworkResource,
    snapshots: SnapshotStoreResource,
):
    fw = framework.load()

    # Row by row: a night where 1% of accounts changed standardizes that 1%; the others'
    # rows come from the state store, keyed by account id and CRM record hash. Each row
    # keeps that hash (SOURCE_HASH): dedup and enrichment key their carry-over on it.
    # The data-quality flags of a row are kept with it, so the report is a sum.
    def standardize(rows: np.ndarray) -> pd.DataFrame:
        raw = crm_accounts.take(rows).drop(columns=[ROW_HASH]).reset_index(drop=True)
        return _with_quality_flags(raw, standardize_accounts(raw, fw))

    hashes = crm_accounts[ROW_HASH].to_numpy(dtype=np.uint64)
    carried, carry_metadata = carry_step(
        snapshots.store(), STANDARDIZED_STATE, _stamp(fw), account_changes,
        lambda stored: carry_over(
            crm_accounts["Id"], hashes, stored, standardize, hash_column=SOURCE_HASH
        ),
    )  # fmt: skip
    standardized = carried.rows
    flag_columns = [c for c in standardized.columns if c.startswith(QUALITY_FLAG)]
    report = report_from_flags(
        standardized[flag_columns].rename(columns=lambda c: c[len(QUALITY_FLAG) :])
    )
    standardized = standardized.drop(columns=flag_columns)
    metadata = frame_metadata(
        standardized, ["account_id", "name", "domain", "industry", "country_code", "arr_tier"]
    )
    metadata.update(carry_metadata)
    metadata["industry_status"] = dg.MetadataValue.json(
        standardized["industry_status"].value_counts().to_dict()
    )
    metadata["data_quality"] = _quality_table(report)
    unknown = unknown_choices(standardized, fw)
    metadata["picklist_values_not_in_framework"] = dg.MetadataValue.json(unknown)
    for field, values in unknown.items():
        context.log.warning(
            "%s: %d accounts hold values the framework does not list (%s); they score "
            "the criterion's unknown points (the tier: no current tier)",
            field, sum(values.values()), ", ".join(f"{v} {n}" for v, n in values.items()),
        )  # fmt: skip
    unread = unreadable_flags(crm_accounts["Segment_Override__c"])
    metadata["override_values_unread"] = dg.MetadataValue.json(unread)
    if unread:
        context.log.warning(
            "Segment_Override__c: %d accounts hold values that are neither yes nor no (%s); "
            "they read as no override",
            sum(unread.values()), ", ".join(f"{v} {n}" for v, n in unread.items()),
        )  # fmt: skip
    # An unreadable CreatedDate leaves its account Unsegmented with the reason; a contract
    # end read as no date is only unknown, so it is named here.
    day_first = fw.standardization.dates_day_first
    dates = [
        *(date_order_warning(f, crm_accounts[f], day_first) for f in DATE_FIELDS),
        unreadable_dates_warning(CONTRACT_END, crm_accounts[CONTRACT_END], day_first),
    ]
    dates = [line for line in dates if line]
    metadata["dates_not_read_as_written"] = dg.MetadataValue.json(dates)
    for line in dates:
        context.log.warning(line)
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
    account_changes: pd.DataFrame,
    framework: FrameworkResource,
    snapshots: SnapshotStoreResource,
    warehouse: WarehouseResource,
):
    fw = framework.load()
    # Last night's clusters hold while no account came, went or moved a match field
    # (`full_pass_reason`); survivorship and the audit run again over every cluster.
    store, stamp = snapshots.store(), _stamp(fw)
    stored = store.load_record(MATCHING_STATE, stamp, CarriedMatching)
    why = full_pass_reason(account_changes, stored is not None, match_sensitive=True)
    carried, _ = (None, 0) if why else carried_matching(stored, accounts_standardized)
    if why is None and carried is None:
        why = "match inputs differ from the stored matching"
    result = deduplicate(accounts_standardized, fw, carried.finding if carried else None)
    if carried is None:
        store.save_record(MATCHING_STATE, stamp, matching_of(result.finding, accounts_standardized))
    elif carried is not stored:
        store.save_record(MATCHING_STATE, stamp, carried)
    finding, why = carried, why or "no match input changed"
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
    survivors_meta["full_pass_reason"] = "" if finding is not None else why
    survivors_meta["rows_recomputed"] = 0 if finding is not None else len(accounts_standardized)
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
