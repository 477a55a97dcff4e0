"""Extract: accounts and product usage from the configured CRM.

`crm_accounts` is incremental. The warehouse keeps, in one `pipeline_state` row, the
high-water mark and the name of the snapshot file holding every account as of that mark.
A nightly run asks the CRM only for what changed since the mark, folds it into the
snapshot, writes the new snapshot file, and commits the new mark and file name together.
It extracts everything instead (and reconciles deletions the source cannot report) on the
first run, on the first run of a new month, when the CRM source changes, when the stored
snapshot or the month's stored rejections are missing or unreadable, or on request.

Every record read is screened first (core/rejections.py): records without an Id, with a
date no account can have, stamped in the future, or repeating an Id go to
`crm_rejected_records` with a reason instead of the snapshot, and a future stamp never
advances the mark. The month's rejections are kept beside the snapshot, so an incremental
night still reports the records rejected earlier in the month.
"""

from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.change_set import account_changes, extract_full_pass
from segmentation_pipeline.core.changes import ROW_HASH, merge_extract, unlisted_ids
from segmentation_pipeline.core.clock import as_utc, utc_now
from segmentation_pipeline.core.crm_sync import echoed_write_backs
from segmentation_pipeline.core.framework_versions import framework_mismatch
from segmentation_pipeline.core.input_contract import (
    USAGE_INPUT,
    InputContractError,
    check_usage_feed,
)
from segmentation_pipeline.core.products import named_usage_values, repeated_usage_rows
from segmentation_pipeline.core.record_ids import in_known_form
from segmentation_pipeline.core.rejections import (
    believable_mark,
    carry_rejections,
    screen_records,
)
from segmentation_pipeline.defs.assets._metadata import frame_metadata, table_md
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import (
    CrmResource,
    FrameworkResource,
    SnapshotStoreResource,
    WarehouseResource,
)
from segmentation_pipeline.framework import DEFAULT_FRAMEWORK_PATH, Framework
from segmentation_pipeline.framework.loader import settings_digest
from segmentation_pipeline.io.crm import CrmError, CrmInputMissing, CrmState
from segmentation_pipeline.io.warehouse import Warehouse

STATE_NAME = "crm_accounts"
REJECTED_STATE_NAME = "crm_rejected_records"
FRAMEWORKS_STATE = "applied_frameworks"  # version -> {"digest": ...}, in pipeline_state
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


def _read_accounts(crm: CrmResource, since: datetime | None, state: CrmState, day_first: bool):
    try:
        return crm.read_accounts(since=since, state=state, day_first=day_first)
    except CrmError as exc:
        raise dg.Failure(description=str(exc)) from None


def _previous_rejections(store, state: dict | None, partition: str) -> pd.DataFrame | None:
    """This month's rejections so far (another month's or none: None)."""
    if not state or not state.get("rejected") or state.get("partition") != partition:
        return None
    return store.read(REJECTED_STATE_NAME, state["rejected"])


def _check_applied_framework(client: Warehouse, fw: Framework, file: Path) -> None:
    """Before anything is read: the framework is the one its version stood for on earlier
    nights, and not the bundled file behind a newer adopted one (`framework_mismatch`)."""
    applied = client.get_state(FRAMEWORKS_STATE) or {}
    bundled = file.resolve() == DEFAULT_FRAMEWORK_PATH.resolve()
    digest = settings_digest(file)
    problem = framework_mismatch(applied, fw.version, digest, bundled)
    if problem:
        raise dg.Failure(description=f"{file}: {problem}")
    if fw.version not in applied:
        client.set_state(FRAMEWORKS_STATE, {**applied, fw.version: {"digest": digest}})


