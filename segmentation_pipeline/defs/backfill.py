"""Re-score past months after a framework change, from the stored monthly snapshots.

`rescore_job` selects `account_scores` and everything downstream of it except the
quarterly review and the CRM write-back, so a backfill reads the stored
`accounts_enriched`, `product_usage` and `account_merge_audit` partitions and never
calls Salesforce or an enrichment vendor. The framework docs are regenerated with it.
(The write-back only runs for the open month; the nightly run writes the re-scored
segments back.)
"""

from collections.abc import Callable, Iterable

import dagster as dg

from segmentation_pipeline.defs.partitions import FRAMEWORK_VERSION_TAGS

ASSIGNMENTS = dg.AssetKey("segment_assignments")

rescore_job = dg.define_asset_job(
    "rescore_job",
    selection=(
        dg.AssetSelection.assets("account_scores").downstream()
        - dg.AssetSelection.groups("review_and_sync")
    )
    | dg.AssetSelection.assets("framework_docs"),
    tags=FRAMEWORK_VERSION_TAGS,
    description="Re-score stored monthly snapshots with the current framework: scores, "
    "assignments and everything downstream, and the framework docs; no CRM or vendor call.",
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


def unscored_months(instance: dg.DagsterInstance, months: Iterable[str]) -> list[str]:
    """The months (YYYY-MM-01) no run has scored in this instance: there is nothing stored
    to re-score or preview."""
    scored = scored_versions(instance)
    return [month for month in months if month not in scored]


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
    """Run `rescore_job` in-process, one run per month, oldest first (the console shows
    warnings and errors only; every event stays in the instance)."""
    job = definitions.resolve_job_def(rescore_job.name)
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    return [
        job.execute_in_process(
            instance=instance, partition_key=month, raise_on_error=False, run_config=quiet
        )
        for month in sorted(months)
    ]


def backfill_stale(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    current_version: str,
    months: list[str] | None = None,
    say: Callable[[str], None] = print,
) -> bool:
    """Re-score `months` (default: every stale month) and say what moved; True if all ran."""
    targets = months or list(stale_partitions(instance, current_version))
    if not targets:
        say(f"nothing to backfill: every scored month uses framework {current_version}")
        return True
    say(
        f"re-scoring {len(targets)} month(s) with framework {current_version}: {', '.join(targets)}"
    )
    ok = True
    for month, result in zip(sorted(targets), rescore(definitions, instance, targets), strict=True):
        ok &= result.success
        impact = result.asset_materializations_for_node("framework_change_impact")
        meta = impact[0].metadata if impact else {}
        moved = meta.get("accounts_moved")
        # Segments as held, not `framework preview`'s computed tiers (before any hold).
        held = meta.get("pending_review")
        summary = (
            f"vs {meta['compared_with'].value}, {moved.value} account(s) change segment now; "
            f"{held.value if held else 0} crossing(s) held for review (pending)"
            if moved is not None
            else "no earlier version recorded for this month"
        )
        say(f"  {month}: {'ok' if result.success else 'FAILED'}; {summary}")
        if moved is not None and moved.value:
            say(meta["moves"].value)
    return ok
