"""Salesforce in the Dagster layer: the connection resource, the CRM source, the write-back.

Thin on purpose: what to read, what changed and how to send it live in
`io/salesforce/` and `core/crm_sync.py`; here they are wired to config, the warehouse
and asset metadata.
"""

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from segmentation_pipeline.core.clock import utc_now
from segmentation_pipeline.core.crm_sync import (
    DEFAULT_FIELD_MAP,
    DEFAULT_UPDATED_AT_FIELD,
    WriteBackEcho,
    unwritten,
)
from segmentation_pipeline.core.crm_write_back import (
    DUPLICATE_OF_COLUMN,
    duplicate_rows,
    enriched_field_map,
    enriched_values,
    fill_blank_fields,
)
from segmentation_pipeline.core.input_contract import USAGE_INPUT
from segmentation_pipeline.core.merge_candidates import merge_candidates as merge_candidate_rows
from segmentation_pipeline.core.merged_usage import final_masters, mark_masters, still_merged
from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS, RAW_USAGE_COLUMNS
from segmentation_pipeline.defs.partitions import current_month_key, monthly_partitions
from segmentation_pipeline.defs.resources import CrmResource, FrameworkResource, WarehouseResource
from segmentation_pipeline.framework.loader import load_framework
from segmentation_pipeline.io.crm import AccountExtract, CrmState, FileCrm
from segmentation_pipeline.io.salesforce import (
    ExtractSettings,
    SalesforceAccountSource,
    SalesforceClient,
    SalesforceSettings,
)
from segmentation_pipeline.io.salesforce.merges import keep_merges, load_merges
from segmentation_pipeline.io.salesforce.related import load_related, save_related
from segmentation_pipeline.io.salesforce.reviews import read_salesforce_reviews
from segmentation_pipeline.io.salesforce.sync import FAILED_OUTCOMES, SegmentSync, SyncReport
from segmentation_pipeline.io.salesforce.sync import SyncSettings as _SyncSettings
from segmentation_pipeline.io.salesforce.sync_log import append_sync_log, last_run_failures
from segmentation_pipeline.io.state_store import state_stamp

# The Account checkbox of a manual override: such a record's segment is a person's.
OVERRIDE_FIELD = "Segment_Override__c"
_SECRET_FIELDS = ("password", "security_token", "consumer_secret", "private_key", "session_id")


class SalesforceResource(dg.ConfigurableResource):
    """A Salesforce org. Pass secrets as `dg.EnvVar(...)`; see docs/salesforce.md."""

    auth_mode: str = "password"
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = None
    private_key: str | None = None
    private_key_file: str | None = None
    session_id: str | None = None
    instance_url: str | None = None
    domain: str = "login"
    api_version: str = "59.0"
    proxy_url: str | None = None
    ca_bundle: str | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 4
    backoff_seconds: float = 1.0
    quota_stop_share: float = 0.8
    bulk_poll_seconds: float = 2.0
    bulk_query_threshold: int = 10000
    bulk_write_threshold: int = 2000
    segment_field_map: dict[str, str] = dict(DEFAULT_FIELD_MAP)
    updated_at_field: str = DEFAULT_UPDATED_AT_FIELD

    def settings(self) -> SalesforceSettings:
        values = {
            name: getattr(self, name)
            for name in SalesforceSettings.model_fields
            if hasattr(self, name) and getattr(self, name) not in (None, "")
        }
        return SalesforceSettings(**values)

    def client(self) -> SalesforceClient:
        return SalesforceClient(self.settings())

    def sync_settings(self, **overrides: object) -> _SyncSettings:
        """The segment write-back's settings; `overrides` (field_map, fill_blank, ...)
        reuse its write path, thresholds and quota guard for the other write-backs."""
        values: dict = {
            "field_map": dict(self.segment_field_map),
            "updated_at_field": self.updated_at_field or None,
            "bulk_threshold": self.bulk_write_threshold,
            "bulk_query_threshold": self.bulk_query_threshold,
        }
        return _SyncSettings(**(values | overrides))