@dg.multi_asset(
    group_name="inputs",
    partitions_def=monthly_partitions,
    outs={
        "crm_accounts": dg.AssetOut(
            kinds={"pandas"},
            description="Every account as the CRM holds it (Salesforce field names, plus "
            "_row_hash: each record's content hash), one snapshot a month; nightly runs "
            "read only what changed since the stored high-water mark.",
        ),
        "account_changes": dg.AssetOut(
            kinds={"pandas"},
            description="Tonight's change set: one row per account that is new, changed "
            "(with which inputs moved: match_fields, enrichment_inputs, scoring_fields) or "
            "deleted since the last snapshot; the pipeline's own write-backs are no change. "
            "On a night computed whole it names every account, with full_pass_reason.",
        ),
        "crm_rejected_records": dg.AssetOut(
            kinds={"pandas"},
            description="The month's CRM records kept out of the snapshot, one row each "
            "with account_id, source_file, reason (missing_id, mangled_id, date_out_of_range, "
            "future_timestamp, duplicate_id), detail and the run_id that first rejected it.",
        ),
    },
)
def crm_accounts(
    context: dg.AssetExecutionContext,
    config: ExtractConfig,
    crm: CrmResource,
    warehouse: WarehouseResource,
    snapshots: SnapshotStoreResource,
    framework: FrameworkResource,
):
    fw = framework.load()
    client, store = warehouse.client(), snapshots.store()
    if framework.is_deployed():  # not a file a run's config names for itself
        _check_applied_framework(client, fw, framework.file())
    source = crm.source_id()
    state = client.get_state(STATE_NAME)
    reason = _full_refresh_reason(config, state, source, context.partition_key)
    previous = store.read(STATE_NAME, state["snapshot"]) if state else None
    if reason is None and previous is None:
        reason = "stored snapshot missing"
    earlier_rejections = _previous_rejections(store, state, context.partition_key)
    if reason is None and state.get("rejected") and earlier_rejections is None:
        reason = "stored rejections missing"  # an incremental read would forget them

    tolerance = timedelta(minutes=fw.inputs.future_tolerance_minutes)
    latest_believable = pd.Timestamp(utc_now() + tolerance)
    mark_before = None if reason else datetime.fromisoformat(state["high_water_mark"])
    if mark_before is not None and as_utc(mark_before) > latest_believable:
        # A mark pinned in the future (stored before stamps were screened) would hide every
        # later edit until the month ends: read everything once and set it again.
        reason, mark_before = f"stored high-water mark {mark_before} is in the future", None
    since = mark_before - timedelta(minutes=config.overlap_minutes) if mark_before else None
    # The source's own state (e.g. Salesforce's related records) is kept with the mark.
    crm_state = CrmState(store, state.get("crm") if state else None)
    day_first = fw.standardization.dates_day_first
    extract = _read_accounts(crm, since, crm_state, day_first)
    full = since is None or extract.full_refresh
    if since is not None and extract.full_refresh:
        reason = extract.notes.get("full_read_reason") or "source answered with a full extract"
    screening = screen_records(
        extract.accounts,
        latest_believable=latest_believable,
        source_file=extract.source or source,
        day_first=day_first,
    )
    # A held account whose new version is rejected leaves the snapshot: it is counted once,
    # as rejected, not also as the stale version.
    read_ids = screening.accepted["Id"].dropna()
    refused = screening.rejected["account_id"].dropna()
    refused_ids = refused[~refused.isin(read_ids)].unique().tolist()
    deleted_ids = [*extract.deleted_ids, *unlisted_ids(previous, extract.listed_ids, full)]
    snapshot, changes = merge_extract(
        previous,
        screening.accepted,
        key="Id",
        full_refresh=full,
        deleted_ids=[*deleted_ids, *refused_ids],
        ignore=BOOKKEEPING_FIELDS,
    )
    if snapshot.empty:
        raise dg.Failure(
            description=f"{extract.source or source}: no usable account "
            f"({len(screening.rejected)} read, all rejected: "
            f"{screening.rejected['reason'].value_counts().to_dict()})"
        )
    rejected = carry_rejections(
        earlier_rejections,
        screening.rejected,
        read_ids=[*read_ids, *refused],
        deleted_ids=deleted_ids,
        full_refresh=full,
        run_id=context.run.run_id,
    )
    # The mark never moves back, even when only records inside the overlap came back, and
    # never moves to a stamp in the future.
    extract_mark = believable_mark(
        extract.high_water_mark, screening.accepted_modstamps, latest_believable
    )
    marks = [as_utc(m) for m in (extract_mark, mark_before) if m is not None and not pd.isna(m)]
    # The pipeline's own write-back coming back is no edit (it moved no input of a score).
    echo, ignored = crm.write_back_echo(), (*BOOKKEEPING_FIELDS, ROW_HASH)
    echoed = echoed_write_backs(previous, snapshot, changes.updated, "Id", echo, ignored)
    mark = max(marks) if marks else None
    unchanged_night = state is not None and not full and changes.changed == 0
    snapshot_file = state["snapshot"] if unchanged_night else store.write(STATE_NAME, snapshot)
    # The same rejections keep their file, so a re-run on the same input writes no state.
    same_rejections = earlier_rejections is not None and earlier_rejections.astype(object).equals(
        rejected
    )
    rejected_file = (
        state["rejected"] if same_rejections else store.write(REJECTED_STATE_NAME, rejected)
    )
    client.set_state(
        STATE_NAME,
        {
            "source": source,
            "high_water_mark": mark.isoformat() if mark else None,
            "snapshot": snapshot_file,
            "rejected": rejected_file,
            "partition": context.partition_key,
            "accounts": len(snapshot),
            "crm": extract.kept,
        },
    )
    store.prune(STATE_NAME, keep={snapshot_file, state["snapshot"]} if state else {snapshot_file})
    kept_rejections = {
        rejected_file,
        *([state["rejected"]] if state and state.get("rejected") else []),
    }
    store.prune(REJECTED_STATE_NAME, keep=kept_rejections)

    # Each record keeps its content hash (ROW_HASH, over every field but the bookkeeping
    # ones): standardization keys its row memo on it instead of hashing a million records.
    accounts = snapshot
    context.log.info(
        "%s extract from %s: read %d, rejected %d, new %d, updated %d, deleted %d, unchanged %d",
        "full" if full else "incremental",
        source,
        len(extract.accounts),
        len(screening.rejected),
        len(changes.new),
        len(changes.updated) - len(echoed),
        len(changes.deleted),
        changes.unchanged,
    )
    metadata = frame_metadata(accounts, ["Id", "Name", "Website", "Industry", "ARR__c"])
    metadata.update(
        {
            "extract_mode": "full" if full else "incremental",
            "full_refresh_reason": reason or "",
            "rows_read_from_crm": len(extract.accounts),
            "rows_rejected": len(screening.rejected),
            "new_accounts": len(changes.new),
            "updated_accounts": len(changes.updated) - len(echoed),
            "own_write_back_accounts": len(echoed),
            "deleted_accounts": len(changes.deleted),
            "unchanged_accounts_read": changes.unchanged,
            "changed_share": dg.MetadataValue.float(
                round(changes.changed / max(len(accounts), 1), 6)
            ),
            "high_water_mark_before": str(mark_before) if mark_before else "",
            "high_water_mark": str(mark) if mark else "",
            **extract.notes,
        }
    )
    yield dg.MaterializeResult(asset_key="crm_accounts", value=accounts, metadata=metadata)
    same_source = state is not None and state.get("source") == source
    full_pass = extract_full_pass(reason, config.full_refresh, previous is not None, same_source)
    changed = account_changes(
        previous, snapshot, changes, echoed, full_pass=full_pass, ignore=ignored
    )
    yield dg.MaterializeResult(
        asset_key="account_changes",
        value=changed,
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(changed)),
            "full_pass_reason": full_pass or "",
            "changes": dg.MetadataValue.json(changed["change"].value_counts().to_dict()),
            "inputs_changed": dg.MetadataValue.json(
                {
                    c: int(changed[c].sum())
                    for c in ("match_fields", "enrichment_inputs", "scoring_fields")
                }
            ),
        },
    )
    rejected_metadata = frame_metadata(rejected)
    rejected_metadata["rejected_tonight"] = len(screening.rejected)
    rejected_metadata["reasons"] = dg.MetadataValue.json(
        rejected["reason"].value_counts().to_dict()
    )
    rejected_metadata["rejected_records"] = table_md(rejected.head(20))
    yield dg.MaterializeResult(
        asset_key="crm_rejected_records", value=rejected, metadata=rejected_metadata
    )


