"""Settings for reaching one ODC organization, read from the environment by pydantic-settings.

The pipeline runs unattended in CI, so every knob comes from environment variables
(``ODC_PORTAL_URL``, ``ODC_CLIENT_ID``, ``ODC_CLIENT_SECRET``, ...). Validation happens here,
once, so that the HTTP layer can trust what it gets: the portal URL is normalized to
``https://host[:port]`` and plain ``http`` is refused except for loopback hosts (the embedded
simulator), because a token sent in clear text over a network is a leaked token.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from odc_pipeline.errors import ConfigurationError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_portal_url(value: str, *, what: str = "the portal URL") -> str:
    """``acme.outsystems.dev`` / ``https://acme.outsystems.dev/`` → ``https://acme.outsystems.dev``.

    Paths are dropped on purpose: people paste the Portal URL of whatever page they were on,
    but every API lives under ``/api/...`` and ``/identity/...`` of the host.
    """
    raw = value.strip()
    if not raw:
        raise ValueError(f"{what} is empty")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not host:
        raise ValueError(f"{value!r} has no host name")
    if parts.username or parts.password:
        raise ValueError(f"{what} must not contain credentials")
    if scheme == "http":
        if not is_loopback_host(host):
            raise ValueError(
                f"http:// is only accepted for loopback hosts (the simulator); use https://{host}"
            )
    elif scheme != "https":
        raise ValueError(f"unsupported URL scheme {parts.scheme!r}; use https://")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return f"{scheme}://{netloc}"


def ca_bundle_field(prefix: str) -> Any:
    """The ``ca_bundle`` field, read from ``<prefix>CA_BUNDLE`` else ``REQUESTS_CA_BUNDLE``."""
    return Field(
        default=None,
        validation_alias=AliasChoices(f"{prefix}CA_BUNDLE", "REQUESTS_CA_BUNDLE", "ca_bundle"),
        description="PEM bundle to verify TLS with; TLS verification is never switched off",
    )


class TransportFields(BaseSettings):
    """What the retrying HTTP core reads, with the same defaults and rules on both platforms.

    Subclasses add their URL and credentials and declare ``ca_bundle`` with
    :func:`ca_bundle_field` (its variable carries the platform's prefix).
    """

    ca_bundle: str | None = None
    connect_timeout: float = Field(default=10.0, gt=0, description="seconds to open a connection")
    read_timeout: float = Field(default=60.0, gt=0, description="seconds to wait for a response")
    max_attempts: int = Field(default=8, ge=1, description="attempts per request incl. retries")
    backoff_initial: float = Field(default=1.0, gt=0, description="first backoff ceiling (s)")
    backoff_max: float = Field(default=60.0, gt=0, description="largest single backoff (s)")
    rate_limit_backoff_initial: float = Field(
        default=5.0, ge=0, description="minimum wait after a 429 without Retry-After (s)"
    )

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_must_exist(cls, value: str | None) -> str | None:
        """Empty means the default store; a path must exist.

        Checked here because ``requests`` would otherwise fail on the first call with a bare
        ``OSError``, and because a value like ``false`` must never read as "verification off".
        """
        if not value:
            return None
        if not os.path.exists(value):
            prefix = cls.model_config.get("env_prefix", "")
            raise ValueError(
                f"CA bundle {value!r} does not exist (set by {prefix}CA_BUNDLE or REQUESTS_CA_BUNDLE); "
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


class Settings(TransportFields):
    """Everything the API client needs; the secret stays a ``SecretStr`` end to end."""

    model_config = SettingsConfigDict(env_prefix="ODC_", extra="ignore", populate_by_name=True, frozen=True)

    portal_url: str = Field(description="ODC portal host or https URL (ODC_PORTAL_URL)")
    client_id: str = Field(min_length=1, description="API client id (ODC_CLIENT_ID)")
    client_secret: SecretStr = Field(description="API client secret (ODC_CLIENT_SECRET)")
    ca_bundle: str | None = ca_bundle_field("ODC_")

    @field_validator("portal_url")
    @classmethod
    def _normalize_portal_url(cls, value: str) -> str:
        return normalize_portal_url(value)

    @property
    def organization(self) -> str:
        """The rate-limit scope: limits are per organization, i.e. per portal host."""
        return urlsplit(self.portal_url).netloc

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``env`` (default ``os.environ``), as a ConfigurationError when invalid.

        The error lists field names and reasons only; pydantic's input echo is dropped so a
        misplaced secret can never be printed.
        """
        try:
            if env is None:
                return cls(**overrides)
            return _ExplicitSettings(**explicit_values(cls, "ODC_", env, overrides))
        except ValidationError as exc:
            raise settings_error(
                exc, platform="ODC", variable=partial(variable_name, prefix="ODC_")
            ) from None


def settings_error(
    exc: ValidationError, *, platform: str, variable: Callable[[tuple[int | str, ...]], str]
) -> ConfigurationError:
    """A ConfigurationError naming each variable to fix (shared by the ODC and LifeTime settings).

    It lists variable names and reasons only; pydantic's input echo is dropped so a misplaced
    secret can never be printed.
    """
    errors = exc.errors(include_input=False, include_url=False)
    missing = [variable(err["loc"]) for err in errors if err.get("type") == "missing"]
    problems = [f"{variable(err['loc'])}: {err['msg']}" for err in errors if err.get("type") != "missing"]
    if missing:
        # pydantic's "Field required" says nothing to someone reading a CI log
        where = "environment variables, or the step's inputs in CI"
        problems.insert(0, f"{', '.join(missing)} not set ({where})")
    return ConfigurationError(f"invalid {platform} settings: {'; '.join(problems)}")


def variable_name(loc: tuple[int | str, ...], *, prefix: str) -> str:
    """The environment variable behind a pydantic error location (``ca_bundle`` → ``ODC_CA_BUNDLE``).

    Aliased fields report the alias they were read from (``REQUESTS_CA_BUNDLE``), others the
    field name; either way the user sees the variable to fix.
    """
    if not loc:
        return "settings"
    name = str(loc[0]).upper()
    return name if name.startswith(prefix) or name == "REQUESTS_CA_BUNDLE" else prefix + name


def explicit_values(
    cls: type[BaseSettings], prefix: str, env: Mapping[str, str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Field values from an explicit mapping only (tests, CI input mapping), ignoring os.environ."""
    values: dict[str, Any] = {}
    for name in cls.model_fields:
        key = prefix + name.upper()
        if key in env:
            values[name] = env[key]
    if "ca_bundle" not in values and env.get("REQUESTS_CA_BUNDLE"):
        values["ca_bundle"] = env["REQUESTS_CA_BUNDLE"]
    values.update(overrides)
    return values


class _ExplicitSettings(Settings):
    """Settings that read only their keyword arguments (no os.environ, no dotenv)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        return (init_settings,)
