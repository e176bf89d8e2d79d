"""Settings for reaching one LifeTime (OutSystems 11), read from the environment.

``LIFETIME_URL`` is the LifeTime host (``lifetime.acme.com`` or any URL on it: paths are
dropped, the API paths are fixed), ``LIFETIME_TOKEN`` a service account's token (LifeTime shows
it once; generating a new one invalidates the old, notes §1). The same rules as ODC's settings:
``http://`` only for loopback hosts (the simulator), TLS verification never off
(``LIFETIME_CA_BUNDLE``, else ``REQUESTS_CA_BUNDLE``, must exist), and an invalid or missing
setting is a ConfigurationError naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from odc_pipeline.settings import (
    TransportFields,
    ca_bundle_field,
    explicit_values,
    normalize_portal_url,
    settings_error,
    variable_name,
)

PREFIX = "LIFETIME_"


class LifetimeSettings(TransportFields):
    """Everything the LifeTime client needs; the token stays a ``SecretStr`` end to end."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", populate_by_name=True, frozen=True)

    url: str = Field(description="LifeTime host or https URL (LIFETIME_URL)")
    token: SecretStr = Field(description="service account token (LIFETIME_TOKEN)")
    ca_bundle: str | None = ca_bundle_field(PREFIX)

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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> LifetimeSettings:
        """Settings from ``env`` (default ``os.environ``), as a ConfigurationError when invalid."""
        try:
            if env is None:
                return cls(**overrides)
            return _ExplicitSettings(**explicit_values(cls, PREFIX, env, overrides))
        except ValidationError as exc:
            raise settings_error(
                exc, platform="LifeTime", variable=partial(variable_name, prefix=PREFIX)
            ) from None


class _ExplicitSettings(LifetimeSettings):
    """Settings that read only their keyword arguments (no os.environ, no dotenv)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        return (init_settings,)