@dg.asset(
    group_name="inputs",
    kinds={"pandas"},
    partitions_def=monthly_partitions,
    # After the extract: a CRM that derives usage from records the extract read (open
    # Salesforce cases) takes them from the state it kept instead of reading them again.
    ins={"crm_accounts": dg.AssetIn(metadata={"columns": ["Id"]})},
    description="Product usage per account: logins, active users, features, tickets, NPS. "
    "Rows of an account merged away in Salesforce name its master in MasterRecordId. "
    "A missing, empty or header-only feed fails the step unless the framework says there "
    "is none (inputs.usage_feed: false). Rows keyed by the other form of an account's "
    "Salesforce Id (15 or 18 characters) are keyed by the account's.",
)
def product_usage(
    context: dg.AssetExecutionContext,
    crm_accounts: pd.DataFrame,
    crm: CrmResource,
    framework: FrameworkResource,
    warehouse: WarehouseResource,
    snapshots: SnapshotStoreResource,
) -> dg.MaterializeResult:
    expected = framework.load().inputs.usage_feed
    state = warehouse.client().get_state(STATE_NAME)
    crm_state = CrmState(snapshots.store(), state.get("crm") if state else None)
    try:
        usage = crm.read_usage(crm_state)
        check_usage_feed(len(usage), expected, crm.usage_source())
    except CrmInputMissing as exc:
        if expected:
            raise dg.Failure(
                description=f"{exc} (the framework expects a usage feed: set "
                "inputs.usage_feed: false if this deployment has none)"
            ) from None
        context.log.info("no usage feed (inputs.usage_feed: false): %s", exc)
        usage = pd.DataFrame(columns=list(USAGE_INPUT.required_columns))
    except (CrmError, InputContractError) as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info("read usage for %d accounts", len(usage))
    ids, other_form = in_known_form(usage["AccountId"], crm_accounts["Id"])
    if other_form:
        context.log.info(
            "%d usage rows name their account by the other form of its Id (15 or 18 "
            "characters): read as the account's",
            other_form,
        )
        usage = usage.assign(AccountId=ids)
    metadata = frame_metadata(usage)
    metadata["ids_in_other_form"] = other_form
    refused, unreadable = named_usage_values(usage)
    if refused:
        context.log.warning(
            "usage values outside their range read as unknown: %s", _named_values(refused)
        )
    metadata["values_out_of_range"] = dg.MetadataValue.json(refused)
    if unreadable:
        context.log.warning(
            "usage values that are no number read as unknown: %s", _named_values(unreadable)
        )
    metadata["values_unreadable"] = dg.MetadataValue.json(unreadable)
    repeated = repeated_usage_rows(usage)
    if repeated:
        context.log.warning(
            "usage rows repeating an account and product with other values (the last is kept): %s",
            ", ".join(f"{a} ({n} rows)" for a, n in repeated.items()),
        )
    metadata["rows_repeated_with_other_values"] = dg.MetadataValue.json(repeated)
    return dg.MaterializeResult(value=usage, metadata=metadata)


def _named_values(found: dict[str, list]) -> str:
    """'OpenTickets (e.g. -1, -4); NPS (e.g. 250)' for a log line."""
    return "; ".join(f"{c} (e.g. {', '.join(map(str, v))})" for c, v in found.items())