def salesforce_resource_from_env(environ: dict[str, str] | None = None) -> SalesforceResource:
    """`SALESFORCE_<FIELD>` variables -> resource; secrets stay `EnvVar` references."""
    env = os.environ if environ is None else environ
    values: dict = {}
    for name in SalesforceResource.model_fields:
        key = f"SALESFORCE_{name.upper()}"
        if key not in env or name in ("segment_field_map",):
            continue
        annotation = SalesforceResource.model_fields[name].annotation
        if name in _SECRET_FIELDS:
            values[name] = dg.EnvVar(key)
        elif annotation in (int, float):
            values[name] = annotation(env[key])
        else:
            values[name] = env[key]
    return SalesforceResource(**values)


class SalesforceCrmResource(CrmResource):
    """`crm_accounts` from Salesforce: incremental by SystemModstamp after the stored
    high-water mark; a full read of every account (so accounts purged from the org leave
    the snapshot) when `crm_accounts` asks for one (first run, each new month, its
    `full_refresh`) or when this resource's `full_refresh` is set. Usage from
    `usage_folder`'s product_usage.csv, with open Salesforce cases as the ticket count."""

    salesforce: SalesforceResource
    full_refresh: bool = False
    derive_signals: bool = True
    usage_folder: str = ""
    account_fields: dict[str, str] = {c: c for c in RAW_ACCOUNT_COLUMNS}
    future_timestamp_tolerance_minutes: float = 5.0
    """A SystemModstamp this far past the org's clock never moves the high-water mark."""
    framework_path: str = ""
    """The framework whose `expansion_opportunity_types` count into Expansion_Pipeline__c
    (empty: the bundled one)."""

    def _source(self) -> tuple[SalesforceAccountSource, dict]:
        """The source, and the stamp of related records read under its settings: this
        code and this framework (its `expansion_opportunity_types` shape the signals)."""
        framework = load_framework(self.framework_path or None)
        kinds = framework.assignment.value_inputs.expansion_opportunity_types
        settings = ExtractSettings(
            account_fields=dict(self.account_fields),
            derive_signals=self.derive_signals,
            bulk_query_threshold=self.salesforce.bulk_query_threshold,
            future_tolerance_seconds=self.future_timestamp_tolerance_minutes * 60,
            expansion_opportunity_types=tuple(kinds),
        )
        source = SalesforceAccountSource(self.salesforce.client(), settings)
        return source, state_stamp(framework)

    def read_accounts(
        self, since: datetime | None = None, state: CrmState | None = None, day_first: bool = False
    ) -> AccountExtract:
        """Accounts since `since`; the related records are folded into those `state`
        kept (read whole when it kept none under tonight's stamp, and then the accounts
        too), and kept again for the commit with the mark. The API sends its stamps in ISO
        8601, whatever `day_first` says."""
        source, stamp = self._source()
        full = since is None or self.full_refresh
        held = None if full or state is None else load_related(state.store, state.kept, stamp)
        delta = source.read_accounts(None if full else since, held)
        related, kept = delta.related, None
        if related is not None and state is not None:
            kept = save_related(state.store, related, state.kept, stamp)
        if state is not None:
            held = load_merges(state.store, state.kept)
            merges = still_merged(held, delta.merged_into, delta.accounts["Id"])
            kept = keep_merges(state.store, kept, merges, state.kept)
        related_mode = related.mode if related else "none"
        logger = dg.get_dagster_logger()
        logger.info(
            "Salesforce %s read: %d account rows, %d deleted, %d related rows (%s), %d API calls",
            "full" if full or delta.full_read_reason else "incremental",
            len(delta.accounts),
            len(delta.deleted_ids),
            related.rows_read if related else 0,
            related_mode,
            source.client.usage.calls,
        )
        if delta.future_stamps:
            logger.warning(
                "Salesforce: %d account(s) carry a SystemModstamp beyond the org's clock "
                "+ %s min; they did not move the high-water mark",
                delta.future_stamps,
                self.future_timestamp_tolerance_minutes,
            )
        notes = {
            "related_objects_read": related_mode,
            "related_rows_read": related.rows_read if related else 0,
            "full_read_reason": delta.full_read_reason,
        }
        return AccountExtract(
            delta.accounts,
            delta.deleted_ids,
            delta.high_water_mark,
            full or bool(delta.full_read_reason),
            kept=kept,
            notes=notes,
        )

    def write_back_echo(self) -> WriteBackEcho:
        """The extract columns `crm_segment_sync` writes (e.g. Customer_Tier__c from the
        segment): their change the next night is the pipeline's own, unless the account
        is under a manual override."""
        segment = {*self.salesforce.segment_field_map.values(), self.salesforce.updated_at_field}
        # The enriched fields `crm_enrichment_sync` fills are ours too, override or not (a
        # rep's edit of only those fields is then counted as an echo: it moves the inputs
        # all the same); the override hands a person the segment fields only.
        policy = load_framework(self.framework_path or None).crm_sync
        written = segment | {f.crm_field for f in policy.enriched_fields}
        fields = tuple(c for c, name in self.account_fields.items() if name in written)
        manual = tuple(c for c, name in self.account_fields.items() if name in segment)
        override = OVERRIDE_FIELD if OVERRIDE_FIELD in self.account_fields else None
        return WriteBackEcho(fields=fields, manual_flag=override, manual_fields=manual)

    def read_review_entries(self) -> pd.DataFrame:
        return read_salesforce_reviews(self.salesforce.client())

    def usage_source(self) -> str:
        if self.usage_folder:
            return str(Path(self.usage_folder) / USAGE_INPUT.file_name)
        return "Salesforce's open cases alone (SEGMENTATION_USAGE_FOLDER is not set)"

    def read_usage(self, state: CrmState | None = None) -> pd.DataFrame:
        """`usage_folder`'s usage with open cases as tickets: from the related records
        tonight's extract kept in `state`, else read whole. The rows of an account merged
        away name its master (`mark_masters`), from the merges tonight's extract kept."""
        if self.usage_folder:
            usage = FileCrm(self.usage_folder).read_usage()
        else:
            usage = pd.DataFrame(columns=list(RAW_USAGE_COLUMNS))
        masters = final_masters(load_merges(state.store, state.kept)) if state else {}
        if not self.derive_signals:
            return mark_masters(usage, masters)
        source, stamp = self._source()
        held = load_related(state.store, state.kept, stamp) if state else None
        tickets = source.read_usage(held)[["AccountId", "OpenTickets"]]
        how = "left" if self.usage_folder else "outer"
        merged = usage.drop(columns=["OpenTickets"]).merge(tickets, on="AccountId", how=how)
        merged["OpenTickets"] = merged["OpenTickets"].fillna(0).astype(int).astype(str)
        return mark_masters(merged[list(usage.columns)], masters)


