"""Each alerting sensor, driven tick by tick over a real instance that holds real
materializations and check evaluations; alerts arrive at a local webhook server."""

import pandas as pd
from conftest import SLACK_PATH, write_small_crm

MONTH_1, MONTH_2 = "2025-01-01", "2025-02-01"


def _titles(payloads: list[dict]) -> list[str]:
    return [p["title"] for p in payloads]


def _hold_most_accounts_at(folder, tier: str, share: float) -> None:
    """A CSM team that pinned most accounts to one tier by hand: a concentration breach."""
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str)
    pinned = accounts.index[: int(len(accounts) * share)]
    accounts.loc[pinned, "Segment_Override__c"] = "true"
    accounts.loc[pinned, "Customer_Tier__c"] = tier
    accounts.to_csv(folder / "accounts.csv", index=False)


def test_data_quality_breach_alerts_once_per_failure_with_the_check_metadata(governance):
    _hold_most_accounts_at(governance.crm_folder, "Tier 2", share=0.8)
    assert governance.run(MONTH_1).success
    first = governance.tick("data_quality_breach_sensor")

    alerts = [p for p in governance.payloads() if p["kind"] == "data_quality"]
    concentration = [a for a in alerts if "concentration_index" in a["title"]]
    assert len(concentration) == 1
    details = concentration[0]["details"]
    assert details["partition"] == MONTH_1
    assert details["threshold"] == 0.6
    assert details["value"] > 0.6
    assert details["worst_offenders"][0]["segment"] == "Tier 2"
    assert "Tier 2" in concentration[0]["text"]
    slack = [r.json() for r in governance.webhook.received if r.path == SLACK_PATH]
    assert any("concentration_index" in m["text"] for m in slack)

    received = len(governance.webhook.received)
    second = governance.tick("data_quality_breach_sensor", cursor=first.cursor)
    assert len(governance.webhook.received) == received
    # The same failures again on the next nightly run are the same episode: no repeat.
    assert governance.run(MONTH_1).success
    governance.tick("data_quality_breach_sensor", cursor=second.cursor)
    assert len(governance.webhook.received) == received


def test_coverage_drop_alerts_when_segment_coverage_falls_by_more_than_the_points(governance):
    assert governance.run(MONTH_1).success
    cursor = governance.tick("coverage_drop_sensor").cursor
    assert governance.payloads() == []

    # 9 of 60 accounts lose their ARR: coverage falls ~15 points, still above the red flag.
    write_small_crm(governance.crm_folder, arr_blank_share=0.15)
    assert governance.run(MONTH_2).success
    tick = governance.tick("coverage_drop_sensor", cursor=cursor)

    drops = governance.payloads()
    assert {a["kind"] for a in drops} == {"coverage_drop"}
    # Blank ARR lowers both segment coverage and the ARR field's completeness.
    assert sorted(a["title"].split()[0] for a in drops) == [
        "key_field_completeness_arr",
        "segment_coverage_check",
    ]
    assert all(a["details"]["drop_points"] > 5 for a in drops)
    governance.tick("coverage_drop_sensor", cursor=tick.cursor)
    assert len(governance.payloads()) == 2


def test_drift_alerts_when_the_tier_distribution_moves_against_the_previous_month(governance):
    assert governance.run(MONTH_1).success
    cursor = governance.tick("segment_drift_sensor").cursor
    assert governance.payloads() == []  # no earlier month to compare with

    accounts = pd.read_csv(governance.crm_folder / "accounts.csv", dtype=str)
    arr = pd.to_numeric(accounts["ARR__c"], errors="coerce")
    accounts["ARR__c"] = (arr * 0.05).round(2).astype(str).where(arr.notna(), accounts["ARR__c"])
    accounts.to_csv(governance.crm_folder / "accounts.csv", index=False)
    usage = pd.read_csv(governance.crm_folder / "product_usage.csv", dtype=str)
    usage = usage.assign(ActiveUsers="0", FeaturesAdopted="0", OpenTickets="9", NPS="-80")
    usage.assign(OnboardingCompletion="0").to_csv(
        governance.crm_folder / "product_usage.csv", index=False
    )
    assert governance.run(MONTH_2).success
    tick = governance.tick("segment_drift_sensor", cursor=cursor)

    drift = governance.payloads()
    assert [a["kind"] for a in drift] == ["drift"]
    assert drift[0]["details"]["level"] == "alert"
    assert drift[0]["details"]["tier_psi"] > 0.25
    assert drift[0]["severity"] == "critical"
    assert "changed tier" in drift[0]["text"]
    governance.tick("segment_drift_sensor", cursor=tick.cursor)
    assert len(governance.payloads()) == 1


def test_run_failure_alerts_once_for_a_failed_pipeline_run(governance):
    init = governance.tick("pipeline_run_failure_sensor")  # the first tick sets the cursor
    write_small_crm(governance.crm_folder, arr_blank_share=0.5)  # coverage red -> blocked
    assert not governance.run(MONTH_1).success
    tick = governance.tick("pipeline_run_failure_sensor", cursor=init.cursor)

    failures = governance.payloads()
    assert [a["kind"] for a in failures] == ["run_failure"]
    assert failures[0]["title"] == f"segmentation_job failed ({MONTH_1})"
    assert failures[0]["details"]["failed_steps"]
    governance.tick("pipeline_run_failure_sensor", cursor=tick.cursor)
    assert len(governance.payloads()) == 1


def test_stale_framework_sensor_lists_months_scored_with_an_older_version(governance, tmp_path):
    assert governance.run(MONTH_1).success
    assert governance.run(MONTH_2).success
    governance.tick("stale_framework_sensor")
    assert [p for p in governance.payloads() if p["kind"] == "stale_framework"] == []

    from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH

    newer = tmp_path / "framework_v2.yaml"
    newer.write_text(
        DEFAULT_FRAMEWORK_PATH.read_text().replace('version: "2026.1"', 'version: "2026.2"')
    )
    governance.framework_path = str(newer)
    tick = governance.tick("stale_framework_sensor")
    stale = [p for p in governance.payloads() if p["kind"] == "stale_framework"]
    assert len(stale) == 1
    assert stale[0]["details"]["stale"] == {MONTH_1: "2026.1", MONTH_2: "2026.1"}
    assert "--partitions 2025-01-01,2025-02-01" in stale[0]["text"]
    governance.tick("stale_framework_sensor", cursor=tick.cursor)
    assert len([p for p in governance.payloads() if p["kind"] == "stale_framework"]) == 1
