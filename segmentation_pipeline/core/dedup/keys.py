"""The comparable keys of each account, as arrays the blocking and scoring steps index.

Strings become integer codes (`-1` = no value), so equality tests over millions of
pairs are integer comparisons; ranks also sort the records the way their strings sort,
which is what sorted-neighbourhood blocking needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from segmentation_pipeline.core.dedup.clustering import connected_components
from segmentation_pipeline.core.dedup.similarity_bound import CharCounts
from segmentation_pipeline.core.standardize.text import arrow, column, lookup_key

# The standardized columns the keys are made of: matching sees nothing else of a row.
MATCH_INPUTS: tuple[str, ...] = (
    "name_key",
    "domain",
    "city",
    "country_code",
    "phone_e164",
    "industry",
    "industry_status",
)


@dataclass(frozen=True)
class MatchKeys:
    name: np.ndarray  # name key text ("" when missing), for token comparisons
    compact: np.ndarray  # name key without spaces ("" when missing), for edit similarity
    name_code: np.ndarray  # code of the name key
    compact_rank: np.ndarray  # sort position of the compact name key
    reversed_rank: np.ndarray  # sort position of the compact key read backwards
    name_numbers: np.ndarray  # code of the digit runs in the name key ("" when none)
    name_companies: np.ndarray  # companies going by the same name key (>= 1)
    local_companies: np.ndarray  # ... of them in the account's country
    place_companies: np.ndarray  # ... of them in the account's city
    name_spread: np.ndarray  # the most companies, countries or cities seen under the name
    domain: np.ndarray
    domain_label: np.ndarray  # the domain without its public suffix: acme.co.uk -> acme
    domain_label_names: np.ndarray  # the label of each domain_label code
    phone: np.ndarray
    country: np.ndarray
    city: np.ndarray
    city_names: np.ndarray  # folded city spelling of each city code
    industry: np.ndarray  # picklist industry; -1 when missing or unmatched

    def __len__(self) -> int:
        return len(self.name_code)

    @cached_property
    def compact_counts(self) -> CharCounts:
        """Character counts of `compact`, to skip names too far apart (similarity_bound)."""
        return CharCounts.of(self.compact)

    @cached_property
    def name_counts(self) -> CharCounts:
        """... of `name`, for the word-order-insensitive comparison."""
        return CharCounts.of(self.name, words=True)


def codes(values: pd.Series) -> np.ndarray:
    """Integer code per distinct value; -1 for null."""
    return _encoded(values)[0]


def _encoded(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per value, value per code)."""
    encoded = pc.dictionary_encode(arrow(values.astype("str")))
    indices = np.asarray(pc.fill_null(encoded.indices, -1)).astype(np.int32)
    return indices, encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)


def ranks(values: pd.Series) -> np.ndarray:
    """Like `codes`, but numbered in the sort order of the values."""
    text = arrow(values.astype("str"))
    dense = np.asarray(pc.rank(text, sort_keys="ascending", tiebreaker="dense")).astype(np.int64)
    return np.where(np.asarray(pc.is_null(text)), -1, dense - 1)


def _text(values: pd.Series) -> np.ndarray:
    return values.fillna("").to_numpy(dtype=object)


def _distinct_per_name(name_code: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per account: distinct non-null `values` among the accounts of its name code (>= 1)."""
    known = (name_code >= 0) & (values >= 0)
    width = int(values.max(initial=0)) + 1
    pairs = np.sort(name_code[known].astype(np.int64) * width + values[known])
    distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    per_name = np.bincount(distinct // width, minlength=int(name_code.max(initial=0)) + 1)
    return np.where(name_code >= 0, np.maximum(per_name[np.maximum(name_code, 0)], 1), 1)


def combined_codes(*parts: np.ndarray) -> np.ndarray:
    """One code per distinct combination of codes; -1 where any part is missing."""
    combined = np.zeros(len(parts[0]), dtype=np.int64)
    for part in parts:
        combined = combined * (int(part.max(initial=0)) + 2) + part + 1
    missing = np.zeros(len(parts[0]), dtype=bool)
    for part in parts:
        missing |= part < 0
    return np.where(missing, -1, pd.factorize(combined)[0])


def companies_per_name(name_code: np.ndarray, *identities: np.ndarray) -> np.ndarray:
    """How many companies go by each account's name: the most distinct values of any
    identity (see `identities`; countries) seen under it."""
    counts = [_distinct_per_name(name_code, identity) for identity in identities]
    return np.maximum.reduce(counts)


def identities(domain: np.ndarray, phone: np.ndarray) -> np.ndarray:
    """One code per company as its domains and phones reveal it: a domain and a phone
    seen on one account belong together, so acme.com with two phone numbers is one
    identity, not three. -1 for accounts with neither."""
    domains = int(domain.max(initial=-1)) + 1
    both = (domain >= 0) & (phone >= 0)
    nodes = connected_components(
        domains + int(phone.max(initial=-1)) + 1, domain[both], domains + phone[both]
    )
    identity = np.full(len(domain), -1, dtype=np.int64)
    by_phone = phone >= 0
    identity[by_phone] = nodes[domains + phone[by_phone]]
    by_domain = domain >= 0
    identity[by_domain] = nodes[domain[by_domain]]
    return identity


def match_keys(accounts: pd.DataFrame) -> MatchKeys:
    def text(name: str) -> pd.Series:
        return accounts[name].astype("str").reset_index(drop=True)

    name = text("name_key")
    compact = column(pc.replace_substring(arrow(name), " ", ""), name.index)
    backwards = column(pc.utf8_reverse(arrow(compact)), name.index)
    digits = pc.utf8_trim(pc.replace_substring_regex(arrow(name), "[^0-9]+", " "), " ")
    numbers = column(digits, name.index)
    domain = text("domain")
    label = column(pc.replace_substring_regex(arrow(domain), r"\..*$", ""), name.index)
    city = lookup_key(text("city"))
    name_code, domain_code = codes(name), codes(domain)
    city_code, city_names = _encoded(city)
    label_code, label_names = _encoded(label)
    country_code = codes(text("country_code"))
    phone_code = codes(text("phone_e164"))
    identity = identities(domain_code, phone_code)
    industry = text("industry").where(text("industry_status").isin(["matched", "fuzzy"]))
    return MatchKeys(
        name=_text(name),
        compact=_text(compact),
        name_code=name_code,
        compact_rank=ranks(compact),
        reversed_rank=ranks(backwards),
        name_numbers=codes(numbers),
        name_companies=companies_per_name(name_code, identity, country_code),
        local_companies=companies_per_name(combined_codes(name_code, country_code), identity),
        place_companies=companies_per_name(combined_codes(name_code, city_code), identity),
        name_spread=companies_per_name(name_code, identity, country_code, city_code),
        domain=domain_code,
        domain_label=label_code,
        domain_label_names=label_names,
        phone=phone_code,
        country=country_code,
        industry=codes(industry),
        city=city_code,
        city_names=city_names,
    )
