"""ODC configuration: settings, timers and integrations of an asset in a stage.

Values PATCHed are *pending*: the next Deploy or ApplyConfigs of (stage, asset) applies them,
whoever starts it. That is why ``Capabilities.configuration_before_deploy`` is true on ODC
and the engine PATCHes right before the asset's own deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from odc_pipeline.api.errors import NotFoundError
from odc_pipeline.platforms.base import AssetRef, EnvironmentRef


@dataclass(frozen=True)
class OdcConfiguration:
    """``deployed``: the running revision's AssetConfig (None: none runs, or none readable);
    ``upcoming``: the AssetConfig of the revision to deploy when it differs (None otherwise)."""

    deployed: Any = None
    upcoming: Any = None


def is_agent(asset: AssetRef) -> bool:
    return asset.asset_type == "Agent"


def read(
    client: Any,
    environment: EnvironmentRef,
    asset: AssetRef,
    *,
    revision: int | None,
    running_revision: int | None,
) -> OdcConfiguration:
    configs = client.configurations
    agent = is_agent(asset)
    deployed = None
    if running_revision is not None:
        try:
            deployed = configs.get_deployed(environment.key, asset.key, agent=agent)
        except NotFoundError:
            deployed = None
    upcoming = None
    if revision is not None and (deployed is None or revision != running_revision):
        upcoming = configs.get_for_revision(environment.key, asset.key, revision, agent=agent)
    return OdcConfiguration(deployed=deployed, upcoming=upcoming)


def patch_model(body: Mapping[str, Any]) -> Any:
    """Build the client's request model when it has one; a plain mapping otherwise."""
    try:
        from odc_pipeline.api import models

        model = getattr(models, "AssetConfigPatch", None) or getattr(models, "ApplicationConfigPatch", None)
    except ImportError:  # pragma: no cover - the client always ships its models
        model = None
    return model.model_validate(dict(body)) if model is not None else dict(body)


def write(client: Any, environment: EnvironmentRef, asset: AssetRef, body: Mapping[str, Any]) -> None:
    """PATCH only the changed values (they stay pending until a Deploy/ApplyConfigs)."""
    client.configurations.patch(environment.key, asset.key, patch_model(body), agent=is_agent(asset))


def probe_edit(client: Any, environment: EnvironmentRef, asset: AssetRef) -> None:
    """``Configuration management > Edit configurations`` in the target, before any change.

    An empty PATCH (``{}``: no setting, timer or integration) needs that permission and names
    nothing to change. UNDOC whether ODC records anything for it; README names the decision.
    Any answer but 403 means the permission is there (an ASP.NET server authorizes before it
    validates the body).
    """
    from odc_pipeline.api.errors import ApiError, PermissionDeniedError
    from odc_pipeline.api.models import AssetConfigPatch

    try:
        client.configurations.patch(environment.key, asset.key, AssetConfigPatch(), agent=is_agent(asset))
    except PermissionDeniedError:
        raise
    except ApiError as exc:  # 400 for an empty patch still says the permission was granted
        if exc.status is None or exc.status >= 500:
            raise
