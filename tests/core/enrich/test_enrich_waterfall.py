"""The waterfall asks providers in order and stops at the first good answer."""

from datetime import UTC, datetime

from segmentation_pipeline.core.enrich.answers import hit, miss
from segmentation_pipeline.core.enrich.waterfall import (
    next_providers,
    resolve,
    settle_from_answers,
)
from segmentation_pipeline.framework.enrichment import (
    EnrichmentSettings,
    FieldGroup,
    ProviderSettings,
)

T = datetime(2026, 1, 1, tzinfo=UTC)
SETTINGS = EnrichmentSettings(
    key_fields=["industry", "employees"],
    providers={n: ProviderSettings(kind="pdl") for n in ("a", "b", "c")},
    field_groups={
        "industry": FieldGroup(fields=["industry"], providers=["a", "b", "c"], min_confidence=0.6),
        "size": FieldGroup(fields=["employees"], providers=["c", "a"], min_confidence=0.6),
    },
)
ALL = {"a", "b", "c"}


def answer(provider, confidence=0.9, **values):
    return hit(provider, "acme.com", values, confidence, T)


def test_first_provider_is_asked_first():
    assert next_providers(["industry"], SETTINGS, {}, ALL) == ["a"]


def test_a_good_answer_stops_the_waterfall():
    answers = {"a": answer("a", industry="Software")}
    assert next_providers(["industry"], SETTINGS, answers, ALL) == []
    assert resolve("industry", SETTINGS, answers, ALL).answer is answers["a"]


def test_a_miss_falls_through_to_the_next_provider():
    answers = {"a": miss("a", "acme.com", T)}
    assert next_providers(["industry"], SETTINGS, answers, ALL) == ["b"]


def test_an_answer_below_the_confidence_falls_through():
    answers = {"a": answer("a", confidence=0.5, industry="Software")}
    assert next_providers(["industry"], SETTINGS, answers, ALL) == ["b"]


def test_an_answer_without_the_field_falls_through():
    answers = {"a": answer("a", employees=50.0)}
    assert next_providers(["industry"], SETTINGS, answers, ALL) == ["b"]


def test_a_later_answer_waits_for_the_preferred_provider():
    answers = {"b": answer("b", industry="Retail")}
    assert resolve("industry", SETTINGS, answers, ALL).pending == "a"


def test_unavailable_providers_are_skipped():
    assert next_providers(["industry"], SETTINGS, {}, {"b", "c"}) == ["b"]


def test_exhausted_when_every_provider_missed():
    answers = {p: miss(p, "acme.com", T) for p in ALL}
    assert resolve("industry", SETTINGS, answers, ALL).exhausted


def test_each_field_group_follows_its_own_order():
    assert next_providers(["industry", "employees"], SETTINGS, {}, ALL) == ["a", "c"]
    answers = {"a": answer("a", industry="Software", employees=10.0)}
    # size asks c first; a's employees must wait for c's word
    assert next_providers(["industry", "employees"], SETTINGS, answers, ALL) == ["c"]


def test_free_fill_uses_answers_in_hand_without_asking_anyone():
    answers = {"a": answer("a", employees=10.0)}
    assert settle_from_answers("employees", SETTINGS, answers) is answers["a"]
    assert settle_from_answers("industry", SETTINGS, answers) is None
