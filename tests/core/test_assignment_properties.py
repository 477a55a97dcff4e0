"""Property: for any valid framework and any account rows, every account leaves with
exactly one of {segment, provisional segment, Unsegmented with a reason}."""

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation_pipeline.core.assignment import STATUSES, assign_segments
from segmentation_pipeline.core.scoring import score_accounts
from segmentation_pipeline.core.transitions import PriorState, update_queue
from segmentation_pipeline.framework import load_framework, parse_framework

AS_OF = pd.Timestamp("2026-11-01")
DEFAULT = load_framework().model_dump()
junk_text = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["", " ", "n/a", "∞"]))
junk_number = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**9), 10**12),
    st.sampled_from(["1,200", "abc", "", "-5"]),
)


@st.composite
def frameworks(draw):
    data = {k: (v.copy() if isinstance(v, dict) else v) for k, v in DEFAULT.items()}
    raw = [draw(st.floats(0, 1)) for _ in range(3)]
    if sum(raw) == 0:
        raw = [1.0, 0.0, 0.0]
    weights = [w / sum(raw) for w in raw]
    weights[2] = max(0.0, 1.0 - weights[0] - weights[1])
    data["scoring"] = data["scoring"] | {
        "weights": dict(zip(["firmographic", "behavioral", "value"], weights, strict=True))
    }
    cuts = sorted(draw(st.sets(st.floats(0.01, 5).map(lambda x: round(x, 2)), max_size=3)) | {0.0})[
        ::-1
    ]  # the last tier starts at 0: it takes every score below the one before it
    models = list(DEFAULT["service_models"])
    names = [f"Tier {i + 1}" for i in range(len(cuts))]
    data["tiers"] = [
        {"name": n, "label": n, "min_score": c, "service_model": draw(st.sampled_from(models))}
        for n, c in zip(names, cuts, strict=True)
    ]
    data["governance"] = DEFAULT["governance"] | {"tier_distribution": {}}
    # The reports name tiers too (outliers, sub-segments): keep only the ones drawn.
    outliers = DEFAULT["reporting"]["outliers"]
    data["reporting"] = DEFAULT["reporting"] | {
        "outliers": outliers
        | {
            limit: {t: v for t, v in outliers[limit].items() if t in names}
            for limit in ("arr_at_least", "arr_below")
        },
        "sub_segments": [s for s in DEFAULT["reporting"]["sub_segments"] if s["segment"] in names],
    }
    policy = st.fixed_dictionaries(
        {
            "policy": st.sampled_from(["review", "immediate"]),
            "grace_days": st.one_of(st.none(), st.integers(0, 60)),
        }
    )
    data["assignment"] = DEFAULT["assignment"] | {
        "unknown_industry_tier": draw(st.sampled_from(names)),
        "provisional_days": draw(st.integers(0, 400)),
        "required_fields": draw(
            st.lists(st.sampled_from(["arr", "industry", "employees", "country_code"]), unique=True)
        ),
        "tier_basis": draw(st.sampled_from(["composite", "firmographic_points", "value_points"])),
        "transitions": {
            "upgrade": draw(policy),
            "downgrade": draw(policy),
            "provisional_exit": draw(st.sampled_from(["immediate", "review"])),
        },
    }
    data["behavioral"] = DEFAULT["behavioral"] | {
        "fallbacks": {
            "missing_usage_score": draw(st.floats(1, 5)),
            "nps_min_tenure_days": draw(st.integers(0, 90)),
        }
    }
    return parse_framework(data)


