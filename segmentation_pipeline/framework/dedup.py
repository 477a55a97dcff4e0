"""The `dedup` section of the framework: how duplicate accounts are found and folded.

A candidate pair of accounts earns points for each piece of evidence (name similarity,
same domain, same phone, same city, same country) and loses points for conflicting
evidence (two different domains, two different countries). Pairs at or above
`match_threshold` are duplicates. See docs/data-preparation.md for the reasoning behind
the default points.

A survivor inherits its duplicates' signals: `sum_fields` of the account rows are summed,
`latest_fields` take the cluster's latest date, and the usage rows of a duplicate (a
separate feed keyed by its own Id) join the survivor's by `merged_usage`, column by column.

With `engine: fellegi_sunter` each candidate pair gets a match probability from
Fellegi-Sunter weights estimated on the base being matched (EM over comparison levels,
term-frequency adjusted for common names and cities); the framework holds only the
starting values, the merge threshold and the review band (`fellegi_sunter`). The default,
`engine: points`, is the hand-set points per piece of evidence (`match_threshold`,
`name_points`, ...): measured on both benchmark generators the learned engine does not
yet beat it on both (docs/data-preparation.md).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, model_validator

from segmentation_pipeline.framework.section import Section

SurvivorshipRule = Literal["crm_master", "most_complete", "oldest", "newest", "highest_arr"]
ExclusiveField = Literal["domain", "phone_e164", "country_code"]
SummableField = Literal["arr", "annual_revenue", "expansion_pipeline"]
LatestField = Literal["contract_end_date"]
UsageSignal = Literal[
    "product_arr", "logins_30d", "active_users", "licensed_users", "features_adopted",
    "features_available", "open_tickets", "nps", "onboarding_completion", "engagement_score",
]  # fmt: skip


class UsageRule(Section):
    """How one usage column of the records of one company (and product) becomes one value:
    `sum` (counts), `max` (a lower bound of a union, e.g. features adopted) or
    `weighted_mean` by another usage column (rates: NPS weighted by active users). Records
    without a positive weight count only when no record of the group has one (then the
    plain mean)."""

    how: Literal["sum", "max", "weighted_mean"]
    weight: UsageSignal | None = None

    @model_validator(mode="after")
    def _weight_only_for_means(self) -> UsageRule:
        if (self.how == "weighted_mean") != (self.weight is not None):
            raise ValueError("weight: required by weighted_mean and only by it")
        return self


def _usage(how: str, weight: str | None = None) -> UsageRule:
    return UsageRule(how=how, weight=weight)


class NameBand(Section):
    """Name similarity (0-100, rapidfuzz) at or above `min_similarity` earns `points`."""

    min_similarity: float = Field(ge=0, le=100)
    points: float


class Evidence(Section):
    """Points when both accounts hold the same value / two different values."""

    agree: float = Field(ge=0)
    conflict: float = Field(le=0)


MatchEngine = Literal["fellegi_sunter", "points"]
TermFrequencyField = Literal["name", "city"]
ApartField = Literal["domain", "phone_e164"]


class LevelPrior(Section):
    """Starting values of one comparison level: P(level | match), P(level | non-match)."""

    m: float = Field(gt=0, lt=1)
    u: float = Field(gt=0, lt=1)


def _levels(**levels: tuple[float, float]) -> dict[str, LevelPrior]:
    return {name: LevelPrior(m=m, u=u) for name, (m, u) in levels.items()}


class FellegiSunter(Section):
    """Match probabilities from weights learned per run (core/dedup/fellegi_sunter.py)."""

    merge_probability: float = Field(
        default=0.9, gt=0, lt=1, description="Pairs at or above this probability merge."
    )
    review_probability: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Pairs from here up to merge_probability go to the duplicate_review "
        "table: neither merged nor ignored.",
    )
    prior_match_share: float = Field(
        default=0.05, gt=0, lt=1, description="Starting share of candidate pairs that match."
    )
    prior_pairs: float = Field(
        default=2000,
        ge=0,
        description="Weight of the starting m/u values against the data, in pairs: a base "
        "of a few accounts keeps them, a large base replaces them with its own.",
    )
    em_sample_pairs: int = Field(
        default=2_000_000, ge=1000, description="Candidate pairs EM learns from (a sample)."
    )
    max_iterations: int = Field(default=60, ge=1)
    tolerance: float = Field(default=1e-5, gt=0, description="Largest m/u change to stop.")
    name_similarity_levels: dict[str, float] = {"high": 95.0, "mid": 88.0, "low": 78.0}
    domain_similarity: float = Field(
        default=85, ge=0, le=100, description="Two domain labels this close: a typo."
    )
    exclusive_fields: list[ExclusiveField] = Field(
        default=["country_code"],
        description="The cluster guard's business rule under this engine: two different "
        "domains are evidence with a learned weight, not a veto (a rebrand keeps its old "
        "domain on old records).",
    )
    apart_on_conflict: list[ApartField] = Field(
        default=["domain", "phone_e164"],
        description="The cluster guard's second rule under this engine: two accounts "
        "holding different values of one of these fields, and weighed below the review "
        "band, are never joined through a chain of other matches (A~B, B~C with A, C "
        "apart); such matches go to duplicate_review instead.",
    )
    numbered_names_apart: bool = Field(
        default=True,
        description="Names holding different numbers ('Fund 2' / 'Fund 3', 'Orbis 17' / "
        "'Orbis 18') are different companies: such pairs are not weighed. A rule, not a "
        "learned weight: in a base full of numbered namesakes with look-alike domains, EM "
        "took them for the matches (precision .01 on the end-to-end benchmark's CRM).",
    )
    term_frequency: list[TermFrequencyField] = Field(
        default=["name"],
        description="Values whose exact agreement is weighed by how many hold them. Not "
        "the city by default: its agreement is learned given the name and phone, and a "
        "small city's bits on top counted the place twice (subsidiaries on the parent's "
        "switchboard merged); measured on both benchmark generators.",
    )
    max_term_frequency_bits: float = Field(
        default=6.0, ge=0, description="Bound on a term-frequency adjustment, in bits."
    )
    levels: dict[str, dict[str, LevelPrior]] = {
        "name": _levels(
            exact=(0.6, 0.01), high=(0.12, 0.01), mid=(0.1, 0.02), nested=(0.04, 0.02),
            low=(0.04, 0.06), differ=(0.1, 0.88),
        ),
        "name_numbers": _levels(same=(0.99, 0.9), differ=(0.01, 0.1)),
        "domain": _levels(
            exact=(0.6, 0.005), same_label=(0.05, 0.02), similar=(0.05, 0.03),
            differ=(0.3, 0.945),
        ),
        "phone": _levels(exact=(0.6, 0.01), differ=(0.4, 0.99)),
        "city": _levels(exact=(0.9, 0.2), differ=(0.1, 0.8)),
        "country": _levels(exact=(0.99, 0.5), differ=(0.01, 0.5)),
        "industry": _levels(exact=(0.8, 0.3), differ=(0.2, 0.7)),
    }  # fmt: skip

    @model_validator(mode="after")
    def _consistent(self) -> FellegiSunter:
        if self.review_probability > self.merge_probability:
            raise ValueError("review_probability must not exceed merge_probability")
        for comparison, levels in self.levels.items():
            for level in ("m", "u"):
                total = sum(getattr(prior, level) for prior in levels.values())
                if abs(total - 1) > 0.01:
                    raise ValueError(f"levels.{comparison}: the {level} values must sum to 1")
        return self


class DedupConfig(Section):
    engine: MatchEngine = "fellegi_sunter"
    fellegi_sunter: FellegiSunter = FellegiSunter()
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
    exclusive_fields: list[ExclusiveField] = ["domain", "country_code"]  # engine: points
    max_cluster_size: int = Field(default=50, ge=2)
    survivorship: list[SurvivorshipRule] = ["crm_master", "most_complete", "oldest", "highest_arr"]
    master_column: str = "is_master"
    completeness_fields: list[str] = [
        "website", "industry", "employees", "annual_revenue", "arr", "country_code", "city",
        "phone_e164", "owner_id", "contract_end_date",
    ]  # fmt: skip
    sum_fields: list[SummableField] = Field(
        default=["arr", "expansion_pipeline"],
        description="Summed over a cluster into the survivor (each record's own ARR and open "
        "pipeline). A member whose value is present but invalid makes the sum untrustworthy: "
        "the survivor's value is then null with a reason (see docs/data-preparation.md).",
    )
    latest_fields: list[LatestField] = Field(
        default=["contract_end_date"],
        description="The cluster's latest date, as the Salesforce extract takes an account's "
        "latest active contract.",
    )
    merged_usage: dict[UsageSignal, UsageRule] = {
        "product_arr": _usage("sum"),
        "logins_30d": _usage("sum"),
        "active_users": _usage("sum"),
        "licensed_users": _usage("sum"),
        "open_tickets": _usage("sum"),
        "features_adopted": _usage("max"),
        "features_available": _usage("max"),
        "nps": _usage("weighted_mean", "active_users"),
        "onboarding_completion": _usage("weighted_mean", "licensed_users"),
        "engagement_score": _usage("weighted_mean", "active_users"),
    }

    @model_validator(mode="after")
    def _consistent(self) -> DedupConfig:
        cuts = [band.min_similarity for band in self.name_points]
        if cuts != sorted(cuts, reverse=True) or len(set(cuts)) != len(cuts):
            raise ValueError("name_points: min_similarity must strictly fall from band to band")
        if not cuts or cuts[-1] != 0:
            raise ValueError("name_points: the last band must start at min_similarity 0")
        if len(set(self.survivorship)) != len(self.survivorship):
            raise ValueError("survivorship: each rule may be listed once")
        unruled = [c for c in get_args(UsageSignal) if c not in self.merged_usage]
        if unruled:
            raise ValueError(f"merged_usage: no rule for {', '.join(unruled)}")
        return self

    def name_points_for(self, similarity: float) -> float:
        return next(b.points for b in self.name_points if similarity >= b.min_similarity)
