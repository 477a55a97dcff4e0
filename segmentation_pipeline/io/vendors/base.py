"""The contract between the generic vendor client and one vendor's adapter.

An adapter knows one API: how to ask for a domain (alone or in a batch), how the vendor
authenticates, and how its answer maps onto the pipeline's firmographic fields. The
client (`client.py`) owns everything vendors have in common: pooling, pacing, retries,
the circuit breaker and the budget.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class MalformedResponse(ValueError):
    """The vendor answered 2xx with a body we cannot read; never carries the body itself."""


@dataclass(frozen=True)
class VendorRequest:
    method: str
    path: str
    params: Sequence[tuple[str, str]] = ()
    json: object | None = None


@dataclass(frozen=True)
class VendorRecord:
    """A match, already in the pipeline's vocabulary."""

    values: Mapping[str, object] = field(default_factory=dict)
    confidence: float = 1.0


# What an adapter makes of one domain in a response: a match, a miss (None), or the
# reason the vendor gave for not answering that one domain (str).
ItemResult = VendorRecord | str | None


class VendorAdapter(Protocol):
    name: str
    default_base_url: str
    max_batch_size: int

    def auth_headers(self, api_key: str) -> dict[str, str]: ...

    def single_request(self, domain: str) -> VendorRequest: ...

    def parse_single(self, status: int, body: bytes, domain: str) -> ItemResult: ...

    def batch_request(self, domains: Sequence[str]) -> VendorRequest: ...

    def parse_batch(
        self, status: int, body: bytes, domains: Sequence[str]
    ) -> Mapping[str, ItemResult]: ...


def read_json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedResponse(f"body is not JSON ({len(body)} bytes)") from None
