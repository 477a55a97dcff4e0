"""Extract: accounts and product usage from the configured CRM.

`crm_accounts` is incremental. The warehouse keeps, in one `pipeline_state` row, the
high-water mark and the name of the snapshot file holding every account as of that mark.
A nightly run asks the CRM only for what changed since the mark, folds it into the
snapshot, writes the new snapshot file, and commits the new mark and file name together.
It extracts everything instead (and reconciles deletions the source cannot report) on the
first run, on the first run of a new month, when the CRM source changes, when the stored
snapshot is missing, or on request.
"""

from datetime import datetime, timedelta

import dagster as dg

from segmentation_pipeline.core.changes import merge_extract
from segmentation_pipeline.core.clock import as_utc
from segmentation_pipeline.defs.assets._metadata import frame_metadata
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import (
    CrmResource,
    SnapshotStoreResource,
    WarehouseResource,
)

STATE_NAME = "crm_accounts"
# Bookkeeping fields that change without a real edit; they do not make a record "changed".
BOOKKEEPING_FIELDS = ("SystemModstamp", "LastModifiedDate", "LastViewedDate", "LastReferencedDate")


class ExtractConfig(dg.Config):
    full_refresh: bool = False
    """Re-read every account and reconcile deletions, whatever the stored state says."""
    overlap_minutes: int = 5
    """Ask for records modified this long before the mark too: a record saved by a
    transaction still open at the last extract can carry an earlier stamp. Re-read records
    whose content did not change count as unchanged, so the overlap costs only reads."""


def _full_refresh_reason(
    config: ExtractConfig, state: dict | None, source: str, partition: str
) -> str | None:
    if config.full_refresh:
        return "requested"
    if state is None:
        return "first run"
    if state.get("source") != source:
        return "CRM source changed"
    if not state.get("high_water_mark"):
        return "no high-water mark yet"
    if state.get("partition") != partition:
        return "new month: full reconcile"
    return None


@dg.asset(
    group_name="extract",
    kinds={"pandas"},
    partitions_def=monthly_partitions,
    description="Every account as the CRM holds it (Salesforce field names, plus _row_hash: "
    "each record's content hash), one snapshot a month; nightly runs read only what changed "
    "since the stored high-water mark.",
)
def crm_accounts(
    context: dg.AssetExecutionContext,
    config: ExtractConfig,
    crm: CrmResource,
    warehouse: WarehouseResource,
    snapshots: SnapshotStoreResource,
) -> dg.MaterializeResult:
    client, store = warehouse.client(), snapshots.store()
    source = crm.source_id()
    state = client.get_state(STATE_NAME)
    reason = _full_refresh_reason(config, state, source, context.partition_key)
    previous = store.read(STATE_NAME, state["snapshot"]) if state else None
    if reason is None and previous is None:
        reason = "stored snapshot missing"

    mark_before = None if reason else datetime.fromisoformat(state["high_water_mark"])
    since = mark_before - timedelta(minutes=config.overlap_minutes) if mark_before else None
    extract = crm.read_accounts(since=since)
    full = since is None or extract.full_refresh
    if since is not None and extract.full_refresh:
        reason = "source answered with a full extract"
    snapshot, changes = merge_extract(
        previous,
        extract.accounts,
        key="Id",
        full_refresh=full,
        deleted_ids=extract.deleted_ids,
        ignore=BOOKKEEPING_FIELDS,
    )
    # The mark never moves back, even when only records inside the overlap came back.
    marks = [as_utc(m) for m in (extract.high_water_mark, mark_before) if m is not None]
    mark = max(marks) if marks else None
    unchanged_night = state is not None and not full and changes.changed == 0
    snapshot_file = state["snapshot"] if unchanged_night else store.write(STATE_NAME, snapshot)
    client.set_state(
        STATE_NAME,
        {
            "source": source,
            "high_water_mark": mark.isoformat() if mark else None,
            "snapshot": snapshot_file,
            "partition": context.partition_key,
            "accounts": len(snapshot),
        },
    )
    store.prune(STATE_NAME, keep={snapshot_file, state["snapshot"]} if state else {snapshot_file})

    # Each record keeps its content hash (ROW_HASH, over every field but the bookkeeping
    # ones): standardization keys its row memo on it instead of hashing a million records.
    accounts = snapshot
    context.log.info(
        "%s extract from %s: read %d, new %d, updated %d, deleted %d, unchanged %d",
        "full" if full else "incremental",
        source,
        len(extract.accounts),
        len(changes.new),
        len(changes.updated),
        len(changes.deleted),
        changes.unchanged,
    )
    metadata = frame_metadata(accounts, ["Id", "Name", "Website", "Industry", "ARR__c"])
    metadata.update(
        {
            "extract_mode": "full" if full else "incremental",
            "full_refresh_reason": reason or "",
            "rows_read_from_crm": len(extract.accounts),
            "new_accounts": len(changes.new),
            "updated_accounts": len(changes.updated),
            "deleted_accounts": len(changes.deleted),
            "unchanged_accounts_read": changes.unchanged,
            "changed_share": dg.MetadataValue.float(
                round(changes.changed / max(len(accounts), 1), 6)
            ),
            "high_water_mark_before": str(mark_before) if mark_before else "",
            "high_water_mark": str(mark) if mark else "",
        }
    )
    return dg.MaterializeResult(value=accounts, metadata=metadata)


@dg.asset(
    group_name="extract",
    kinds={"pandas"},
    partitions_def=monthly_partitions,
    description="Product usage per account: logins, active users, features, tickets, NPS.",
)
def product_usage(context: dg.AssetExecutionContext, crm: CrmResource) -> dg.MaterializeResult:
    usage = crm.read_usage()
    context.log.info("read usage for %d accounts", len(usage))
    return dg.MaterializeResult(value=usage, metadata=frame_metadata(usage))
