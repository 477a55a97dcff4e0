"""What the write-back sends: only changed segment fields, never overridden accounts."""

import math
from datetime import UTC, datetime

import pandas as pd
import pytest

from segmentation_pipeline.core.crm_sync import (
    CrmField,
    CrmFieldError,
    WriteBackEcho,
    check_fields,
    choose_write_path,
    chunked,
    crm_value,
    echoed_write_backs,
    plan_sync,
    unwritten,
)

TIERS = frozenset({"Tier 1", "Tier 2", "Tier 3", "Unsegmented"})
FIELDS = {
    "Customer_Tier__c": CrmField(
        "Customer_Tier__c", "picklist", picklist_values=TIERS, restricted_picklist=True
    ),
    "Composite_Score__c": CrmField("Composite_Score__c", "double", scale=2),
    "Segment_At_Risk__c": CrmField("Segment_At_Risk__c", "boolean"),
    "Segment_Explanation__c": CrmField("Segment_Explanation__c", "textarea", length=10),
    "Segment_Updated_At__c": CrmField("Segment_Updated_At__c", "datetime"),
}
FIELD_MAP = {
    "segment": "Customer_Tier__c",
    "composite_score": "Composite_Score__c",
    "at_risk": "Segment_At_Risk__c",
    "explanation": "Segment_Explanation__c",
}
NOW = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)


def assignments(*rows):
    columns = ["account_id", "segment", "composite_score", "at_risk", "explanation"]
    frame = pd.DataFrame([r[:5] for r in rows], columns=columns)
    frame["segment_override"] = [r[5] if len(r) > 5 else False for r in rows]
    frame["status"] = ["overridden" if o else "segmented" for o in frame["segment_override"]]
    return frame


def crm(*rows):
    columns = ["Id", *FIELD_MAP.values()]
    return pd.DataFrame(rows, columns=columns).set_index("Id")


def plan(wanted, held):
    return plan_sync(wanted, held, FIELDS, FIELD_MAP, "Segment_Updated_At__c", NOW)


def test_only_changed_fields_are_sent_with_old_and_new_values():
    result = plan(
        assignments(("001A", "Tier 2", 3.55, False, "why"), ("001B", "Tier 1", 4.2, True, "x")),
        crm(("001A", "Tier 3", 3.55, False, "why"), ("001B", "Tier 1", 4.2, True, "x")),
    )
    assert result.records == [
        {
            "Id": "001A",
            "Customer_Tier__c": "Tier 2",
            "Segment_Updated_At__c": "2026-11-02T03:04:05.000Z",
        }
    ]
    assert result.changes.to_dict("records") == [
        {"account_id": "001A", "changes": {"Customer_Tier__c": ["Tier 3", "Tier 2"]}}
    ]
    assert result.unchanged == 1
    assert result.field_changes == {"Customer_Tier__c": 1}


def test_a_fill_blank_field_is_written_only_where_the_crm_holds_nothing():
    fields = {"Industry": CrmField("Industry", "picklist")}
    wanted = pd.DataFrame({"account_id": ["001A", "001B"], "industry": ["Retail", "Retail"]})
    held = pd.DataFrame({"Id": ["001A", "001B"], "Industry": [None, "Banking"]}).set_index("Id")
    result = plan_sync(
        wanted, held, fields, {"industry": "Industry"}, None, fill_blank={"Industry"}
    )
    assert result.records == [{"Id": "001A", "Industry": "Retail"}]
    assert result.unchanged == 1  # 001B keeps the person's "Banking"


def test_a_blank_wanted_value_of_a_keep_when_blank_field_never_clears_the_crm():
    fields = {"Industry": CrmField("Industry", "picklist")}
    wanted = pd.DataFrame({"account_id": ["001A", "001B"], "industry": [None, "Retail"]})
    held = pd.DataFrame({"Id": ["001A", "001B"], "Industry": ["Banking", "Banking"]})
    result = plan_sync(
        wanted,
        held.set_index("Id"),
        fields,
        {"industry": "Industry"},
        None,
        keep_when_blank={"Industry"},
    )
    assert result.records == [{"Id": "001B", "Industry": "Retail"}]  # overwrite, no clear


def test_values_compare_as_the_crm_stores_them():
    # 3.554 rounds to the field's 2 decimals (3.55); blank and None are both null;
    # False and None are the same checkbox; text is cut to the field length (10).
    result = plan(
        assignments(("001A", "Tier 2", 3.554, None, "0123456789-extra")),
        crm(("001A", "Tier 2", 3.55, False, "0123456789")),
    )
    assert result.records == []
    assert result.unchanged == 1


