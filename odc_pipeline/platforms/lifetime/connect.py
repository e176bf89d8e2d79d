"""``platform: lifetime`` in the registry: the client from LIFETIME_URL / LIFETIME_TOKEN."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from odc_pipeline.platforms import register
from odc_pipeline.platforms.base import Platform


def _wrap(client: Any) -> Platform:
    from odc_pipeline.platforms.lifetime.platform import LifetimePlatform

    return LifetimePlatform(client)


@contextmanager
def connect(env: Mapping[str, str], overrides: Mapping[str, Any], clock: Any) -> Iterator[Any]:
    """The LifeTime client; ``overrides`` may give ``url`` / ``token`` (e.g. the simulator's)."""
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings

    values = dict(env)
    if overrides.get("url"):
        values["LIFETIME_URL"] = str(overrides["url"])
    if overrides.get("token"):
        values["LIFETIME_TOKEN"] = str(overrides["token"])
    settings = LifetimeSettings.from_env(values)
    with LifetimeClient(settings, clock=clock) as client:
        yield client


register("lifetime", wrap=_wrap, connect=connect)
