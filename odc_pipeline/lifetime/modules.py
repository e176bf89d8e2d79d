"""Modules (eSpaces and extensions): names → keys, which the Properties API addresses by."""

from __future__ import annotations

from pydantic import Field

from odc_pipeline.lifetime.endpoints import LIFETIME_V2
from odc_pipeline.lifetime.http import LifetimeHttp, expect_json_list
from odc_pipeline.lifetime.models.applications import ModuleStatus
from odc_pipeline.lifetime.models.base import LtReadModel, NullableList


class Module(LtReadModel):
    """``Module``: ``kind`` is "eSpace" or "Extension"."""

    key: str | None = None
    name: str | None = None
    description: str | None = None
    kind: str | None = None
    module_status_in_env: NullableList[ModuleStatus] = Field(default_factory=list)


class ModulesApi:
    def __init__(self, http: LifetimeHttp) -> None:
        self._http = http

    def list(self, *, include_env_status: bool = False) -> list[Module]:
        """Every module of the infrastructure (204 = none)."""
        answer = self._http.request(
            "GET", LIFETIME_V2, "/modules/", params={"IncludeEnvStatus": include_env_status}
        )
        return [Module.model_validate(i) for i in expect_json_list(answer, "GET /modules/")]

    def find_by_name(self, name: str) -> list[Module]:
        """Modules called exactly ``name`` (module names are unique per infrastructure in OS11)."""
        return [m for m in self.list() if m.name == name]
