"""Settings for reaching one LifeTime (OutSystems 11), read from the environment.

``LIFETIME_URL`` is the LifeTime host (``lifetime.acme.com`` or any URL on it: paths are
dropped, the API paths are fixed), ``LIFETIME_TOKEN`` a service account's token (LifeTime shows
it once; generating a new one invalidates the old, notes §1). The same rules as ODC's settings:
``http://`` only for loopback hosts (the simulator), TLS verification never off
(``LIFETIME_CA_BUNDLE``, else ``REQUESTS_CA_BUNDLE``, must exist), and an invalid or missing
setting is a ConfigurationError naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from odc_pipeline.settings import normalize_portal_url, settings_error

PREFIX = "LIFETIME_"


class LifetimeSettings(BaseSettings):
    """Everything the LifeTime client needs; the token stays a ``SecretStr`` end to end."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", populate_by_name=True, frozen=True)

    url: str = Field(description="LifeTime host or https URL (LIFETIME_URL)")
    token: SecretStr = Field(description="service account token (LIFETIME_TOKEN)")
    ca_bundle: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LIFETIME_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "ca_bundle"),
        description="PEM bundle to verify TLS with; TLS verification is never switched off",
    )
    connect_timeout: float = Field(default=10.0, gt=0, description="seconds to open a connection")
    read_timeout: float = Field(default=60.0, gt=0, description="seconds to wait for a response")
    max_attempts: int = Field(default=8, ge=1, description="attempts per request incl. retries")
    backoff_initial: float = Field(default=1.0, gt=0, description="first backoff ceiling (s)")
    backoff_max: float = Field(default=60.0, gt=0, description="largest single backoff (s)")
    rate_limit_backoff_initial: float = Field(
        default=5.0, ge=0, description="minimum wait after a 429 without Retry-After (s)"
    )

    @field_validator("url")
    @classmethod
    def _normalize_url(cls, value: str) -> str:
        return normalize_portal_url(value, what="the LifeTime URL")

    @field_validator("token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("the service account token is empty")
        if any(ch.isspace() or not ch.isprintable() for ch in token):
            # it goes into a header; requests would reject it with an error quoting the value
            raise ValueError("the service account token contains whitespace or control characters")
        return SecretStr(token)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_must_exist(cls, value: str | None) -> str | None:
        """Empty means the default store; a path must exist (``false`` never means "off")."""
        if not value:
            return None
        if not os.path.exists(value):
            raise ValueError(
                f"CA bundle {value!r} does not exist (set by LIFETIME_CA_BUNDLE or REQUESTS_CA_BUNDLE); "
                "TLS verification cannot be switched off"
            )
        return value

    @property
    def verify(self) -> str | bool:
        """What ``requests`` takes as ``verify``: the CA bundle path, else the default store."""
        return self.ca_bundle or True

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> LifetimeSettings:
        """Settings from ``env`` (default ``os.environ``), as a ConfigurationError when invalid."""
        try:
            if env is None:
                return cls(**overrides)
            values: dict[str, Any] = {
                name: env[PREFIX + name.upper()] for name in cls.model_fields if PREFIX + name.upper() in env
            }
            if "ca_bundle" not in values and env.get("REQUESTS_CA_BUNDLE"):
                values["ca_bundle"] = env["REQUESTS_CA_BUNDLE"]
            values.update(overrides)
            return _ExplicitSettings(**values)
        except ValidationError as exc:
            raise settings_error(exc, platform="LifeTime", variable=_variable) from None


def _variable(loc: tuple[int | str, ...]) -> str:
    """``token`` → ``LIFETIME_TOKEN``; an alias it was read from is kept as is."""
    if not loc:
        return "settings"
    name = str(loc[0]).upper()
    return name if name.startswith(PREFIX) or name == "REQUESTS_CA_BUNDLE" else PREFIX + name


class _ExplicitSettings(LifetimeSettings):
    """Settings that read only their keyword arguments (no os.environ, no dotenv)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        return (init_settings,)
