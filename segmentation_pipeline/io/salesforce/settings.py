"""How to reach and authenticate to a Salesforce org, and how politely to use it."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

AuthMode = Literal["password", "jwt", "client_credentials", "session"]

_REQUIRED: dict[str, tuple[str, ...]] = {
    "password": ("username", "password", "security_token"),
    "jwt": ("username", "consumer_key"),
    "client_credentials": ("consumer_key", "consumer_secret"),
    "session": ("session_id", "instance_url"),
}


class SalesforceSettings(BaseModel):
    """Connection and behaviour of the Salesforce client.

    Auth modes: `password` (username + password + security token, SOAP login; with
    consumer_key/secret set, the OAuth username-password flow instead), `jwt` (OAuth JWT
    bearer: connected app consumer key + private key), `client_credentials` (connected app
    key + secret; needs a My Domain in `domain`, e.g. "acme.my"), `session` (an existing
    session id + instance URL; cannot re-authenticate when it expires).

    `domain` is "login" (production), "test" (sandbox) or a My Domain prefix; the login
    host is `https://{domain}.salesforce.com`. `proxy_url` / `ca_bundle` route the client
    through an HTTPS proxy / trust a private CA; when either is set, proxy and CA
    variables of the environment are ignored so the explicit setting wins.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth_mode: AuthMode = "password"
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    consumer_key: str | None = None
    consumer_secret: SecretStr | None = None
    private_key: SecretStr | None = None
    private_key_file: str | None = None
    session_id: SecretStr | None = None
    instance_url: str | None = None
    domain: str = "login"
    api_version: str = "59.0"
    proxy_url: str | None = None
    ca_bundle: str | None = None

    timeout_seconds: float = Field(30.0, gt=0)
    max_retries: int = Field(4, ge=0)
    backoff_seconds: float = Field(1.0, ge=0)
    backoff_max_seconds: float = Field(30.0, ge=0)
    quota_stop_share: float = Field(0.8, gt=0, le=1)
    query_batch_size: int = Field(2000, ge=200, le=2000)
    bulk_query_page_size: int = Field(50000, ge=1)
    bulk_poll_seconds: float = Field(2.0, ge=0)
    bulk_timeout_seconds: float = Field(3600.0, gt=0)

    @model_validator(mode="after")
    def _complete_for_mode(self) -> SalesforceSettings:
        missing = [name for name in _REQUIRED[self.auth_mode] if not getattr(self, name)]
        if self.auth_mode == "jwt" and not (self.private_key or self.private_key_file):
            missing.append("private_key or private_key_file")
        if missing:
            raise ValueError(f"auth_mode {self.auth_mode!r} needs: {', '.join(missing)}")
        if self.auth_mode == "client_credentials" and self.domain in ("login", "test"):
            raise ValueError(
                "client_credentials needs the org's My Domain as domain (e.g. 'acme.my'), "
                "not 'login' or 'test'"
            )
        if not re.fullmatch(r"\d{2,3}\.0", self.api_version):
            raise ValueError(f"api_version must look like '59.0', got {self.api_version!r}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", self.domain):
            raise ValueError(f"domain must be 'login', 'test' or a My Domain, got {self.domain!r}")
        return self

    def secret_values(self) -> list[str]:
        """Every secret, so error texts can be scrubbed of them."""
        secrets = [self.password, self.security_token, self.consumer_secret, self.private_key]
        secrets.append(self.session_id)
        return [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]

    def login_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `simple_salesforce.Salesforce` for this auth mode."""
        common: dict[str, Any] = {"version": self.api_version}
        if self.auth_mode == "session":
            return common | {
                "session_id": self.session_id.get_secret_value(),  # type: ignore[union-attr]
                "instance_url": self.instance_url,
            }
        common["domain"] = self.domain
        if self.auth_mode == "password":
            if self.consumer_key and self.consumer_secret:
                return common | {
                    "username": self.username,
                    "password": self.password.get_secret_value()  # type: ignore[union-attr]
                    + self.security_token.get_secret_value(),  # type: ignore[union-attr]
                    "consumer_key": self.consumer_key,
                    "consumer_secret": self.consumer_secret.get_secret_value(),
                }
            return common | {
                "username": self.username,
                "password": self.password.get_secret_value(),  # type: ignore[union-attr]
                "security_token": self.security_token.get_secret_value(),  # type: ignore[union-attr]
            }
        if self.auth_mode == "jwt":
            key = {"privatekey_file": self.private_key_file}
            if self.private_key:
                key = {"privatekey": self.private_key.get_secret_value()}
            return common | {"username": self.username, "consumer_key": self.consumer_key} | key
        return common | {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret.get_secret_value(),  # type: ignore[union-attr]
        }
