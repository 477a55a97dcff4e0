"""The governance checks on real materializations: one evaluation per month, graded, and
blocking where garbage would reach the CRM."""

import re

import dagster as dg
import pandas as pd
import pytest
from small_crm import write_small_crm

from segmentation_pipeline.defs.jobs import PIPELINE_GROUPS
from segmentation_pipeline.defs.partitions import current_month_key

MONTH = "2025-01-01"
DOWNSTREAM_OF_ASSIGNMENTS = {
    "warehouse_segments",
    "segment_summary_report",
    "framework_change_impact",
}


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_every_check_evaluates_the_runs_month_with_value_threshold_and_offenders(governance):
    result = governance.run(MONTH)

    evaluations = _evaluations(result)
    assert set(evaluations) == {
        "key_field_completeness_industry",
        "key_field_completeness_employees",
        "key_field_completeness_arr",
        "key_field_completeness_country_code",
        "enrichment_coverage",
        "duplicate_rate",
        "dedup_fold_share",
        "segment_coverage_check",
        "concentration_index",
        "tier_distribution",
        "min_accounts_per_segment",
        "operationalized_segments",
        "record_accounting",
    }
    for evaluation in evaluations.values():
        meta = evaluation.metadata
        assert meta["partition"].value == MONTH
        assert {"value", "threshold", "grade", "rule", "worst_offenders", "details"} <= set(meta)
    # Good passes, the Warning band is a WARN, the Red flag an ERROR.
    severity = {"warning": dg.AssetCheckSeverity.WARN, "red": dg.AssetCheckSeverity.ERROR}
    for evaluation in evaluations.values():
        grade = evaluation.metadata["grade"].value
        assert evaluation.passed == (grade == "good")
        if not evaluation.passed:
            assert evaluation.severity == severity[grade]
    assignments = result.asset_value("segment_assignments")
    in_use = assignments.loc[assignments["segment"] != "Unsegmented", "segment"].nunique()
    assert evaluations["operationalized_segments"].metadata["value"].value == in_use
    assert result.success  # only the blocking checks can stop the run, and they passed


def test_a_red_blocking_check_stops_everything_downstream_of_the_blocked_asset(governance):
    # 30% of accounts lose their ARR: segment coverage falls below 80%, a red flag, while
    # ARR completeness (~70%) is only a warning, so scoring and assignment still run.
    write_small_crm(governance.crm_folder, arr_blank_share=0.3)
    result = governance.run(MONTH)

    assert not result.success
    coverage = _evaluations(result)["segment_coverage_check"]
    assert not coverage.passed and coverage.severity == dg.AssetCheckSeverity.ERROR
    assert coverage.metadata["worst_offenders"].value[0]["reason"] == "missing_arr"
    materialized = _materialized(result)
    assert "segment_assignments" in materialized
    # The CRM write-back (another helper's asset) will sit downstream of segment_assignments
    # too; on this branch these are the assets that must not run.
    assert not DOWNSTREAM_OF_ASSIGNMENTS & materialized


def test_a_matcher_folding_past_the_ceiling_stops_everything_downstream_of_dedup(
    governance, tmp_path
):
    # Three accounts entered twice; a ceiling of 1% makes folding them look like a matcher
    # gone wrong, so the red flag stops enrichment, scoring and all after them.
    from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

    accounts_csv = governance.crm_folder / "accounts.csv"
    accounts = pd.read_csv(accounts_csv, dtype=str)
    again = accounts.head(3).assign(Id=[f"001AGAIN{i:07d}" for i in range(3)])
    pd.concat([accounts, again]).to_csv(accounts_csv, index=False)

    text = DEFAULT_FRAMEWORK_PATH.read_text()
    strict = re.sub(r"max_folded_share: [0-9.]+", "max_folded_share: 0.01", text)
    assert strict != text
    (tmp_path / "framework_strict.yaml").write_text(strict)
    governance.framework_path = str(tmp_path / "framework_strict.yaml")
    result = governance.run(MONTH)

    assert not result.success
    fold = _evaluations(result)["dedup_fold_share"]
    assert not fold.passed and fold.severity == dg.AssetCheckSeverity.ERROR
    assert fold.metadata["value"].value == pytest.approx(3 / 63, abs=1e-4)  # rounded
    materialized = _materialized(result)
    assert "accounts_deduplicated" in materialized
    assert not {"accounts_enriched", "account_scores", "segment_assignments"} & materialized


def test_a_red_blocking_check_stops_the_crm_write_back(governance, salesforce_server):
    """The real write-back asset against the local Salesforce org: a broken extract (30% of
    ARR missing) turns segment coverage red, and not one request reaches Salesforce."""
    write_small_crm(governance.crm_folder, arr_blank_share=0.3)
    export = pd.read_csv(governance.crm_folder / "accounts.csv", dtype=str, keep_default_na=False)
    salesforce_server.org.load_export("Account", export.to_dict("records"))
    governance.salesforce_login = salesforce_server.password_login()
    governance.extra_jobs = [
        dg.define_asset_job(
            "nightly_with_write_back",
            selection=dg.AssetSelection.groups(*PIPELINE_GROUPS)
            | dg.AssetSelection.assets("crm_segment_sync"),
        )
    ]
    result = governance.run(current_month_key(), job="nightly_with_write_back")

    assert not result.success
    coverage = _evaluations(result)["segment_coverage_check"]
    assert not coverage.passed and coverage.severity == dg.AssetCheckSeverity.ERROR
    assert "crm_segment_sync" not in _materialized(result)
    assert not result.is_node_success("crm_segment_sync")
    assert salesforce_server.api.count() == 0


def test_red_key_field_completeness_blocks_scoring(governance):
    write_small_crm(governance.crm_folder, arr_blank_share=0.5)  # ARR 50% complete: red
    result = governance.run(MONTH)

    arr = _evaluations(result)["key_field_completeness_arr"]
    assert not arr.passed and arr.severity == dg.AssetCheckSeverity.ERROR
    assert arr.metadata["value"].value < 0.6
    assert arr.metadata["threshold"].value == 0.6
    materialized = _materialized(result)
    assert "accounts_enriched" in materialized
    assert "account_scores" not in materialized and "segment_assignments" not in materialized


def test_the_monthly_audit_checks_a_stored_month_without_rebuilding_it(governance):
    assert governance.run(MONTH).success
    audit = (
        governance.definitions()
        .resolve_job_def("data_quality_audit_job")
        .execute_in_process(instance=governance.instance, tags={"dagster/partition": MONTH})
    )
    assert _materialized(audit) == set()
    evaluations = _evaluations(audit)
    assert len(evaluations) == 13  # the 12 governance checks and record_accounting
    assert {e.metadata["partition"].value for e in evaluations.values()} == {MONTH}
