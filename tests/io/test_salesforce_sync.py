"""Write-back through the client: collections vs Bulk, per-row failures, quota, dry run."""

import math

import pandas as pd
import pytest

from segmentation_pipeline.io.salesforce import SalesforceClient
from segmentation_pipeline.io.salesforce.sync import SegmentSync, SyncSettings


def assignments(ids, segment="Tier 2", score=3.55):
    return pd.DataFrame(
        {
            "account_id": ids,
            "segment": segment,
            "service_model_label": "Low-Touch",
            "composite_score": score,
            "provisional": False,
            "at_risk": False,
            "explanation": "composite 3.55: Tier 2",
            "framework_version": "2026.1",
            "segment_override": False,
            "status": "segmented",
        }
    )


@pytest.fixture
def org(salesforce_server):
    salesforce_server.ids = salesforce_server.org.insert_many(
        "Account", [{"Name": f"Account {i}"} for i in range(450)]
    )
    return salesforce_server


def sync(settings, **options) -> SegmentSync:
    return SegmentSync(SalesforceClient(settings), SyncSettings(**options))


def writes(server) -> tuple[int, int]:
    return server.api.count("PATCH", "/composite/sobjects"), server.api.count(
        "POST", "/jobs/ingest"
    )


@pytest.mark.parametrize("k", [1, 200, 201, 450])
def test_k_changed_rows_take_ceil_k_over_200_collection_calls(org, salesforce_settings, k):
    report = sync(salesforce_settings, bulk_threshold=1000).run(assignments(org.ids[:k]))
    assert report.write_path == "collections"
    assert (report.changed, report.succeeded) == (k, k)
    assert writes(org) == (math.ceil(k / 200), 0)
    assert org.org.get("Account", org.ids[k - 1])["Customer_Tier__c"] == "Tier 2"


def test_a_rerun_with_nothing_changed_sends_nothing(org, salesforce_settings):
    syncer = sync(salesforce_settings)
    syncer.run(assignments(org.ids))
    org.api.clear_log()
    report = syncer.run(assignments(org.ids))
    assert (report.changed, report.sent, report.unchanged) == (0, 0, 450)
    assert report.write_path == "none"
    assert writes(org) == (0, 0)
    assert org.api.count("PATCH") == 0


def test_above_the_threshold_one_bulk_job_carries_every_row(org, salesforce_settings):
    report = sync(salesforce_settings, bulk_threshold=300).run(assignments(org.ids, "Tier 1"))
    assert report.write_path == "bulk"
    assert writes(org) == (0, 1)
    assert org.api.count("PUT", "/batches") == 1
    assert (report.succeeded, report.failed) == (450, 0)
    assert report.bulk_job_id.startswith("750")
    held = {org.org.get("Account", i)["Customer_Tier__c"] for i in org.ids}
    assert held == {"Tier 1"}


