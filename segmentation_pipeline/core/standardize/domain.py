"""Websites and e-mail addresses -> the registrable domain ("https://www.Acme.co.uk/about"
and "jane@sales.acme.co.uk" both give "acme.co.uk").

The public-suffix rules are the snapshot bundled inside tldextract, read with no network
fetch and no disk cache, private section included: a shop on myshopify.com or a site on
github.io is a domain of its own, not the hosting company's one domain that every customer
of the host would share (and be matched on). Profile pages (linkedin.com/company/acme) are
in the generic-domain table instead.

`domain_of_host` asks tldextract about one host; for a column, `registrable_domains` walks
the same rules for all plain ASCII hosts at once (set lookups of each host's last 1, 2,
3... labels, as tldextract walks its trie) and leaves the rest (IDN, punycode) to
tldextract. A property test holds the two to the same answers.
Generic domains (mailbox providers such as gmail.com, reserved ones such as example.com)
say nothing about the company, so they give a null domain with a reason.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import tldextract

from segmentation_pipeline.core.standardize.text import (
    MISSING,
    Parsed,
    arrow,
    as_text,
    column,
    fullmatch,
    map_unique,
    prefix,
    replace,
)

_SCHEME = r"^(?:[a-z][a-z0-9+.\-]*://|mailto:)"
_BEFORE_AT = r"^[^/]*@"
_HOST = r"[^/?#:\\]+"
_VALID_HOST = r"[\p{L}\p{N}\-.]+"


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(
        suffix_list_urls=(),
        cache_dir=None,
        fallback_to_snapshot=True,
        include_psl_private_domains=True,
    )


@dataclass(frozen=True)
class _SuffixRules:
    """tldextract's suffix list (ICANN and private) as sets of label sequences ("co.uk")."""

    nodes: pa.Array  # every right-hand part of a rule: the trie's nodes
    ends: pa.Array  # the rules themselves
    wildcard_bases: pa.Array  # "ck" for "*.ck"
    exceptions: pa.Array  # "www.ck" for "!www.ck"
    depth: int  # labels in the longest rule


@lru_cache(maxsize=1)
def _suffix_rules() -> _SuffixRules:
    rules = _extractor()._get_tld_extractor().tlds_incl_private
    nodes, ends, wild, exceptions = set(), set(), set(), set()
    for rule in rules:
        if rule.startswith("!"):
            exceptions.add(rule[1:])
            rule = rule[1:].split(".", 1)[1]
        elif rule.startswith("*."):
            wild.add(rule[2:])
            rule = rule[2:]
        else:
            ends.add(rule)
        labels = rule.split(".")
        nodes.update(".".join(labels[i:]) for i in range(len(labels)))
    depth = max(r.count(".") + 1 for r in nodes | exceptions) + 1
    return _SuffixRules(*(pa.array(sorted(x)) for x in (nodes, ends, wild, exceptions)), depth)


def _last_labels(host: pa.Array, count: int) -> pa.Array:
    pattern = rf"(?:^|\.)(?P<tail>(?:[^.]+\.){{{count - 1}}}[^.]+)$"
    return pc.struct_field(pc.extract_regex(host, pattern), [0])


def _suffix_lengths(host: pa.Array) -> np.ndarray:
    """Labels in each host's public suffix (0: none), walking the rules right to left."""
    rules = _suffix_rules()
    labels = np.asarray(pc.count_substring(host, ".")) + 1
    suffix = np.full(len(host), -1)
    deepest_end = np.zeros(len(host), dtype=np.int64)
    under_wildcard = np.zeros(len(host), dtype=bool)
    for count in range(1, rules.depth + 2):
        walking = np.flatnonzero(suffix < 0)
        finished = walking[labels[walking] < count]
        suffix[finished] = deepest_end[finished]
        walking = walking[labels[walking] >= count]
        if not len(walking):
            break
        tail = _last_labels(host.take(walking), count)
        known = np.asarray(pc.fill_null(pc.is_in(tail, rules.nodes), False), dtype=bool)
        stopped = walking[~known]
        excepted = np.asarray(pc.fill_null(pc.is_in(tail, rules.exceptions), False), dtype=bool)
        suffix[stopped] = np.where(
            under_wildcard[stopped],
            np.where(excepted[~known], count - 1, count),
            deepest_end[stopped],
        )
        going = walking[known]
        kept = tail.filter(pa.array(known))
        end = np.asarray(pc.fill_null(pc.is_in(kept, rules.ends), False), dtype=bool)
        deepest_end[going[end]] = count
        under_wildcard[going] = np.asarray(
            pc.fill_null(pc.is_in(kept, rules.wildcard_bases), False), dtype=bool
        )
    undecided = suffix < 0
    suffix[undecided] = deepest_end[undecided]
    return suffix


