"""The `dedup` section of the framework: how duplicate accounts are found and folded.

A candidate pair of accounts earns points for each piece of evidence (name similarity,
same domain, same phone, same city, same country) and loses points for conflicting
evidence (two different domains, two different countries). Pairs at or above
`match_threshold` are duplicates. See docs/data-preparation.md for the reasoning behind
the default points.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SurvivorshipRule = Literal["crm_master", "most_complete", "oldest", "newest", "highest_arr"]
ExclusiveField = Literal["domain", "phone_e164", "country_code"]
SummableField = Literal["arr", "annual_revenue", "expansion_pipeline"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NameBand(_Section):
    """Name similarity (0-100, rapidfuzz) at or above `min_similarity` earns `points`."""

    min_similarity: float = Field(ge=0, le=100)
    points: float


class Evidence(_Section):
    """Points when both accounts hold the same value / two different values."""

    agree: float = Field(ge=0)
    conflict: float = Field(le=0)


class DedupConfig(_Section):
    match_threshold: float = 5.0
    name_points: list[NameBand] = [
        NameBand(min_similarity=100, points=4.5),
        NameBand(min_similarity=95, points=3.5),
        NameBand(min_similarity=88, points=2.5),
        NameBand(min_similarity=80, points=1.0),
        NameBand(min_similarity=70, points=0.0),
        NameBand(min_similarity=0, points=-4.0),
    ]
    domain: Evidence = Evidence(agree=5.0, conflict=-6.0)
    phone: Evidence = Evidence(agree=4.0, conflict=-1.5)
    country: Evidence = Evidence(agree=0.5, conflict=-5.0)
    city: Evidence = Evidence(agree=1.0, conflict=-1.5)
    city_min_similarity: float = Field(default=90, ge=0, le=100)
    window: int = Field(default=6, ge=1, le=100)
    exclusive_fields: list[ExclusiveField] = ["domain", "country_code"]
    max_cluster_size: int = Field(default=50, ge=2)
    survivorship: list[SurvivorshipRule] = ["crm_master", "most_complete", "oldest", "highest_arr"]
    master_column: str = "is_master"
    completeness_fields: list[str] = [
        "website", "industry", "employees", "annual_revenue", "arr", "country_code", "city",
        "phone_e164", "owner_id", "contract_end_date",
    ]  # fmt: skip
    sum_fields: list[SummableField] = ["arr"]

    @model_validator(mode="after")
    def _consistent(self) -> DedupConfig:
        cuts = [band.min_similarity for band in self.name_points]
        if cuts != sorted(cuts, reverse=True) or len(set(cuts)) != len(cuts):
            raise ValueError("name_points: min_similarity must strictly fall from band to band")
        if not cuts or cuts[-1] != 0:
            raise ValueError("name_points: the last band must start at min_similarity 0")
        if len(set(self.survivorship)) != len(self.survivorship):
            raise ValueError("survivorship: each rule may be listed once")
        return self

    def name_points_for(self, similarity: float) -> float:
        return next(b.points for b in self.name_points if similarity >= b.min_similarity)
