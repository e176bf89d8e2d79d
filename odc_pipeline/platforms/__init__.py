"""Platforms the engine can drive, each one package behind :class:`base.Platform`.

``platform_for(name, client)`` is the one place that maps the pipeline file's ``platform:``
to an implementation, so the CLI only wires and a third platform is one more entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from odc_pipeline.errors import UsageError
from odc_pipeline.platforms.base import Platform

DEFAULT_PLATFORM = "odc"


def _odc(client: Any) -> Platform:
    from odc_pipeline.platforms.odc import OdcPlatform

    return OdcPlatform(client)


FACTORIES: dict[str, Callable[[Any], Platform]] = {"odc": _odc}
"""Platform name → factory taking that platform's API client. LifeTime registers here."""


def register(name: str, factory: Callable[[Any], Platform]) -> None:
    """Make ``platform: <name>`` available (the LifeTime package calls this on import)."""
    FACTORIES[name] = factory


def platform_for(name: str | None, client: Any) -> Platform:
    """The implementation for ``platform:`` (default ``odc``) around an API client."""
    wanted = name or DEFAULT_PLATFORM
    factory = FACTORIES.get(wanted)
    if factory is None:
        raise UsageError(f"unknown platform {wanted!r}; known: {', '.join(sorted(FACTORIES))}")
    return factory(client)


__all__ = ["DEFAULT_PLATFORM", "FACTORIES", "Platform", "platform_for", "register"]