def test_a_number_change_beyond_the_scale_is_sent_as_the_explanation_shows_it():
    result = plan(
        assignments(("001A", "Tier 2", 3.567, False, "")),
        crm(("001A", "Tier 2", 3.55, False, None)),
    )
    assert result.records[0]["Composite_Score__c"] == 3.56  # cut like display_scores
    assert result.changes["changes"][0] == {"Composite_Score__c": [3.55, 3.56]}


def test_a_composite_just_under_a_tier_floor_never_reaches_the_crm_as_the_floor():
    """3.9975 is Tier 2 (Tier 1 starts at 4.0); rounded, the CRM read 4.00 beside Tier 2."""
    result = plan(
        assignments(("001A", "Tier 2", 3.9975, False, "")),
        crm(("001A", "Tier 2", None, False, None)),
    )
    assert result.records[0]["Composite_Score__c"] == 3.99


def test_overridden_accounts_are_never_written():
    result = plan(
        assignments(("001A", "Tier 1", 4.5, True, "x", True)),
        crm(("001A", "Tier 3", 2.0, False, "x")),
    )
    assert result.records == []
    assert result.skipped.to_dict("records") == [
        {"account_id": "001A", "reason": "override", "detail": None}
    ]


def test_accounts_missing_from_the_crm_are_reported_not_sent():
    result = plan(assignments(("001Z", "Tier 1", 4.5, True, "x")), crm())
    assert result.records == []
    assert list(result.skipped["reason"]) == ["not_in_crm"]


def test_a_value_outside_a_restricted_picklist_is_rejected_before_sending():
    result = plan(
        assignments(("001A", "Tier 9", 3.0, False, "x")), crm(("001A", "Tier 3", 3.0, False, "x"))
    )
    assert result.records == []
    skip = result.skipped.iloc[0]
    assert skip["reason"] == "invalid_value"
    assert "Customer_Tier__c: 'Tier 9' is not an allowed picklist value" in skip["detail"]


def test_missing_or_read_only_fields_fail_naming_them():
    fields = dict(FIELDS)
    del fields["Segment_At_Risk__c"]
    fields["Composite_Score__c"] = CrmField("Composite_Score__c", "double", updateable=False)
    with pytest.raises(CrmFieldError) as err:
        check_fields(FIELD_MAP, "Segment_Updated_At__c", fields)
    assert "missing on the CRM object: Segment_At_Risk__c" in str(err.value)
    assert "not updateable: Composite_Score__c" in str(err.value)


def test_crm_value_normalizes_blank_and_types():
    assert crm_value(float("nan"), FIELDS["Composite_Score__c"]) is None
    assert crm_value("  ", FIELDS["Customer_Tier__c"]) is None
    assert crm_value("true", FIELDS["Segment_At_Risk__c"]) is True
    assert crm_value(pd.NA, FIELDS["Segment_At_Risk__c"]) is False


@pytest.mark.parametrize(
    ("count", "path"), [(0, "none"), (1, "collections"), (1999, "collections"), (2000, "bulk")]
)
def test_collections_below_the_bulk_threshold_bulk_from_it(count, path):
    assert choose_write_path(count, bulk_threshold=2000) == path


@pytest.mark.parametrize("k", [1, 199, 200, 201, 450])
def test_k_records_make_ceil_k_over_200_collection_calls(k):
    batches = chunked([{"Id": str(i)} for i in range(k)], 200)
    assert len(batches) == math.ceil(k / 200)
    assert sum(len(b) for b in batches) == k
    assert max(len(b) for b in batches) <= 200


# --- the next night's echo of our own write-back ------------------------------------------
def _extract(rows):
    return pd.DataFrame(rows, columns=["Id", "Name", "Customer_Tier__c", "Segment_Override__c"])


def test_a_change_only_in_our_written_fields_is_our_own_echo():
    before = _extract(
        [
            ("a", "Acme", None, "false"),  # we wrote Tier 2
            ("b", "Beta", "Tier 3", "false"),  # renamed and we wrote Tier 1
            ("c", "Cora", "Tier 2", "true"),  # someone typed Tier 1 under an override
        ]
    )
    after = _extract(
        [
            ("a", "Acme", "Tier 2", "false"),
            ("b", "Beta Ltd", "Tier 1", "false"),
            ("c", "Cora", "Tier 1", "true"),
        ]
    )
    echo = WriteBackEcho(fields=("Customer_Tier__c",), manual_flag="Segment_Override__c")
    assert echoed_write_backs(before, after, ["a", "b", "c"], "Id", echo) == ["a"]
    assert echoed_write_backs(None, after, ["a"], "Id", echo) == []
    assert echoed_write_backs(before, after, ["a"], "Id", WriteBackEcho(fields=())) == []


