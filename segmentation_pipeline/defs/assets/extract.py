"""Extract: accounts and product usage from the configured CRM."""

import dagster as dg

from segmentation_pipeline.defs.assets._metadata import frame_metadata
from segmentation_pipeline.defs.partitions import monthly_partitions
from segmentation_pipeline.defs.resources import CrmResource


@dg.asset(
    group_name="extract",
    kinds={"pandas"},
    partitions_def=monthly_partitions,
    description="Accounts as the CRM holds them (Salesforce field names), one snapshot a month.",
)
def crm_accounts(context: dg.AssetExecutionContext, crm: CrmResource) -> dg.MaterializeResult:
    extract = crm.read_accounts(since=None)
    context.log.info("extracted %d accounts from %s", len(extract.accounts), type(crm).__name__)
    metadata = frame_metadata(extract.accounts, ["Id", "Name", "Website", "Industry", "ARR__c"])
    metadata["high_water_mark"] = str(extract.high_water_mark)
    metadata["deleted"] = len(extract.deleted_ids)
    return dg.MaterializeResult(value=extract.accounts, metadata=metadata)


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
