"""``platform: lifetime`` in the registry: the client from LIFETIME_URL / LIFETIME_TOKEN."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from odc_pipeline.platforms.base import Platform


def wrap(client: Any) -> Platform:
    from odc_pipeline.platforms.lifetime.platform import LifetimePlatform

    return LifetimePlatform(client)


def connect(env: Mapping[str, str], overrides: Mapping[str, Any], clock: Any) -> Any:
    """The LifeTime client (the caller closes it); ``overrides`` may give ``url`` / ``token``
    (the simulator's under --simulate). Invalid settings raise ConfigurationError naming the
    variable before any request."""
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings

    values = dict(env)
    if overrides.get("url"):
        values["LIFETIME_URL"] = str(overrides["url"])
    if overrides.get("token"):
        values["LIFETIME_TOKEN"] = str(overrides["token"])
    return LifetimeClient(LifetimeSettings.from_env(values), clock=clock)