class CrmSyncConfig(dg.Config):
    dry_run: bool = False


def _md(frame: pd.DataFrame, rows: int = 20) -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.head(rows).to_markdown(index=False) if len(frame) else "none")


def sync_metadata(report: SyncReport, previous_failures: pd.DataFrame) -> dict:
    log = report.log
    failed = log[log["outcome"].isin(FAILED_OUTCOMES)]
    retried = set(previous_failures["account_id"]) & set(
        log.loc[log["outcome"].isin(("success", "failed")), "account_id"]
    )
    used = f"{report.api_usage[0]}/{report.api_usage[1]}" if report.api_usage else "unknown"
    share = report.api_usage[0] / report.api_usage[1] if report.api_usage else None
    metadata = {
        "dry_run": report.dry_run,
        "write_path": report.write_path,
        "changed": report.changed,
        "sent": report.sent,
        "succeeded": report.succeeded,
        "failed": report.failed,
        "not_sent": report.not_sent,
        "unknown": report.unknown,
        "skipped_override": report.skipped_override,
        "skipped_changed": report.skipped_changed,
        "unchanged": report.unchanged,
        "api_calls": report.api_calls,
        "quota_used": used,
        "quota_used_share": dg.MetadataValue.float(round(share, 4) if share is not None else 0.0),
        "retried_from_last_run": len(retried),
        "field_changes": dg.MetadataValue.json(report.field_changes),
        "failed_rows": _md(failed[["account_id", "outcome", "error_code", "error_message"]]),
    }
    if report.dry_run:
        metadata["planned_changes"] = _md(
            log[log["outcome"] == "planned"][["account_id", "changes"]]
        )
    if report.stopped:
        metadata["stopped"] = report.stopped
    if report.bulk_job_id:
        metadata["bulk_job_id"] = report.bulk_job_id
    if report.bulk_error:
        metadata["bulk_error"] = report.bulk_error
    return metadata