def test_under_an_override_only_the_segment_fields_are_a_persons_input():
    columns = ["Id", "Industry", "Customer_Tier__c", "Segment_Override__c"]
    before = pd.DataFrame(
        [("001A", None, "Tier 1", "true"), ("001B", None, "Tier 1", "true")], columns=columns
    )
    after = pd.DataFrame(
        [("001A", "Retail", "Tier 1", "true"), ("001B", "Retail", "Tier 2", "true")],
        columns=columns,
    )
    echo = WriteBackEcho(
        fields=("Industry", "Customer_Tier__c"),
        manual_flag="Segment_Override__c",
        manual_fields=("Customer_Tier__c",),
    )
    # 001A: only our enriched Industry came back; 001B: someone moved the overridden tier.
    assert echoed_write_backs(before, after, ["001A", "001B"], "Id", echo) == ["001A"]


def test_a_record_the_crm_marks_overridden_is_skipped():
    fields = {
        "Customer_Tier__c": FIELDS["Customer_Tier__c"],
        "Segment_Override__c": CrmField("Segment_Override__c", "boolean"),
    }
    wanted = pd.DataFrame({"account_id": ["001A", "001B"], "segment": ["Tier 1", "Tier 1"]})
    held = pd.DataFrame(
        {
            "Id": ["001A", "001B"],
            "Customer_Tier__c": [None, None],
            "Segment_Override__c": [True, False],
        }
    ).set_index("Id")
    result = plan_sync(
        wanted, held, fields, {"segment": "Customer_Tier__c"}, None,
        override_field="Segment_Override__c",
    )  # fmt: skip
    assert result.records == [{"Id": "001B", "Customer_Tier__c": "Tier 1"}]
    assert result.skipped.to_dict("records") == [
        {"account_id": "001A", "reason": "override", "detail": None}
    ]


def test_a_field_a_person_changed_since_the_extract_is_not_written_over():
    """001A: the extract read Tier 3, a CSM set Tier 1 since; the write-back would put
    Tier 2 over the CSM's edit, so it leaves the record for the next night to read.
    001B: the org holds what the extract read, so the move is written. 001C: a record
    the extract did not read (no row) is compared as before."""
    wanted = assignments(
        ("001A", "Tier 2", 3.5, False, "a"),
        ("001B", "Tier 2", 3.5, False, "b"),
        ("001C", "Tier 2", 3.5, False, "c"),
    )
    held = crm(
        ("001A", "Tier 1", 3.5, False, "a"),
        ("001B", "Tier 3", 3.5, False, "b"),
        ("001C", "Tier 3", 3.5, False, "c"),
    )
    extracted = pd.DataFrame(
        {"Id": ["001A", "001B"], "Customer_Tier__c": ["Tier 3", "Tier 3"], "Name": ["A", "B"]}
    ).set_index("Id")
    result = plan_sync(wanted, held, FIELDS, FIELD_MAP, None, NOW, extracted=extracted)
    assert [r["Id"] for r in result.records] == ["001B", "001C"]
    assert result.skipped.to_dict("records") == [
        {
            "account_id": "001A",
            "reason": "changed_since_extract",
            "detail": "Customer_Tier__c: the extract read 'Tier 3', the CRM holds 'Tier 1'",
        }
    ]


def test_unwritten_counts_what_the_crm_did_not_take_by_error_and_what_failed_before():
    log = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "outcome": ["success", "failed", "not_sent", "failed"],
            "error_code": [None, "FIELD_CUSTOM_VALIDATION_EXCEPTION", None, "UNABLE_TO_LOCK_ROW"],
        }
    )
    left = unwritten(log, pd.DataFrame({"account_id": ["b", "z"]}), ("failed", "not_sent"))
    assert (left.accounts, left.again, left.passed) == (3, 1, False)
    assert left.by_error == {
        "FIELD_CUSTOM_VALIDATION_EXCEPTION": 1, "not_sent": 1, "UNABLE_TO_LOCK_ROW": 1
    }  # fmt: skip
    assert unwritten(log.head(1), log.head(0), ("failed",)).passed


def test_a_run_stopped_before_it_compared_anything_is_not_all_written():
    """An empty log of a run that never read the CRM proves nothing was left out."""
    empty = pd.DataFrame(columns=["account_id", "outcome", "error_code"])
    left = unwritten(empty, empty, ("failed",), not_compared="count: daily API limit exceeded")
    assert (left.accounts, left.passed) == (0, False)
    assert "stopped before it compared any record" in left.summary()
    assert "daily API limit exceeded" in left.summary()
    assert unwritten(empty, empty, ("failed",)).passed
