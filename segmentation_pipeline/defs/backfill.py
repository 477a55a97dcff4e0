"""Re-score past months after a framework change, from the stored monthly snapshots.

`rescore_job` selects `account_scores` and everything downstream of it except the
quarterly review, so a backfill reads the stored `accounts_enriched` and
`product_usage` partitions and never calls Salesforce or an enrichment vendor.
"""

from collections.abc import Iterable

import dagster as dg

ASSIGNMENTS = dg.AssetKey("segment_assignments")

rescore_job = dg.define_asset_job(
    "rescore_job",
    selection=dg.AssetSelection.assets("account_scores").downstream()
    - dg.AssetSelection.groups("review"),
    description="Re-score stored monthly snapshots with the current framework: scores, "
    "assignments and everything downstream; no CRM or vendor call.",
)


def scored_versions(instance: dg.DagsterInstance) -> dict[str, str]:
    """Month -> framework version of the latest `segment_assignments` materialization."""
    versions: dict[str, str] = {}
    cursor = None
    while True:
        page = instance.fetch_materializations(
            ASSIGNMENTS, limit=1000, cursor=cursor, ascending=True
        )
        for record in page.records:
            materialization = record.asset_materialization
            version = materialization.metadata.get("framework_version") if materialization else None
            if materialization and materialization.partition and version is not None:
                versions[materialization.partition] = str(getattr(version, "value", version))
        if not page.has_more:
            return versions
        cursor = page.cursor


def stale_partitions(instance: dg.DagsterInstance, current_version: str) -> dict[str, str]:
    """Months last scored with another framework version, with that version."""
    return {
        month: version
        for month, version in sorted(scored_versions(instance).items())
        if version != current_version
    }


def backfill_command(months: Iterable[str]) -> str:
    """The Dagster CLI line that submits the backfill (the daemon runs it)."""
    return (
        "dagster job backfill -w workspace.yaml -j rescore_job "
        f"--partitions {','.join(sorted(months))} --noprompt"
    )


def rescore(
    definitions: dg.Definitions, instance: dg.DagsterInstance, months: Iterable[str]
) -> list[dg.ExecuteInProcessResult]:
    """Run `rescore_job` in-process, one run per month, oldest first."""
    job = definitions.resolve_job_def(rescore_job.name)
    return [
        job.execute_in_process(instance=instance, partition_key=month, raise_on_error=False)
        for month in sorted(months)
    ]
