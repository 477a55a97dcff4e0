"""The `dedup` section of the framework: how duplicate accounts are found and folded.

A candidate pair of accounts earns points for each piece of evidence (name similarity,
same domain, same phone, same city, same country) and loses points for conflicting
evidence (two different domains, two different countries). Pairs at or above
`match_threshold` are duplicates. See docs/data-preparation.md for the reasoning behind
the default points.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from segmentation_pipeline.framework.section import Section

SurvivorshipRule = Literal["crm_master", "most_complete", "oldest", "newest", "highest_arr"]
ExclusiveField = Literal["domain", "phone_e164", "country_code"]
SummableField = Literal["arr", "annual_revenue", "expansion_pipeline"]


class NameBand(Section):
    """Name similarity (0-100, rapidfuzz) at or above `min_similarity` earns `points`."""

    min_similarity: float = Field(ge=0, le=100)
    points: float


class Evidence(Section):
    """Points when both accounts hold the same value / two different values."""

    agree: float = Field(ge=0)
    conflict: float = Field(le=0)


class DedupConfig(Section):
    match_threshold: float = 5.0
    name_points: list[NameBand] = [
        NameBand(min_similarity=100, points=5.0),
        NameBand(min_similarity=95, points=4.5),
        NameBand(min_similarity=90, points=4.0),
        NameBand(min_similarity=85, points=2.5),
        NameBand(min_similarity=75, points=0.5),
        NameBand(min_similarity=65, points=-1.0),
        NameBand(min_similarity=0, points=-4.0),
    ]
    shared_name_penalty: float = Field(
        default=1.5,
        ge=0,
        description="Points off the name evidence per doubling of the companies (distinct "
        "domains) going by the name: 'Global Solutions' says less than 'Zentrix'.",
    )
    name_number_conflict: float = Field(
        default=-3.0, le=0, description="Names whose numbers differ: 'Fund 2' / 'Fund 3'."
    )
    domain: Evidence = Evidence(agree=5.0, conflict=-6.0)
    domain_same_label: float = Field(
        default=-3.0,
        le=0,
        description="Two domains of one label on different suffixes (acme.com / acme.de): "
        "often one company, as often two namesakes, so a weaker conflict.",
    )
    phone: Evidence = Evidence(agree=4.0, conflict=-1.5)
    country: Evidence = Evidence(agree=0.5, conflict=-5.0)
    city: Evidence = Evidence(agree=1.0, conflict=-1.5)
    industry: Evidence = Evidence(agree=0.5, conflict=-1.0)
    city_min_similarity: float = Field(default=90, ge=0, le=100)
    window: int = Field(
        default=5, ge=1, le=100, description="Neighbours compared in each sorted order."
    )
    block_size: int = Field(
        default=20,
        ge=2,
        le=1000,
        description="Accounts sharing a domain, phone or name key are all compared while "
        "there are at most this many; beyond that, each with its nearest this many.",
    )
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