conflict = st.fixed_dictionaries(
    {
        "field": st.sampled_from(["industry", "employees", "country_code", "phone"]),
        "crm_value": junk_text,
        "vendor_value": st.one_of(junk_text, junk_number),
        "provider": junk_text,
    }
)
account = st.fixed_dictionaries(
    {
        "account_id": st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        "name": junk_text,
        "owner_id": junk_text,
        "industry": st.one_of(junk_text, st.sampled_from(["Software", "Retail", "Unknown"])),
        "industry_status": st.sampled_from(["matched", "unmatched", "missing", None]),
        "employees": junk_number,
        "employees_reason": st.sampled_from([None, "missing", "unparseable"]),
        "arr": junk_number,
        "arr_reason": st.sampled_from([None, "missing", "unparseable", "negative"]),
        "arr_tier": st.sampled_from(["SMB", "Mid-Market", "Enterprise", None, "??"]),
        "company_size_band": junk_text,
        "country_code": st.one_of(junk_text, st.sampled_from(["US", "GB", "JP"])),
        "region": st.sampled_from(["NA", "EMEA", "APAC", "LATAM", None, "Mars"]),
        "created_date": st.one_of(
            st.none(),
            st.datetimes(
                min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                max_value=pd.Timestamp("2030-01-01").to_pydatetime(),
            ),
            st.just("not a date"),
        ),
        "contract_term": st.one_of(junk_text, st.sampled_from(["Multi-year", "Past due"])),
        "contract_end_date": st.one_of(st.none(), st.just("2020-01-01"), st.just("garbage")),
        "expansion_pipeline": junk_number,
        "strategic_importance": st.one_of(junk_text, st.sampled_from(["true", "Named logo"])),
        "growth_stage": junk_text,
        "segment_override": st.sampled_from([True, False, None]),
        "crm_tier": st.sampled_from(["Tier 1", "Tier 2", "Tier 3", "Tier 9", "Unsegmented", None]),
        "duplicate_count": st.integers(0, 3),
        "enrichment_conflicts": st.one_of(st.none(), st.lists(conflict, max_size=2), junk_text),
    }
)
usage_row = st.fixed_dictionaries(
    {
        "account_id": st.sampled_from(["a", "b", "c", "zz"]),
        "product": st.sampled_from([None, "Core", "Add-on"]),
        "product_arr": junk_number,
        "logins_30d": junk_number,
        "active_users": junk_number,
        "licensed_users": junk_number,
        "features_adopted": junk_number,
        "features_available": junk_number,
        "open_tickets": junk_number,
        "nps": junk_number,
        "onboarding_completion": junk_number,
        "engagement_score": junk_number,
    }
)


def check(rows: pd.DataFrame, accounts: pd.DataFrame, framework) -> None:
    names = {t.name for t in framework.tiers}
    assert len(rows) == len(accounts)
    assert rows["status"].isin(STATUSES).all()
    for _, row in rows.iterrows():  # a check over a handful of rows, not the code under test
        reason = row["unsegmented_reason"]
        if row["status"] == "unsegmented":
            assert row["segment"] == "Unsegmented"
            assert isinstance(reason, str) and reason
        else:
            assert row["segment"] in names
            assert reason is None or (isinstance(reason, float) and np.isnan(reason))
        assert bool(row["provisional"]) is (row["status"] == "provisional")
        assert isinstance(row["explanation"], str) and row["explanation"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    framework=frameworks(),
    accounts=st.lists(account, min_size=1, max_size=8),
    usage=st.lists(usage_row, max_size=6),
    decision=st.sampled_from([None, "approved", "rejected"]),
)
def test_every_account_gets_exactly_one_outcome(framework, accounts, usage, decision):
    frame = pd.DataFrame(accounts)
    usage_frame = pd.DataFrame(usage)
    scores = score_accounts(frame, usage_frame, framework, AS_OF)
    first = assign_segments(frame, scores, framework, PriorState.empty(), AS_OF)
    check(first, frame, framework)

    # A second run on the state the first left, with CS Ops' decision on every account.
    queue, _ = update_queue(PriorState.empty().transitions, first, AS_OF, "run1")
    decisions = pd.DataFrame(
        {
            "account_id": frame["account_id"],
            "to_segment": None,
            "decision": decision,
            "decided_by": "ops",
            "decided_at": AS_OF + pd.Timedelta(days=1),
            "note": None,
        }
    )
    state = replace(
        PriorState.empty(),
        transitions=queue,
        decisions=decisions,
        history=first[["account_id", "status"]],
    )
    later = AS_OF + pd.Timedelta(days=40)
    second = assign_segments(
        frame, score_accounts(frame, usage_frame, framework, later), framework, state, later
    )
    check(second, frame, framework)
