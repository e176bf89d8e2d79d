"""Environments (in pipeline order) and their deployment zones."""

from __future__ import annotations

from odc_pipeline.lifetime.endpoints import LIFETIME_V2
from odc_pipeline.lifetime.http import LifetimeHttp, expect_json_list, expect_json_object
from odc_pipeline.lifetime.models import DeploymentZone, Environment


class EnvironmentsApi:
    def __init__(self, http: LifetimeHttp) -> None:
        self._http = http

    def list(self) -> list[Environment]:
        """Every environment the service account sees, sorted by ``Order`` (204 = none)."""
        answer = self._http.request("GET", LIFETIME_V2, "/environments/")
        items = [Environment.model_validate(i) for i in expect_json_list(answer, "GET /environments/")]
        return sorted(items, key=lambda env: (env.order is None, env.order or 0))

    def get(self, key: str) -> Environment:
        answer = self._http.request(
            "GET", LIFETIME_V2, "/environments/{EnvironmentKey}/", path_params={"EnvironmentKey": key}
        )
        return Environment.model_validate(expect_json_object(answer, "GET /environments/{EnvironmentKey}/"))

    def find_by_name(self, name: str) -> Environment | None:
        """The environment called ``name`` (ignoring case, as LifeTime's UI does); None if absent."""
        wanted = name.casefold()
        for env in self.list():
            if (env.name or "").casefold() == wanted:
                return env
        return None

    def deployment_zones(self, key: str) -> list[DeploymentZone]:
        """Deployment zones of one environment (self-managed infrastructures only)."""
        template = "/environments/{EnvironmentKey}/deploymentzones/"
        answer = self._http.request("GET", LIFETIME_V2, template, path_params={"EnvironmentKey": key})
        return [DeploymentZone.model_validate(i) for i in expect_json_list(answer, f"GET {template}")]
