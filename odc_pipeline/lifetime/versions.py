"""Application versions: list, read, delete, and tag (create a version from an environment).

Tagging is a POST: when its answer is lost (dropped connection, 502/504) it is never sent
again blindly. :meth:`VersionsApi.tag_finder` looks the tag up by its version label — among
the app's versions, or as the environment's base version — for the HTTP core's grace window;
not found by then, the call stops with ``OutcomeUnknownError`` and the tag is not sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from odc_pipeline.api.http import FindAgain
from odc_pipeline.lifetime.endpoints import LIFETIME_V2
from odc_pipeline.lifetime.http import LifetimeHttp, expect_json_list, expect_json_object
from odc_pipeline.lifetime.models import (
    ApplicationVersion,
    ApplicationVersionCreate,
    AppStatusInEnv,
    MobileVersionRequest,
    VersionCreated,
)

VERSIONS = "/applications/{ApplicationKey}/versions/"
VERSION = "/applications/{ApplicationKey}/versions/{VersionKey}/"
TAG = "/environments/{EnvironmentKey}/applications/{ApplicationKey}/versions/"
FINDER_VERSIONS = 20  # how far back a lost tag is looked for (newest first)


class VersionsApi:
    def __init__(self, http: LifetimeHttp, status_in: Callable[[str, str], AppStatusInEnv | None]) -> None:
        self._http = http
        self._status_in = status_in  # ApplicationsApi.status_in (for the tag finder)

    def list(
        self, application_key: str, *, change_log_filter: str | None = None, max_versions: int | None = None
    ) -> list[ApplicationVersion]:
        """Versions of an application, newest first; LifeTime returns 5 unless ``max_versions`` says."""
        if max_versions is not None and max_versions < 0:
            raise ValueError("max_versions must not be negative (LifeTime answers 400)")
        answer = self._http.request(
            "GET",
            LIFETIME_V2,
            VERSIONS,
            path_params={"ApplicationKey": application_key},
            params={"ChangeLogFilter": change_log_filter, "MaximumVersionsToReturn": max_versions},
        )
        return [ApplicationVersion.model_validate(i) for i in expect_json_list(answer, f"GET {VERSIONS}")]

    def get(
        self, application_key: str, version_key: str, *, include_modules: bool = False
    ) -> ApplicationVersion:
        """One version (``IncludeModules`` is required by the swagger, so it is always sent)."""
        answer = self._http.request(
            "GET",
            LIFETIME_V2,
            VERSION,
            path_params={"ApplicationKey": application_key, "VersionKey": version_key},
            params={"IncludeModules": include_modules},
        )
        return ApplicationVersion.model_validate(expect_json_object(answer, f"GET {VERSION}"))

    def find(
        self, application_key: str, version: str, *, max_versions: int = FINDER_VERSIONS
    ) -> ApplicationVersion | None:
        """The version labelled ``version`` among the newest ``max_versions``; None if absent."""
        for item in self.list(application_key, max_versions=max_versions):
            if item.version == version:
                return item
        return None

    def delete(self, application_key: str, version_key: str) -> None:
        """Discard a version (LifeTime refuses running versions and ones used in plans)."""
        self._http.request(
            "DELETE",
            LIFETIME_V2,
            VERSION,
            path_params={"ApplicationKey": application_key, "VersionKey": version_key},
        )

    def tag(
        self,
        environment_key: str,
        application_key: str,
        *,
        version: str,
        change_log: str | None = None,
        mobile_versions: Sequence[MobileVersionRequest] = (),
        find_again: FindAgain | None = None,
    ) -> str:
        """Tag what runs in ``environment_key`` as ``version``; returns the new version's key.

        The version needs "some processing time before it becomes available" (swagger), so a
        caller that deploys it right away should poll :meth:`get` first. ``find_again``
        defaults to :meth:`tag_finder`.
        """
        body = ApplicationVersionCreate(
            version=version, change_log=change_log, mobile_versions=list(mobile_versions)
        )
        answer = self._http.request(
            "POST",
            LIFETIME_V2,
            TAG,
            path_params={"EnvironmentKey": environment_key, "ApplicationKey": application_key},
            json=body.to_json(),
            find_again=find_again or self.tag_finder(environment_key, application_key, version=version),
        )
        return VersionCreated.model_validate(
            expect_json_object(answer, f"POST {TAG}")
        ).application_version_key

    def tag_finder(self, environment_key: str, application_key: str, *, version: str) -> FindAgain:
        """A find-again hook: the version labelled ``version``, as a ``TextRecord`` body."""

        def find() -> Mapping[str, Any] | None:
            found = self.find(application_key, version)
            if found is not None and found.key:
                return {"ApplicationVersionKey": found.key}
            status = self._status_in(environment_key, application_key)
            if (
                status is not None
                and status.base_application_version_label == version
                and status.base_application_version_key
            ):
                return {"ApplicationVersionKey": status.base_application_version_key}
            return None

        return find
