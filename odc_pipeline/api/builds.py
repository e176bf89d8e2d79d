"""Build Operations: start Release builds, follow them, read logs and generated code."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from odc_pipeline.api.endpoints import BUILDS
from odc_pipeline.api.http import FindAgain, HttpClient
from odc_pipeline.api.models.builds import (
    Build,
    BuildLogMessage,
    BuildRequest,
    BuildStarted,
    BuildStatus,
    GeneratedCodePackage,
    GeneratedCodePackaging,
)
from odc_pipeline.api.pagination import results_of

IN_PROGRESS = frozenset({BuildStatus.PENDING, BuildStatus.RUNNING})


class BuildsApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def start(
        self,
        asset_key: str,
        revision: int,
        *,
        build_type: str = "Release",
        find_again: FindAgain | None = None,
    ) -> BuildStarted:
        """Start a build (``buildType`` is always sent: the server's default is Debug).

        ``find_again`` is consulted when the POST's outcome is unknown (dropped connection,
        502/504); :meth:`finder` builds the usual one.
        """
        body = BuildRequest(asset_key=asset_key, asset_revision=revision, build_type=build_type)
        result = self._http.request(
            "POST", BUILDS, "/build-operations", json=body.to_json(), find_again=find_again
        )
        return BuildStarted.model_validate(result or {})

    def finder(self, asset_key: str, revision: int, *, build_type: str = "Release") -> FindAgain:
        """A find-again hook: an in-progress build of this revision and type, if any.

        Only Pending/Running builds count — a finished older build is not the one we started.
        """

        def find() -> Mapping[str, Any] | None:
            for build in self.list(asset_key, revision=revision, build_type=build_type):
                if build.status in IN_PROGRESS:
                    return {"buildKey": build.build_key, "isSuccessful": True}
            return None

        return find

    def get(self, build_key: str) -> Build:
        body = self._http.request(
            "GET", BUILDS, "/build-operations/{operationKey}", path_params={"operationKey": build_key}
        )
        return Build.model_validate(body)

    def list(
        self, asset_key: str, *, revision: int | None = None, build_type: str | None = None
    ) -> builtins.list[Build]:
        """Builds of an asset (unpaged, ``{builds: [...]}``; order is undocumented)."""
        body = self._http.request(
            "GET",
            BUILDS,
            "/build-operations",
            params={"assetKey": asset_key, "assetRevision": revision, "byBuildType": build_type},
        )
        return [Build.model_validate(item) for item in results_of(body, "builds")]

    def list_tenant_wide(self, *, build_type: str | None = None) -> builtins.list[Build]:
        """Builds of every asset: the list call with no ``assetKey`` (the spec types it optional).

        What a tenant answers to that is UNDOC (all builds, a refusal, nothing, or a cut-short
        list), so callers take the answer as sightings, never as "these are all there are".
        """
        body = self._http.request("GET", BUILDS, "/build-operations", params={"byBuildType": build_type})
        return [Build.model_validate(item) for item in results_of(body, "builds")]

    def log_messages(self, build_key: str) -> builtins.list[BuildLogMessage]:
        body = self._http.request(
            "GET",
            BUILDS,
            "/build-operations/{operationKey}/log-messages",
            path_params={"operationKey": build_key},
        )
        return [BuildLogMessage.model_validate(item) for item in results_of(body)]

    def start_generated_code(self, build_key: str) -> GeneratedCodePackaging:
        """Ask for the generated-code package (POST; safe to find again via get_generated_code)."""

        def find() -> Mapping[str, Any] | None:
            try:
                self.get_generated_code(build_key)
            except Exception:  # any failure means "not found": re-sending is the safe answer
                return None
            return {"isSuccessful": True}

        body = self._http.request(
            "POST",
            BUILDS,
            "/build-operations/{operationKey}/generated-code",
            path_params={"operationKey": build_key},
            find_again=find,
        )
        return GeneratedCodePackaging.model_validate(body or {})

    def get_generated_code(self, build_key: str) -> GeneratedCodePackage:
        """Status and ``uri`` of the package (404 before :meth:`start_generated_code`)."""
        body = self._http.request(
            "GET",
            BUILDS,
            "/build-operations/{operationKey}/generated-code",
            path_params={"operationKey": build_key},
        )
        return GeneratedCodePackage.model_validate(body)
