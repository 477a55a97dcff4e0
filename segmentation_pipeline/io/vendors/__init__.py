"""Firmographic providers: the offline file and vendor APIs over httpx.

`build_providers` turns the framework's `enrichment.providers` section plus secrets
into ready providers, each with `name`, `requests` and `async lookup(domains, budget)`;
`failing` names the domains a provider failed on when asked alone on an earlier run
(the vendor client asks them last and alone; the file provider ignores it).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from segmentation_pipeline.core.enrich.answers import Answer, Keep
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.circuit_breaker import CircuitBreaker
from segmentation_pipeline.core.enrich.retry import RetryPolicy
from segmentation_pipeline.framework.enrichment import EnrichmentSettings
from segmentation_pipeline.io.vendors.apollo import Apollo
from segmentation_pipeline.io.vendors.client import VendorClient
from segmentation_pipeline.io.vendors.file import FileProvider, FirmographicsFileError
from segmentation_pipeline.io.vendors.pdl import PeopleDataLabs


class Provider(Protocol):
    name: str
    requests: int

    async def lookup(
        self,
        domains: list[str],
        budget: CreditBudget,
        keep: Keep | None = None,
        failing: Collection[str] = (),
    ) -> list[Answer]: ...


class ProviderConfigError(ValueError):
    """A provider is switched on but cannot be used as configured."""


def _min_likelihood(settings: EnrichmentSettings, provider: str) -> int:
    """PDL's own cut-off at our lowest threshold for it: never pay for a rejected match."""
    groups = settings.field_groups.values()
    thresholds = [g.min_confidence for g in groups if provider in g.providers]
    lowest = min(thresholds, default=0.2)
    return max(1, min(10, math.ceil(lowest * 10 - 1e-9)))


def build_providers(
    settings: EnrichmentSettings,
    api_keys: Mapping[str, str | SecretStr | None] | None = None,
    *,
    base_urls: Mapping[str, str] | None = None,
    file_path: str | Path | None = None,
) -> dict[str, Provider]:
    """The enabled providers, by name; raises `ProviderConfigError` naming what is missing."""
    keys = api_keys or {}
    urls = base_urls or {}
    retry = RetryPolicy.from_settings(settings.retry)
    providers: dict[str, Provider] = {}
    for name, provider in settings.providers.items():
        if not provider.enabled:
            continue
        if provider.kind == "file":
            offline = FileProvider(name, provider, file_path, settings.industry_map)
            # Read only when a domain is looked up: a wrong path would pass unnoticed for
            # as long as the cache answers, then fail a night weeks later.
            if not offline.path.is_file():
                raise FirmographicsFileError(
                    f"{offline.path}: firmographics file not found (SEGMENTATION_FIRMOGRAPHICS_"
                    f"FILE, or enrichment.providers.{name}.path in the framework)"
                )
            providers[name] = offline
            continue
        key = keys.get(name)
        if key is None or (isinstance(key, str) and not key.strip()):
            raise ProviderConfigError(
                f"provider {name!r} is enabled but no API key was given for it"
            )
        secret = key if isinstance(key, SecretStr) else SecretStr(key)
        if provider.kind == "pdl":
            adapter = PeopleDataLabs(_min_likelihood(settings, name), settings.industry_map)
        else:
            adapter = Apollo(
                provider.confidence if provider.confidence is not None else 0.8,
                settings.industry_map,
            )
        adapter.name = name
        providers[name] = VendorClient(
            adapter,
            provider,
            secret,
            retry,
            CircuitBreaker.from_settings(settings.circuit_breaker),
            base_url=urls.get(name),
        )
    return providers
