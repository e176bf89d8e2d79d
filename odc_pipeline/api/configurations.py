"""Asset Configurations: read deployed/per-revision configurations and patch them.

Patched values are *pending* until the next Deploy or ApplyConfigs on that stage, and pending
values are global to (stage, asset) — callers should patch right before deploying.
"""

from __future__ import annotations

from odc_pipeline.api.endpoints import ASSET_CONFIGURATIONS
from odc_pipeline.api.http import HttpClient
from odc_pipeline.api.models.configurations import (
    AssetConfig,
    AssetConfigPatch,
    EnvironmentConfig,
    EnvironmentConfigPatch,
)


def _kind(agent: bool) -> tuple[str, str]:
    return ("agents", "agentKey") if agent else ("applications", "applicationKey")


class ConfigurationsApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def get_deployed(self, env_key: str, asset_key: str, *, agent: bool = False) -> AssetConfig:
        kind, param = _kind(agent)
        body = self._http.request(
            "GET",
            ASSET_CONFIGURATIONS,
            f"/environments/{{environmentKey}}/{kind}/{{{param}}}/revisions/deployed/configurations",
            path_params={"environmentKey": env_key, param: asset_key},
        )
        return AssetConfig.model_validate(body or {})

    def get_for_revision(
        self, env_key: str, asset_key: str, revision: int, *, agent: bool = False
    ) -> AssetConfig:
        kind, param = _kind(agent)
        body = self._http.request(
            "GET",
            ASSET_CONFIGURATIONS,
            f"/environments/{{environmentKey}}/{kind}/{{{param}}}/revisions/{{baselineRevision}}/configurations",
            path_params={"environmentKey": env_key, param: asset_key, "baselineRevision": revision},
        )
        return AssetConfig.model_validate(body or {})

    def patch(self, env_key: str, asset_key: str, patch: AssetConfigPatch, *, agent: bool = False) -> None:
        """PATCH (204). Agents have no system configurations; sending them is refused here."""
        if agent and patch.system_configurations is not None:
            raise ValueError("agent configurations have no system_configurations (AgentConfigPatch)")
        kind, param = _kind(agent)
        self._http.request(
            "PATCH",
            ASSET_CONFIGURATIONS,
            f"/environments/{{environmentKey}}/{kind}/{{{param}}}/configurations",
            path_params={"environmentKey": env_key, param: asset_key},
            json=patch.to_json(),
        )

    def get_default_system(self, env_key: str) -> EnvironmentConfig:
        body = self._http.request(
            "GET",
            ASSET_CONFIGURATIONS,
            "/environments/{environmentKey}/default-system-configurations",
            path_params={"environmentKey": env_key},
        )
        return EnvironmentConfig.model_validate(body or {})

    def patch_default_system(self, env_key: str, patch: EnvironmentConfigPatch) -> None:
        self._http.request(
            "PATCH",
            ASSET_CONFIGURATIONS,
            "/environments/{environmentKey}/default-system-configurations",
            path_params={"environmentKey": env_key},
            json=patch.to_json(),
        )
