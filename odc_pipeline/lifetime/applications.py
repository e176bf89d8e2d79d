"""Applications and what runs where: infrastructure-wide and per environment."""

from __future__ import annotations

from odc_pipeline.api.errors import NotFoundError
from odc_pipeline.lifetime.endpoints import LIFETIME_V2
from odc_pipeline.lifetime.http import LifetimeHttp, expect_json_list, expect_json_object
from odc_pipeline.lifetime.models import Application, AppStatusInEnv

APPS = "/applications/"
APP = "/applications/{ApplicationKey}/"
ENV_APPS = "/environments/{EnvironmentKey}/applications/"
ENV_APP = "/environments/{EnvironmentKey}/applications/{ApplicationKey}/"


def _flags(include_env_status: bool, include_modules: bool) -> dict[str, bool]:
    # LifeTime answers 400 "IncludeModules was requested but IncludeEnvStatus was not": modules
    # are part of the status, so asking for them implies the status.
    return {"IncludeModules": include_modules, "IncludeEnvStatus": include_env_status or include_modules}


class ApplicationsApi:
    def __init__(self, http: LifetimeHttp) -> None:
        self._http = http

    def list(self, *, include_env_status: bool = False, include_modules: bool = False) -> list[Application]:
        """Every application of the infrastructure (204 = none)."""
        answer = self._http.request(
            "GET", LIFETIME_V2, APPS, params=_flags(include_env_status, include_modules)
        )
        return [Application.model_validate(i) for i in expect_json_list(answer, f"GET {APPS}")]

    def get(self, key: str, *, include_env_status: bool = True, include_modules: bool = False) -> Application:
        """One application, by default with its status in every environment."""
        answer = self._http.request(
            "GET",
            LIFETIME_V2,
            APP,
            path_params={"ApplicationKey": key},
            params=_flags(include_env_status, include_modules),
        )
        return Application.model_validate(expect_json_object(answer, f"GET {APP}"))

    def find_by_name(self, name: str) -> list[Application]:
        """Applications called ``name``, ignoring case (the caller decides what an exact match is)."""
        wanted = name.casefold()
        return [app for app in self.list() if (app.name or "").casefold() == wanted]

    def running_in(
        self, environment_key: str, *, include_env_status: bool = False, include_modules: bool = False
    ) -> list[Application]:
        """The applications that run in one environment (204 = none)."""
        answer = self._http.request(
            "GET",
            LIFETIME_V2,
            ENV_APPS,
            path_params={"EnvironmentKey": environment_key},
            params=_flags(include_env_status, include_modules),
        )
        return [Application.model_validate(i) for i in expect_json_list(answer, f"GET {ENV_APPS}")]

    def get_in_environment(
        self, environment_key: str, key: str, *, include_modules: bool = False
    ) -> Application | None:
        """The application as it runs in one environment; None when it does not run there (404)."""
        try:
            answer = self._http.request(
                "GET",
                LIFETIME_V2,
                ENV_APP,
                path_params={"EnvironmentKey": environment_key, "ApplicationKey": key},
                params=_flags(True, include_modules),
            )
        except NotFoundError:
            return None
        return Application.model_validate(expect_json_object(answer, f"GET {ENV_APP}"))

    def status_in(self, environment_key: str, key: str) -> AppStatusInEnv | None:
        """What runs of the application in one environment, None when nothing does.

        Both answers a LifeTime may give for an app that is not deployed there mean None: a 404
        (the swagger's) and a 200 whose ``AppStatusInEnvs`` lacks the environment (UNDOC, notes
        §5.10; OP would silently skip the deployment on the latter).
        """
        app = self.get_in_environment(environment_key, key)
        return app.status_in(environment_key) if app else None
