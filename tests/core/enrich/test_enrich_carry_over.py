"""Which accounts a night enriches again, and how their results join last night's."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from segmentation_pipeline.core.change_set import CONTENT_HASH
from segmentation_pipeline.core.changes import frame_hashes, row_hashes
from segmentation_pipeline.core.enrich import EnrichmentResult
from segmentation_pipeline.core.enrich.carry_over import (
    INPUT_HASH,
    LOOKUP_DOMAIN,
    LastEnrichment,
    carry_over,
    rows_to_enrich,
    uniquely_identified,
)
from segmentation_pipeline.core.enrich.normalize import normalize_domains
from segmentation_pipeline.framework.enrichment import EnrichmentSettings

LAST_NIGHT = datetime(2026, 6, 14, 2, tzinfo=UTC)
TONIGHT = LAST_NIGHT + timedelta(days=1)
SETTINGS = EnrichmentSettings()  # stale after 365 days


def accounts(**changes: list) -> pd.DataFrame:
    frame = {
        "account_id": ["a1", "a2", "a3", "a4"],
        "domain": ["acme.com", "www.acme.com", "globex.io", "initech.net"],
        "industry": ["Software", None, "Retail", None],
        "firmographics_verified_at": ["2026-01-01"] * 4,
    }
    frame.update(changes)
    return pd.DataFrame(frame)


def memo_of(frame: pd.DataFrame, non_matches: list[tuple[str, str]] = ()) -> LastEnrichment:
    """Last night as it would have been kept: one enriched row per uniquely identified
    account (tagged 'last night'), one provenance row per account."""
    enriched = frame.assign(industry_source="last night")
    enriched[INPUT_HASH] = row_hashes(frame).to_numpy()
    enriched[LOOKUP_DOMAIN] = normalize_domains(frame["domain"]).to_numpy()
    enriched = enriched[uniquely_identified(frame)].reset_index(drop=True)
    ids = list(frame["account_id"])
    return LastEnrichment(
        enriched_at=LAST_NIGHT,
        accounts=enriched,
        provenance=pd.DataFrame({"account_id": ids, "value": ["old"] * len(ids)}),
        conflicts=pd.DataFrame({"account_id": pd.Series(dtype=object)}),
        non_matches=pd.DataFrame(
            {
                "account_id": pd.Series([a for a, _ in non_matches], dtype=object),
                "reason": pd.Series([r for _, r in non_matches], dtype=object),
            }
        ),
        fetched=pd.DataFrame({"domain": ["acme.com"], "fetched_at": [LAST_NIGHT]}),
        partition="2026-06-01",
    )


def plan(frame, memo, changed_domains=(), now=TONIGHT):
    return rows_to_enrich(
        frame, row_hashes(frame).to_numpy(), memo, SETTINGS, now, set(changed_domains)
    )


def test_without_a_memo_every_account_is_enriched():
    reuse = plan(accounts(), None)
    assert reuse.enrich.tolist() == [True] * 4
    assert reuse.carried == 0


def test_a_night_without_changes_enriches_nobody():
    frame = accounts()
    reuse = plan(frame, memo_of(frame))
    assert reuse.enrich.tolist() == [False] * 4
    assert reuse.last_rows.tolist() == [0, 1, 2, 3]


def test_an_edited_account_is_enriched_with_the_accounts_sharing_its_domain():
    before = accounts()
    tonight = accounts(industry=["Software", None, "Retail", "Banking"])  # a4 edited
    assert plan(tonight, memo_of(before)).enrich.tolist() == [False, False, False, True]
    # a2's edit puts acme.com in play: a1 (same registrable domain) comes along
    tonight = accounts(industry=["Software", "Media", "Retail", None])
    assert plan(tonight, memo_of(before)).enrich.tolist() == [True, True, False, False]


def test_a_failed_or_budget_refused_lookup_is_retried_a_plain_miss_is_not():
    frame = accounts()
    memo = memo_of(frame, non_matches=[("a3", "failed"), ("a4", "no_match")])
    assert plan(frame, memo).enrich.tolist() == [False, False, True, False]
    memo = memo_of(frame, non_matches=[("a4", "budget")])
    assert plan(frame, memo).enrich.tolist() == [False, False, False, True]


def test_a_domain_a_provider_failed_on_is_looked_up_again_whatever_the_account_holds():
    frame = accounts()
    memo = replace(memo_of(frame), retry_domains=("initech.net",))
    assert plan(frame, memo).enrich.tolist() == [False, False, False, True]


def test_new_or_expired_cache_answers_put_their_domain_back_in_play():
    frame = accounts()
    reuse = plan(frame, memo_of(frame), changed_domains={"globex.io"})
    assert reuse.enrich.tolist() == [False, False, True, False]


def test_an_account_that_went_stale_since_the_memo_is_enriched_again():
    # Verified 365 days before tonight: not stale last night, stale tonight.
    frame = accounts(
        firmographics_verified_at=["2025-06-15T01:00:00Z", "2026-01-01", "2026-01-01", None]
    )
    assert plan(frame, memo_of(frame)).enrich.tolist() == [True, True, False, False]


def test_a_memo_from_the_future_is_not_trusted():
    frame = accounts()
    reuse = plan(frame, memo_of(frame), now=LAST_NIGHT - timedelta(hours=1))
    assert reuse.enrich.all()


def test_a_carried_row_keeps_the_memos_lookup_domain_a_new_one_is_normalized():
    frame = accounts()
    memo = memo_of(frame)
    memo.accounts[LOOKUP_DOMAIN] = ["from-memo.com"] * 4
    tonight = accounts(domain=["acme.com", "www.acme.com", "globex.io", "https://new.net/x"])
    assert plan(tonight, memo).domains.tolist() == [
        "from-memo.com", "from-memo.com", "from-memo.com", "new.net",
    ]  # fmt: skip


def test_rows_are_found_by_content_wherever_they_moved():
    frame = accounts()
    shuffled = frame.iloc[[3, 1, 0, 2]].reset_index(drop=True)
    reuse = plan(shuffled, memo_of(frame))
    assert reuse.last_rows.tolist() == [3, 1, 0, 2]


def result_of(accounts: pd.DataFrame, provenance: pd.DataFrame) -> EnrichmentResult:
    no_rows = pd.DataFrame({"account_id": pd.Series(dtype=object), "reason": []})
    lookups = pd.DataFrame(columns=["domain", "provider", "outcome", "from_cache", "fetched_at"])
    return EnrichmentResult(
        accounts=accounts,
        provenance=provenance,
        conflicts=no_rows,
        non_matches=no_rows,
        lookups=lookups,
        providers=pd.DataFrame(),
        stats={"requests": 0},
    )


def test_carry_over_keeps_input_order_and_each_accounts_own_review_rows():
    before = accounts()
    last = memo_of(before)
    tonight = accounts(industry=["Software", None, "Retail", "Banking"]).iloc[[3, 0, 1, 2]]
    tonight = tonight.reset_index(drop=True)  # a4 (edited) first now
    tonight = tonight[tonight["account_id"] != "a2"].reset_index(drop=True)  # a2 left
    hashes = row_hashes(tonight).to_numpy()
    reuse = plan(tonight, last)
    assert reuse.enrich.tolist() == [True, False, False]

    fresh = tonight[reuse.enrich].assign(industry_source="tonight").reset_index(drop=True)
    fresh_provenance = pd.DataFrame({"account_id": ["a4", "a4"], "value": ["new", "new"]})
    result, rows = carry_over(
        tonight, hashes, reuse, last, result_of(fresh, fresh_provenance), ["industry"]
    )

    assert result.accounts["account_id"].tolist() == ["a4", "a1", "a3"]
    assert result.accounts["industry_source"].tolist() == ["tonight", "last night", "last night"]
    assert rows[INPUT_HASH].tolist() == hashes.tolist()
    assert sorted(map(tuple, result.provenance[["account_id", "value"]].to_numpy().tolist())) == [
        ("a1", "old"), ("a3", "old"), ("a4", "new"), ("a4", "new"),
    ]  # fmt: skip
    assert result.stats["accounts"] == 3


def test_carry_over_without_last_night_is_the_fresh_result():
    frame = accounts()
    hashes = row_hashes(frame).to_numpy()
    reuse = plan(frame, None)
    fresh = result_of(frame, frame.iloc[:0])
    result, rows = carry_over(frame, hashes, reuse, None, fresh, ["industry"])
    # The fresh result, each row with the hash of its content for the steps after.
    pd.testing.assert_frame_equal(result.accounts.drop(columns=[CONTENT_HASH]), fresh.accounts)
    assert result.accounts[CONTENT_HASH].tolist() == frame_hashes(fresh.accounts).tolist()
    assert result.provenance is fresh.provenance
    assert rows[LOOKUP_DOMAIN].tolist() == ["acme.com", "acme.com", "globex.io", "initech.net"]
    assert np.array_equal(rows[INPUT_HASH].to_numpy(), hashes)


def test_accounts_without_an_id_of_their_own_are_always_enriched_again():
    frame = accounts(account_id=["a1", None, "a3", "a3"])
    frame["domain"] = ["acme.com", "other.org", "globex.io", "initech.net"]
    assert plan(frame, memo_of(frame)).enrich.tolist() == [False, True, True, True]
