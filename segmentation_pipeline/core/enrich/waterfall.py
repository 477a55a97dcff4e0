"""The waterfall: per field group, ask providers in order and stop at the first good answer.

Pure decisions over the answers gathered so far for one domain; the caller does the
asking. A field is settled by the first provider in its group's order whose answer
carries the field with at least the group's confidence. A provider that has not
answered yet blocks the providers after it, so a cheaper, preferred provider is never
overtaken by a later one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from segmentation_pipeline.core.enrich.answers import Answer, Outcome
from segmentation_pipeline.framework.enrichment import EnrichmentSettings, FieldGroup


@dataclass(frozen=True)
class Resolution:
    """Where one field stands: settled by `answer`, waiting on `pending`, or exhausted."""

    answer: Answer | None = None
    pending: str | None = None

    @property
    def exhausted(self) -> bool:
        return self.answer is None and self.pending is None


def acceptable(answer: Answer, field: str, group: FieldGroup) -> bool:
    return (
        answer.outcome is Outcome.HIT
        and answer.value(field) is not None
        and (answer.confidence or 0.0) >= group.min_confidence
    )


def resolve(
    field: str,
    settings: EnrichmentSettings,
    answers: Mapping[str, Answer],
    available: Collection[str],
) -> Resolution:
    """The field's waterfall walked over the answers so far (unavailable providers skipped)."""
    group = settings.group_of(field)
    for provider in group.providers:
        if provider not in available:
            continue
        answer = answers.get(provider)
        if answer is None:
            return Resolution(pending=provider)
        if acceptable(answer, field, group):
            return Resolution(answer=answer)
    return Resolution()


def settle_from_answers(
    field: str, settings: EnrichmentSettings, answers: Mapping[str, Answer]
) -> Answer | None:
    """A free fill: the best answer already in hand, in group order, asking nobody new."""
    group = settings.group_of(field)
    for provider in group.providers:
        answer = answers.get(provider)
        if answer is not None and acceptable(answer, field, group):
            return answer
    return None


def next_providers(
    fields: Iterable[str],
    settings: EnrichmentSettings,
    answers: Mapping[str, Answer],
    available: Collection[str],
) -> list[str]:
    """Providers to ask next for one domain, in the order the fields first need them."""
    wanted: list[str] = []
    for field in fields:
        pending = resolve(field, settings, answers, available).pending
        if pending is not None and pending not in wanted:
            wanted.append(pending)
    return wanted