def registrable_domains(hosts: pd.Series) -> pd.Series:
    """`domain_of_host` (without the generic-domain rule) for a column of hosts; null where none."""
    values = arrow(hosts)
    plain = np.asarray(pc.fill_null(pc.string_is_ascii(values), False), dtype=bool)
    plain &= ~np.asarray(pc.fill_null(pc.match_substring_regex(values, r"\.\.|^xn--|\.xn--"),
                                      True), dtype=bool)  # fmt: skip
    plain_rows = np.flatnonzero(plain)
    plain_hosts = values.take(plain_rows)
    suffix = _suffix_lengths(plain_hosts)
    labels = np.asarray(pc.count_substring(plain_hosts, ".")) + 1
    domain = np.full(len(values), None, dtype=object)
    for count in np.unique(suffix[(suffix > 0) & (suffix < labels)]):
        rows = np.flatnonzero((suffix == count) & (suffix < labels))
        tails = _last_labels(plain_hosts.take(rows), int(count) + 1)
        domain[plain_rows[rows]] = tails.to_numpy(zero_copy_only=False)
    others = hosts.where(~plain & hosts.notna().to_numpy())
    found, _ = map_unique(others, lambda h: domain_of_host(h) if h else Parsed(None, None))
    domain[~plain] = found[~plain]
    return pd.Series(domain, index=hosts.index, dtype="str")


def hosts(text: pd.Series) -> pd.Series:
    """The host part of each website or e-mail text (lower case), null when there is none."""
    lowered = column(pc.utf8_lower(arrow(text)), text.index)
    lowered = replace(replace(lowered, _SCHEME, ""), _BEFORE_AT, "")
    host = column(pc.utf8_trim(arrow(prefix(lowered, _HOST)), "."), text.index)
    return host.where(fullmatch(host, _VALID_HOST))


def domain_of_host(host: str | None, generic: Collection[str] = ()) -> Parsed:
    """The registrable domain of one host, by the public-suffix rules."""
    if host is None:
        return Parsed(None, "no_host")
    domain = _extractor()(host).top_domain_under_public_suffix
    if not domain:
        return Parsed(None, "no_public_suffix")
    if domain in generic:
        return Parsed(None, "generic_domain")
    return Parsed(domain, None)


def registrable_domain(text: str | None, generic: Collection[str] = ()) -> Parsed:
    """One website or e-mail text -> its registrable domain, or null and why."""
    if text is None or not str(text).strip():
        return MISSING
    host = hosts(pd.Series([str(text)], dtype="str")).iloc[0]
    return domain_of_host(None if pd.isna(host) else host, generic)


def standardize_domain(raw: pd.Series, generic: Collection[str] = ()) -> pd.DataFrame:
    """Columns website (cleaned text) and domain; `domain_reason` says why a domain is null."""
    text = as_text(raw)
    host = hosts(text)
    domain = registrable_domains(host)
    says_nothing = domain.isin(list(generic)).to_numpy()
    reason = np.select(
        [text.isna().to_numpy(), host.isna().to_numpy(), domain.isna().to_numpy(), says_nothing],
        np.array([MISSING.reason, "no_host", "no_public_suffix", "generic_domain"], object),
        default=None,
    )
    domain = domain.mask(says_nothing)
    return pd.DataFrame(
        {
            "website": text,
            "domain": pd.Series(domain, index=raw.index, dtype="str"),
            "domain_reason": pd.Series(reason, index=raw.index, dtype="str"),
        },
        index=raw.index,
    )
