"""Websites and e-mail addresses -> the registrable domain ("https://www.Acme.co.uk/about"
and "jane@sales.acme.co.uk" both give "acme.co.uk").

The public-suffix rules are the snapshot bundled inside tldextract, read with no network
fetch and no disk cache. Mailbox providers (gmail.com, ...) say nothing about the company,
so they give a null domain with a reason.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

import pandas as pd
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
_HOST = r"[^/?#:\s\\]+"
_VALID_HOST = r"[\p{L}\p{N}\-.]+"


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def hosts(text: pd.Series) -> pd.Series:
    """The host part of each website or e-mail text (lower case), null when there is none."""
    lowered = column(pc.utf8_lower(arrow(text)), text.index)
    lowered = replace(replace(lowered, _SCHEME, ""), _BEFORE_AT, "")
    host = column(pc.utf8_trim(arrow(prefix(lowered, _HOST)), "."), text.index)
    return host.where(fullmatch(host, _VALID_HOST))


def domain_of_host(host: str | None, free_mail: Collection[str] = ()) -> Parsed:
    """The registrable domain of one host, by the public-suffix rules."""
    if host is None:
        return Parsed(None, "no_host")
    domain = _extractor()(host).top_domain_under_public_suffix
    if not domain:
        return Parsed(None, "no_public_suffix")
    if domain in free_mail:
        return Parsed(None, "free_mail_domain")
    return Parsed(domain, None)


def registrable_domain(text: str | None, free_mail: Collection[str] = ()) -> Parsed:
    """One website or e-mail text -> its registrable domain, or null and why."""
    if text is None or not str(text).strip():
        return MISSING
    host = hosts(pd.Series([str(text)], dtype="str")).iloc[0]
    return domain_of_host(None if pd.isna(host) else host, free_mail)


def standardize_domain(raw: pd.Series, free_mail: Collection[str] = ()) -> pd.DataFrame:
    """Columns website (cleaned text) and domain; `domain_reason` says why a domain is null."""
    text = as_text(raw)
    host = hosts(text)
    domain, reason = map_unique(host, lambda h: domain_of_host(h, free_mail))
    reason[text.isna().to_numpy()] = MISSING.reason
    return pd.DataFrame(
        {
            "website": text,
            "domain": pd.Series(domain, index=raw.index, dtype="str"),
            "domain_reason": pd.Series(reason, index=raw.index, dtype="str"),
        },
        index=raw.index,
    )