RECORDS_WRITTEN = "records_written"


def _records_written(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        RECORDS_WRITTEN,
        asset=asset,
        description="Every changed record reached the CRM. A record Salesforce refused (a "
        "validation rule, a permission), left unsent (the API quota) or could not confirm "
        "fails it with a warning, and the alert says how many failed the run before too.",
    )


@dg.asset(
    group_name="review_and_sync",
    kinds={"salesforce"},
    partitions_def=monthly_partitions,
    check_specs=[_records_written("crm_segment_sync")],
    ins={"crm_accounts": dg.AssetIn(metadata={"columns": ["Id", *DEFAULT_FIELD_MAP.values()]})},
    description="Segment fields written back to Salesforce Accounts: only changed rows, "
    "collections or Bulk API 2.0 by volume; every row's outcome in warehouse table "
    "crm_sync_log. A record a person edited in Salesforce since tonight's extract read it "
    "is left alone (skipped_changed); the next night reads the edit. Dry run logs the "
    "planned old -> new values without writing.",
)
def crm_segment_sync(
    context: dg.AssetExecutionContext,
    config: CrmSyncConfig,
    segment_assignments: pd.DataFrame,
    crm_accounts: pd.DataFrame,
    salesforce: SalesforceResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    # The override is read again at write time: one ticked since tonight's extract read the
    # account hands its tier to a person already. A field a person set since the extract
    # read it is not written over either: the extract's values go along.
    settings = salesforce.sync_settings(override_field=OVERRIDE_FIELD)
    extracted = crm_accounts.set_index("Id")
    return _write_back(
        context, config, segment_assignments, settings, salesforce, warehouse, extracted
    )


def _open_month_only(context: dg.AssetExecutionContext) -> None:
    if context.partition_key != current_month_key():
        raise dg.Failure(
            f"write-back only runs for the open month ({current_month_key()}); "
            f"{context.partition_key} is a past snapshot"
        )


def _write_back(
    context: dg.AssetExecutionContext,
    config: CrmSyncConfig,
    rows: pd.DataFrame,
    settings: _SyncSettings,
    salesforce: SalesforceResource,
    warehouse: WarehouseResource,
    extracted: pd.DataFrame | None = None,
) -> dg.MaterializeResult:
    """One write-back run (open month only): diff, send, log every row in crm_sync_log."""
    _open_month_only(context)
    engine = warehouse.client().engine
    previous = last_run_failures(engine)
    sync = SegmentSync(salesforce.client(), settings)
    report = sync.run(rows, dry_run=config.dry_run, extracted=extracted)
    append_sync_log(engine, report.log, context.run.run_id, utc_now(), config.dry_run)
    metadata = sync_metadata(report, previous)
    if report.stopped and not report.stopped_by_quota:
        raise dg.Failure(description=report.stopped, metadata=metadata)
    if report.stopped:
        context.log.warning(report.stopped)
    left = unwritten(
        report.log, previous, FAILED_OUTCOMES, None if report.compared else report.stopped
    )
    if not left.passed:
        context.log.warning(left.summary())
    written = dg.AssetCheckResult(
        check_name=RECORDS_WRITTEN,
        passed=left.passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "summary": left.summary(),
            "unwritten": left.accounts,
            "failed_the_run_before_too": left.again,
            "worst_offenders": dg.MetadataValue.json(left.by_error),
        },
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[written])


