"""Platforms the engine can drive, each one package behind :class:`base.Platform`.

This module is the one place that maps the pipeline file's ``platform:`` to an
implementation: how to open that platform's API client from the environment
(:func:`open_client`) and how to put the seam around a client (:func:`platform_for`). The CLI
only wires through it, and a third platform is one more :func:`register` call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from odc_pipeline.errors import UsageError
from odc_pipeline.platforms.base import Platform

DEFAULT_PLATFORM = "odc"

Connect = Callable[[Mapping[str, str], Mapping[str, Any], Any], Any]
"""``connect(env, overrides, clock)``: the platform's API client, which the caller closes
(``close()``); settings are read from ``env``, ``overrides`` winning, and invalid settings
raise ConfigurationError before any request."""


@dataclass(frozen=True)
class PlatformEntry:
    """How to reach one platform: open its client, and wrap a client in the seam."""

    connect: Connect
    wrap: Callable[[Any], Platform]


def _odc_wrap(client: Any) -> Platform:
    from odc_pipeline.platforms.odc import OdcPlatform

    return OdcPlatform(client)


def _odc_connect(env: Mapping[str, str], overrides: Mapping[str, Any], clock: Any) -> Any:
    from odc_pipeline.api import OdcClient
    from odc_pipeline.settings import Settings

    return OdcClient(Settings.from_env(env, **dict(overrides)), clock=clock)


def _lifetime_wrap(client: Any) -> Platform:
    from odc_pipeline.platforms.lifetime.connect import wrap

    return wrap(client)


def _lifetime_connect(env: Mapping[str, str], overrides: Mapping[str, Any], clock: Any) -> Any:
    from odc_pipeline.platforms.lifetime.connect import connect

    return connect(env, overrides, clock)


FACTORIES: dict[str, PlatformEntry] = {
    "odc": PlatformEntry(connect=_odc_connect, wrap=_odc_wrap),
    "lifetime": PlatformEntry(connect=_lifetime_connect, wrap=_lifetime_wrap),
}
"""Platform name → how to reach it. LifeTime registers here."""


def register(name: str, *, wrap: Callable[[Any], Platform], connect: Connect) -> None:
    """Make ``platform: <name>`` available."""
    FACTORIES[name] = PlatformEntry(connect=connect, wrap=wrap)


def _entry(name: str | None) -> PlatformEntry:
    wanted = name or DEFAULT_PLATFORM
    entry = FACTORIES.get(wanted)
    if entry is None:
        raise UsageError(f"unknown platform {wanted!r}; known: {', '.join(sorted(FACTORIES))}")
    return entry


def platform_for(name: str | None, client: Any) -> Platform:
    """The implementation for ``platform:`` (default ``odc``) around an API client."""
    return _entry(name).wrap(client)


def open_client(name: str | None, *, env: Mapping[str, str], overrides: Mapping[str, Any], clock: Any) -> Any:
    """The API client of ``platform:`` (default ``odc``); the caller closes it (``close()``)."""
    return _entry(name).connect(env, overrides, clock)


__all__ = [
    "DEFAULT_PLATFORM",
    "FACTORIES",
    "Platform",
    "PlatformEntry",
    "open_client",
    "platform_for",
    "register",
]
