"""The `enrichment` section of the framework: who is asked, in which order, at what price.

Kept in its own module so the enrichment stage can grow its settings without touching
the rest of the framework models. The field groups and providers default to the bundled
file's (`section.bundled`); every other default here is repeated there, and a test keeps
the two in step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from segmentation_pipeline.framework.section import bundled

EnrichableField = Literal["industry", "employees", "annual_revenue", "country_code"]
ProviderKind = Literal["file", "pdl", "apollo"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimit(_Strict):
    """A vendor's documented request limits; None means the vendor sets no such limit.

    `headroom` is the share of each limit left unused so that clock and network jitter
    never push a request over the vendor's line; `burst` is how many requests may leave
    back to back before pacing starts.
    """

    per_second: float | None = Field(default=None, gt=0)
    per_minute: float | None = Field(default=None, gt=0)
    per_hour: float | None = Field(default=None, gt=0)
    per_day: float | None = Field(default=None, gt=0)
    headroom: float = Field(default=0.05, ge=0, lt=1)
    burst: int = Field(default=1, ge=1)


class ProviderSettings(_Strict):
    kind: ProviderKind
    enabled: bool = True
    # Vendor API root; None means the vendor's public address.
    base_url: str | None = None
    # File provider only: CSV path; None means the deployment's firmographics file.
    path: str | None = None
    # Records per request: >1 uses the vendor's bulk endpoint.
    batch_size: int = Field(default=1, ge=1)
    concurrency: int = Field(default=4, ge=1)
    timeout_seconds: float = Field(default=10.0, gt=0)
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    cost_per_match: float = Field(default=1.0, ge=0)
    cost_per_miss: float = Field(default=0.0, ge=0)
    # Confidence given to every answer of a vendor that returns no match score.
    confidence: float | None = Field(default=None, ge=0, le=1)


class FieldGroup(_Strict):
    """Fields that one waterfall fills: providers are asked in order until an answer
    carrying the fields reaches `min_confidence`."""

    fields: list[EnrichableField] = Field(min_length=1)
    providers: list[str] = Field(min_length=1)
    min_confidence: float = Field(ge=0, le=1)


class CacheTtl(_Strict):
    hit_days: float = Field(default=90, gt=0)
    miss_days: float = Field(default=14, gt=0)

    @model_validator(mode="after")
    def _miss_not_longer(self) -> CacheTtl:
        if self.miss_days > self.hit_days:
            raise ValueError("miss_days must not exceed hit_days")
        return self


class Budget(_Strict):
    """Credit caps; None means no cap."""

    credits_per_run: float | None = Field(default=2000, ge=0)
    credits_per_month: float | None = Field(default=10000, ge=0)


class ConflictPolicy(_Strict):
    # provider -> fields whose non-empty CRM value that provider may overwrite.
    overwrite: dict[str, list[EnrichableField]] = Field(default_factory=dict)
    # Relative difference under which two numbers (employees, revenue) agree.
    numeric_tolerance: float = Field(default=0.25, ge=0)


class RetryPolicySettings(_Strict):
    max_attempts: int = Field(default=5, ge=1)
    base_delay_seconds: float = Field(default=0.5, ge=0)
    max_delay_seconds: float = Field(default=60.0, ge=0)
    # Share of each backoff delay drawn at random, so parallel workers spread out.
    jitter: float = Field(default=0.5, ge=0, le=1)


class CircuitBreakerSettings(_Strict):
    failure_threshold: int = Field(default=5, ge=1)
    reset_after_seconds: float = Field(default=60.0, ge=0)
    # Failed probes in a row after which the provider is parked for the rest of the run.
    max_failed_probes: int = Field(default=3, ge=1)


class EnrichmentSettings(_Strict):
    # A missing one of these is what makes an account worth a lookup.
    key_fields: list[EnrichableField] = Field(
        default_factory=lambda: ["industry", "employees", "country_code"], min_length=1
    )
    field_groups: dict[str, FieldGroup] = bundled("enrichment", "field_groups")
    providers: dict[str, ProviderSettings] = bundled("enrichment", "providers")
    cache: CacheTtl = Field(default_factory=CacheTtl)
    # Accounts whose `verified_at_column` is older than this are looked up again.
    stale_after_days: float = Field(default=365, gt=0)
    verified_at_column: str = "firmographics_verified_at"
    # Accounts with a true `revalidate_column` are looked up whatever their fields hold.
    revalidate_column: str = "revalidate_firmographics"
    budget: Budget = Field(default_factory=Budget)
    conflicts: ConflictPolicy = Field(default_factory=ConflictPolicy)
    retry: RetryPolicySettings = Field(default_factory=RetryPolicySettings)
    circuit_breaker: CircuitBreakerSettings = Field(default_factory=CircuitBreakerSettings)
    # Extra vendor industry label -> pipeline industry, on top of the built-in map.
    industry_map: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> EnrichmentSettings:
        for name, group in self.field_groups.items():
            for provider in group.providers:
                if provider not in self.providers:
                    raise ValueError(
                        f"field_groups.{name}.providers: {provider!r} is not one of providers "
                        f"({', '.join(self.providers)})"
                    )
        grouped: dict[str, str] = {}
        for name, group in self.field_groups.items():
            for field in group.fields:
                if field in grouped:
                    raise ValueError(
                        f"field_groups.{name}: field {field!r} already belongs to "
                        f"group {grouped[field]}"
                    )
                grouped[field] = name
        for field in self.key_fields:
            if field not in grouped:
                raise ValueError(f"key_fields: {field!r} is in no field group")
        for provider in self.conflicts.overwrite:
            if provider not in self.providers:
                raise ValueError(f"conflicts.overwrite: {provider!r} is not a provider")
        return self

    def group_of(self, field: str) -> FieldGroup:
        return next(g for g in self.field_groups.values() if field in g.fields)

    @property
    def filled_fields(self) -> list[str]:
        """Every field some waterfall can fill, in group order."""
        return [f for group in self.field_groups.values() for f in group.fields]
