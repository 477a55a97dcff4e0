"""Answers are applied to accounts: gaps filled, CRM values defended, reasons kept."""

from datetime import UTC, datetime

import pandas as pd

from segmentation_pipeline.core.enrich.answers import failed, hit, miss, skipped
from segmentation_pipeline.core.enrich.merge import agree, merge_answers
from segmentation_pipeline.core.enrich.plan import plan_enrichment
from segmentation_pipeline.framework.enrichment import (
    ConflictPolicy,
    EnrichmentSettings,
    FieldGroup,
    ProviderSettings,
)

T = datetime(2026, 3, 1, tzinfo=UTC)
GROUPS = {
    "industry": FieldGroup(fields=["industry"], providers=["pdl", "apollo"], min_confidence=0.6),
    "size": FieldGroup(
        fields=["employees", "annual_revenue"], providers=["pdl", "apollo"], min_confidence=0.6
    ),
    "geography": FieldGroup(
        fields=["country_code"], providers=["pdl", "apollo"], min_confidence=0.5
    ),
}
PROVIDERS = {"pdl": ProviderSettings(kind="pdl"), "apollo": ProviderSettings(kind="apollo")}
SETTINGS = EnrichmentSettings(providers=PROVIDERS, field_groups=GROUPS)
BOTH = ["pdl", "apollo"]


def account(**values) -> pd.DataFrame:
    row = {
        "account_id": "a1",
        "domain": "acme.com",
        "industry": "Software",
        "employees": 100.0,
        "annual_revenue": 1e6,
        "country_code": "US",
    }
    row.update(values)
    return pd.DataFrame([row])


def run(frame, answers, settings=SETTINGS):
    plan = plan_enrichment(frame, settings, T)
    return merge_answers(frame, plan, {"acme.com": answers}, settings, BOTH)


def test_gap_is_filled_with_provenance_next_to_the_value():
    frame = account(industry=None, annual_revenue=None)
    answers = {"pdl": hit("pdl", "acme.com", {"industry": "Retail", "annual_revenue": 3e6}, 0.8, T)}
    merged = run(frame, answers)
    row = merged.accounts.iloc[0]
    assert (row["industry"], row["industry_source"], row["industry_confidence"]) == (
        "Retail",
        "pdl",
        0.8,
    )
    assert row["industry_fetched_at"] == pd.Timestamp(T)
    # revenue is not a key field but rides along on the answer already bought
    assert (row["annual_revenue"], row["annual_revenue_source"]) == (3e6, "pdl")
    assert (row["employees_source"], row["enrichment_status"]) == ("crm", "enriched")
    assert list(merged.provenance["action"]) == ["filled", "filled"]
    assert merged.conflicts.empty and merged.non_matches.empty


def test_disagreeing_vendor_value_is_recorded_not_applied():
    frame = account(revalidate_firmographics=True)
    answers = {
        "pdl": hit(
            "pdl",
            "acme.com",
            {"industry": "Retail", "employees": 105.0, "country_code": "US"},
            0.9,
            T,
        )
    }
    merged = run(frame, answers)
    row = merged.accounts.iloc[0]
    assert (row["industry"], row["industry_source"]) == ("Software", "crm")
    conflict = merged.conflicts.iloc[0]
    assert (
        conflict["field"],
        conflict["crm_value"],
        conflict["vendor_value"],
        conflict["resolution"],
    ) == ("industry", "Software", "Retail", "crm_kept")
    assert len(merged.conflicts) == 1  # 105 vs 100 employees agree within 25%
    actions = dict(zip(merged.provenance["field"], merged.provenance["action"], strict=True))
    assert actions == {"industry": "conflict", "employees": "verified", "country_code": "verified"}
    assert row["enrichment_status"] == "checked"


def test_overwrite_policy_lets_a_provider_replace_a_field():
    settings = SETTINGS.model_copy(
        update={"conflicts": ConflictPolicy(overwrite={"pdl": ["industry"]})}
    )
    frame = account(revalidate_firmographics=True)
    answers = {
        "pdl": hit("pdl", "acme.com", {"industry": "Retail"}, 0.9, T),
        "apollo": miss("apollo", "acme.com", T),
    }
    merged = run(frame, answers, settings)
    row = merged.accounts.iloc[0]
    assert (row["industry"], row["industry_source"]) == ("Retail", "pdl")
    assert merged.conflicts.iloc[0]["resolution"] == "vendor_applied"


def test_numbers_agree_within_the_tolerance():
    assert agree("employees", 100, 125, 0.25)  # 25 / 125 = 0.2
    assert not agree("employees", 100, 150, 0.25)  # 50 / 150 = 0.33
    assert agree("country_code", "us", "US", 0.0)


def test_unanswered_gap_goes_to_the_non_match_queue_with_every_providers_word():
    frame = account(industry=None)
    answers = {"pdl": miss("pdl", "acme.com", T), "apollo": miss("apollo", "acme.com", T)}
    merged = run(frame, answers)
    queued = merged.non_matches.iloc[0]
    assert (queued["missing_fields"], queued["reason"]) == ("industry", "no_match")
    assert queued["detail"] == "pdl: no match; apollo: no match"
    assert merged.accounts.iloc[0]["enrichment_status"] == "unmatched"
    assert merged.accounts.iloc[0]["enrichment_pending"] is None  # the vendors' answer


def test_reasons_say_what_went_wrong():
    frame = account(industry=None)
    cases = {
        "failed": {
            "pdl": failed("pdl", "acme.com", T, "server error (HTTP 503)"),
            "apollo": miss("apollo", "acme.com", T),
        },
        "budget": {
            "pdl": miss("pdl", "acme.com", T),
            "apollo": skipped("apollo", "acme.com", T, "budget: run budget reached"),
        },
        "low_confidence": {
            "pdl": hit("pdl", "acme.com", {"industry": "Retail"}, 0.3, T),
            "apollo": miss("apollo", "acme.com", T),
        },
    }
    for reason, answers in cases.items():
        merged = run(frame, answers)
        assert merged.non_matches.iloc[0]["reason"] == reason
        # A lookup that failed or was not sent leaves the account waiting for an answer.
        pending = merged.accounts.iloc[0]["enrichment_pending"]
        assert pending == (reason if reason in ("failed", "budget") else None)
    detail = run(frame, cases["failed"]).non_matches.iloc[0]["detail"]
    assert detail == "pdl: failed (server error (HTTP 503)); apollo: no match"


def test_account_without_domain_is_queued_for_manual_research():
    frame = account(domain=None, country_code=None)
    merged = merge_answers(frame, plan_enrichment(frame, SETTINGS, T), {}, SETTINGS, BOTH)
    queued = merged.non_matches.iloc[0]
    assert (queued["domain"], queued["reason"]) == (None, "no_domain")


def test_partial_fill_is_marked_partial():
    frame = account(industry=None, employees=None)
    answers = {
        "pdl": hit("pdl", "acme.com", {"employees": 40.0}, 0.9, T),
        "apollo": miss("apollo", "acme.com", T),
    }
    merged = run(frame, answers)
    assert merged.accounts.iloc[0]["enrichment_status"] == "partial"
    assert merged.non_matches.iloc[0]["missing_fields"] == "industry"


def test_accounts_not_needing_enrichment_keep_their_values():
    merged = run(account(), {})
    row = merged.accounts.iloc[0]
    assert (row["enrichment_status"], row["industry_source"], row["employees"]) == (
        "not_needed",
        "crm",
        100.0,
    )
    assert str(merged.accounts["employees"].dtype) == "Float64"
