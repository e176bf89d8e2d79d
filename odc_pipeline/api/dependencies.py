"""Dependency Management: deployment impact analyses, producers and consumers."""

from __future__ import annotations

from odc_pipeline.api.endpoints import DEPENDENCY_MANAGEMENT
from odc_pipeline.api.errors import ApiError
from odc_pipeline.api.http import FindAgain, HttpClient
from odc_pipeline.api.models.dependencies import (
    AnalysisStarted,
    AssetDependency,
    DeploymentAnalysis,
    DeploymentAnalysisRequest,
)
from odc_pipeline.api.pagination import results_of


class DependenciesApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def start_deployment_analysis(
        self, asset_key: str, revision: int, environment_key: str, *, find_again: FindAgain | None = None
    ) -> str:
        """Launch an impact analysis; returns its key (the live API answers 200 or 201)."""
        body = DeploymentAnalysisRequest(
            revision=revision, environment_key=environment_key, asset_key=asset_key
        )
        result = self._http.request(
            "POST", DEPENDENCY_MANAGEMENT, "/deployment-analyses", json=body.to_json(), find_again=find_again
        )
        started = AnalysisStarted.model_validate(result or {})
        if not started.analysis_key:
            raise ApiError(
                "POST /deployment-analyses answered without an analysisKey",
                method="POST",
                path="/api/dependency-management/v1/deployment-analyses",
            )
        return started.analysis_key

    def get_deployment_analysis(self, key: str) -> DeploymentAnalysis:
        body = self._http.request(
            "GET",
            DEPENDENCY_MANAGEMENT,
            "/deployment-analyses/{analysisKey}",
            path_params={"analysisKey": key},
        )
        return DeploymentAnalysis.model_validate(body)

    def producers(
        self,
        asset_key: str,
        revision: int,
        *,
        environment_key: str | None = None,
        max_depth: int | None = None,
        producer_type_filter: str | None = None,
    ) -> list[AssetDependency]:
        """What ``revision`` consumes (``maxDepth`` 0/None = the whole graph)."""
        body = self._http.request(
            "GET",
            DEPENDENCY_MANAGEMENT,
            "/assets/{assetKey}/revisions/{revisionNumber}/producers",
            path_params={"assetKey": asset_key, "revisionNumber": revision},
            params={
                "environmentKey": environment_key,
                "maxDepth": max_depth,
                "producerTypeFilter": producer_type_filter,
            },
        )
        return [AssetDependency.model_validate(item) for item in results_of(body)]

    def consumers(
        self, asset_key: str, *, revision: int | None = None, environment_key: str | None = None
    ) -> list[AssetDependency]:
        """Who consumes the asset (or one revision of it) on ``environment_key``."""
        if revision is None:
            template = "/assets/{assetKey}/consumers"
            path_params: dict[str, object] = {"assetKey": asset_key}
        else:
            template = "/assets/{assetKey}/revisions/{revisionNumber}/consumers"
            path_params = {"assetKey": asset_key, "revisionNumber": revision}
        body = self._http.request(
            "GET",
            DEPENDENCY_MANAGEMENT,
            template,
            path_params=path_params,
            params={"environmentKey": environment_key},
        )
        return [AssetDependency.model_validate(item) for item in results_of(body)]