def _later_write_back(after: dg.AssetsDefinition, description: str) -> Callable:
    """A write-back asset that runs after `after`, never beside it: two writers of one
    org at once compete for record locks (UNABLE_TO_LOCK_ROW)."""

    def decorate(fn: Callable) -> dg.AssetsDefinition:
        return dg.asset(
            group_name="review_and_sync",
            kinds={"salesforce"},
            partitions_def=monthly_partitions,
            deps=[after],
            check_specs=[_records_written(fn.__name__)],
            description=description,
        )(fn)

    return decorate


@_later_write_back(
    crm_segment_sync,
    "Folded duplicate Accounts linked to their survivor in Salesforce: "
    "Duplicate_Of__c (the framework's crm_sync.duplicate_of_field) and, under "
    "crm_sync.duplicates = survivor_segment, the survivor's segment fields. Only changed "
    "rows are written, every outcome in crm_sync_log, like crm_segment_sync.",
)
def crm_duplicate_sync(
    context: dg.AssetExecutionContext,
    config: CrmSyncConfig,
    framework: FrameworkResource,
    segment_assignments: pd.DataFrame,
    account_merge_audit: pd.DataFrame,
    salesforce: SalesforceResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    policy = framework.load().crm_sync
    segment_map = dict(salesforce.segment_field_map)
    rows = duplicate_rows(segment_assignments, account_merge_audit, segment_map, policy.duplicates)
    settings = salesforce.sync_settings(
        field_map={DUPLICATE_OF_COLUMN: policy.duplicate_of_field}, updated_at_field=None
    )
    if policy.duplicates == "survivor_segment":
        # Segment fields, stamped like the segment write-back's; never onto a folded record
        # someone overrode by hand in the CRM.
        settings = salesforce.sync_settings(
            field_map=segment_map | settings.field_map, override_field=OVERRIDE_FIELD
        )
    return _write_back(context, config, rows, settings, salesforce, warehouse)


@_later_write_back(
    crm_duplicate_sync,
    "Enriched firmographics written back to Salesforce Accounts through the "
    "framework's crm_sync.enriched_fields map: fill_blank fields only where the CRM field is "
    "empty, overwrite fields wherever they differ, only provider values at or above the "
    "field's min_confidence. Same diffing, write path, quota guard and crm_sync_log as "
    "crm_segment_sync; no segment timestamp is stamped.",
)
def crm_enrichment_sync(
    context: dg.AssetExecutionContext,
    config: CrmSyncConfig,
    accounts_enriched: pd.DataFrame,
    framework: FrameworkResource,
    salesforce: SalesforceResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    policy = framework.load().crm_sync
    fields = enriched_field_map(policy)
    settings = salesforce.sync_settings(
        field_map=fields,
        updated_at_field=None,
        fill_blank=fill_blank_fields(policy),
        keep_when_blank=frozenset(fields.values()),
    )
    rows = enriched_values(accounts_enriched, policy.enriched_fields)
    return _write_back(context, config, rows, settings, salesforce, warehouse)


@dg.asset(
    group_name="csm_and_revops",
    kinds={"pandas", "sql"},
    partitions_def=monthly_partitions,
    description="Folded duplicate clusters for RevOps to merge with Salesforce's own tools: "
    "one row per survivor with its members, the cluster's lowest match probability and "
    "the evidence, weakest first. Warehouse table merge_candidates (per month).",
)
def merge_candidates(
    context: dg.AssetExecutionContext,
    account_merge_audit: pd.DataFrame,
    segment_assignments: pd.DataFrame,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    report = merge_candidate_rows(account_merge_audit, segment_assignments)
    # Synced by survivor: a night rewrites only the clusters that changed.
    synced = warehouse.client().sync_partition(
        "merge_candidates", report, "snapshot_month", context.partition_key, ["survivor_id"]
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(report),
            "rows_written": synced.written,
            "preview": _md(report),
        }
    )