def test_per_row_failures_are_logged_and_retried_next_run(org, salesforce_settings):
    org.faults.record_errors[org.ids[7]] = ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Owner required")
    syncer = sync(salesforce_settings)
    first = syncer.run(assignments(org.ids[:10]))
    failed = first.log[first.log["outcome"] == "failed"]
    assert list(failed["account_id"]) == [org.ids[7]]
    assert failed.iloc[0]["error_code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert first.succeeded == 9

    org.faults.record_errors.clear()
    org.api.clear_log()
    second = syncer.run(assignments(org.ids[:10]))
    assert list(second.log["account_id"]) == [org.ids[7]]
    assert second.succeeded == 1
    assert writes(org) == (1, 0)


def test_bulk_per_row_failures_come_from_failed_results(org, salesforce_settings):
    org.faults.record_errors[org.ids[3]] = ("UNABLE_TO_LOCK_ROW", "record locked")
    report = sync(salesforce_settings, bulk_threshold=5).run(assignments(org.ids[:20]))
    failed = report.log[report.log["outcome"] == "failed"]
    assert list(failed["account_id"]) == [org.ids[3]]
    assert failed.iloc[0]["error_code"] == "UNABLE_TO_LOCK_ROW"
    assert report.succeeded == 19


def test_a_failed_bulk_job_is_reported_with_its_error(org, salesforce_settings):
    org.faults.fail_next_ingest_job = "InvalidBatch : Failed to parse CSV header"
    report = sync(salesforce_settings, bulk_threshold=5).run(assignments(org.ids[:20]))
    assert report.bulk_error == "InvalidBatch : Failed to parse CSV header"
    assert report.failed == 20 and report.succeeded == 0
    assert set(report.log["error_code"]) == {"UNPROCESSED"}
    assert org.org.get("Account", org.ids[0])["Customer_Tier__c"] is None


@pytest.mark.parametrize("code", ["REQUEST_LIMIT_EXCEEDED", "INSUFFICIENT_ACCESS"])
def test_a_refused_bulk_poll_is_polled_again_and_its_results_read(org, salesforce_settings, code):
    org.faults.forbid_next_ingest_polls, org.faults.forbidden_poll_code = 2, code
    report = sync(salesforce_settings, bulk_threshold=5).run(assignments(org.ids[:20]))
    assert (report.succeeded, report.not_sent, report.unknown) == (20, 0, 0)
    assert report.stopped is None


@pytest.mark.parametrize("code", ["REQUEST_LIMIT_EXCEEDED", "INSUFFICIENT_ACCESS"])
def test_a_bulk_outcome_that_cannot_be_read_is_unknown_never_not_sent(
    org, salesforce_settings, code
):
    org.faults.forbid_next_ingest_polls, org.faults.forbidden_poll_code = 100, code
    syncer = sync(salesforce_settings, bulk_threshold=5)
    report = syncer.run(assignments(org.ids[:20]))
    assert (report.unknown, report.not_sent, report.succeeded) == (20, 0, 0)
    assert set(report.log["outcome"]) == {"unknown"}
    assert set(report.log["bulk_job_id"]) == {report.bulk_job_id}
    assert "outcome unknown" in report.stopped and not report.stopped_by_quota
    # Salesforce did apply them: the next run's diff finds nothing left to send.
    org.faults.forbid_next_ingest_polls = 0
    org.api.clear_log()
    again = syncer.run(assignments(org.ids[:20]))
    assert (again.changed, again.sent) == (0, 0)
    assert writes(org) == (0, 0)


def test_an_invalid_picklist_value_is_rejected_before_sending(org, salesforce_settings):
    wanted = assignments(org.ids[:3])
    wanted.loc[1, "segment"] = "Tier 9"
    report = sync(salesforce_settings).run(wanted)
    rejected = report.log[report.log["outcome"] == "rejected"]
    assert list(rejected["account_id"]) == [org.ids[1]]
    assert "Tier 9" in rejected.iloc[0]["error_message"]
    assert report.succeeded == 2


def test_the_org_rejecting_a_restricted_picklist_value_is_a_row_failure(org, salesforce_settings):
    # The org's picklist shrank after describe was read: Salesforce answers per record.
    syncer = sync(salesforce_settings)
    syncer.client.describe("Account")
    org.org.tables["Account"].fields["Customer_Tier__c"].picklist = ("Tier 1",)
    report = syncer.run(assignments(org.ids[:2]))
    assert set(report.log["error_code"]) == {"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"}
    assert report.failed == 2


def test_overridden_accounts_are_logged_and_never_sent(org, salesforce_settings):
    wanted = assignments(org.ids[:2])
    wanted.loc[0, ["segment_override", "status"]] = [True, "overridden"]
    report = sync(salesforce_settings).run(wanted)
    assert dict(zip(report.log["account_id"], report.log["outcome"], strict=True)) == {
        org.ids[0]: "skipped_override",
        org.ids[1]: "success",
    }
    assert org.org.get("Account", org.ids[0])["Customer_Tier__c"] is None


def test_dry_run_plans_old_and_new_values_without_writing(org, salesforce_settings):
    report = sync(salesforce_settings).run(assignments(org.ids[:3]), dry_run=True)
    assert set(report.log["outcome"]) == {"planned"}
    assert '"Customer_Tier__c": [null, "Tier 2"]' in report.log.iloc[0]["changes"]
    assert writes(org) == (0, 0) and org.api.count("PATCH") == 0


def test_quota_stop_leaves_the_rest_for_the_next_run(org, salesforce_settings):
    org.api.daily_api_limit = 100
    settings = salesforce_settings.model_copy(update={"quota_stop_share": 0.5})
    syncer = sync(settings)
    syncer.run(assignments(org.ids[:1]))  # learn the usage
    org.api.api_used = 47  # next: describe is cached; read 2 calls, then 1 collection call
    report = syncer.run(assignments(org.ids, "Tier 3"))
    assert report.stopped_by_quota and "stop share of 50%" in report.stopped
    assert report.succeeded == 200 and report.not_sent == 250
    assert writes(org)[0] == 2  # one collection call each run

    org.api.api_used = 0
    rest = sync(settings).run(assignments(org.ids, "Tier 3"))
    assert rest.succeeded == 250 and rest.not_sent == 0


def test_request_limit_exceeded_ends_the_sync_cleanly(org, salesforce_settings):
    # The usage header lags the real count, so the org refuses before the stop share.
    org.faults.refuse_after_calls = 4  # describe, count, current values, one collection call
    report = sync(salesforce_settings).run(assignments(org.ids))
    assert report.stopped_by_quota and "daily API limit exceeded" in report.stopped
    assert (report.succeeded, report.not_sent) == (200, 250)
    assert set(report.log.loc[report.log["outcome"] == "not_sent", "error_code"]) == {"NOT_SENT"}


def test_quota_reached_while_reading_ends_cleanly_with_nothing_sent(org, salesforce_settings):
    org.api.daily_api_limit = 100
    org.api.api_used = 80
    report = sync(salesforce_settings).run(assignments(org.ids))
    assert report.stopped_by_quota and report.changed == 0 and report.log.empty
    assert writes(org) == (0, 0)


def test_a_duplicate_of_lookup_to_no_account_is_a_row_failure(org, salesforce_settings):
    survivor, folded, orphan = org.ids[:3]
    rows = pd.DataFrame(
        {"account_id": [folded, orphan], "duplicate_of": [survivor, "001000000000999AAA"]}
    )
    syncer = sync(
        salesforce_settings, field_map={"duplicate_of": "Duplicate_Of__c"}, updated_at_field=None
    )
    log = syncer.run(rows).log.set_index("account_id")
    assert log.loc[folded, "outcome"] == "success"
    assert (log.loc[orphan, "outcome"], log.loc[orphan, "error_code"]) == (
        "failed",
        "FIELD_INTEGRITY_EXCEPTION",
    )
    assert org.org.get("Account", folded)["Duplicate_Of__c"] == survivor
    assert org.org.get("Account", orphan)["Duplicate_Of__c"] is None


def test_a_collection_call_whose_answer_is_lost_is_unknown_never_not_sent(org, salesforce_settings):
    """The org applied the first 200 records, but no answer came back (every attempt timed
    out after the commit): they are `unknown`, the batch after them `not_sent`; the next
    run's diff sends only the records that did not land."""
    org.faults.lose_next_write_answers, org.faults.stall_seconds = 2, 1.0
    settings = salesforce_settings.model_copy(update={"timeout_seconds": 0.3, "max_retries": 1})
    syncer = sync(settings)
    report = syncer.run(assignments(org.ids[:250]))
    outcomes = report.log.groupby("outcome")["account_id"].apply(list).to_dict()
    assert outcomes["unknown"] == org.ids[:200] and outcomes["not_sent"] == org.ids[200:250]
    assert (report.unknown, report.not_sent, report.succeeded) == (200, 50, 0)
    assert "write stopped" in report.stopped and not report.stopped_by_quota
    assert set(report.log.loc[report.log["outcome"] == "unknown", "error_code"]) == {
        "OUTCOME_UNKNOWN"
    }
    assert org.org.get("Account", org.ids[0])["Customer_Tier__c"] == "Tier 2"

    org.api.clear_log()
    again = syncer.run(assignments(org.ids[:250]))
    assert (again.changed, again.succeeded) == (50, 50)
    assert set(again.log["account_id"]) == set(org.ids[200:250])
