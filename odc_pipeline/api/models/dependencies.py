"""Dependency Management models (``/api/dependency-management/v1``): impact analysis."""

from __future__ import annotations

from pydantic import Field

from odc_pipeline.api.errors import ProblemDetails
from odc_pipeline.api.models.base import NullableList, OptionalTime, ReadModel, RequestModel


class DeploymentAnalysisRequest(RequestModel):
    """``PublicLaunchDeploymentAnalysisRequest`` (environmentKey is a plain string here)."""

    revision: int
    environment_key: str | None = None
    asset_key: str | None = None


class AnalysisStarted(ReadModel):
    """``ReferenceKeyResponse``."""

    analysis_key: str | None = None


class ElementIssue(ReadModel):
    name: str | None = None
    type: str | None = None
    conflict_type: str | None = None
    conflict_severity: str | None = None
    incompatibility_type: str | None = None
    hint: str | None = None


class ApplicationIssue(ReadModel):
    conflict_type: str | None = None
    conflict_severity: str | None = None
    hint: str | None = None


class ImpactedAsset(ReadModel):
    """``PublicApplicationReport``: one asset the deployment affects, with its issues."""

    revision: int | None = None
    type: str | None = None
    asset_key: str | None = None
    reference_type: str | None = None
    element_level_issues: NullableList[ElementIssue] = Field(default_factory=list)
    application_level_issues: NullableList[ApplicationIssue] = Field(default_factory=list)


class DeploymentAnalysisReport(ReadModel):
    """``status``: ``NoIssuesFound | WarningsFound | ErrorsFound``."""

    status: str | None = None
    impacted_assets: NullableList[ImpactedAsset] = Field(default_factory=list)


class DeploymentAnalysis(ReadModel):
    """``processStatus``: ``InProgress | Finished | Failed``; ``report`` is null until Finished."""

    analysis_key: str | None = None
    type: str | None = None
    process_status: str | None = None
    error: ProblemDetails | None = None
    report: DeploymentAnalysisReport | None = None
    environment_key: str | None = None
    started_at: OptionalTime = None
    asset_key: str | None = None


class AssetDependency(ReadModel):
    """``AssetDependency`` (consumers) and ``AssetDependencyWithProducerReferences`` (producers)."""

    key: str
    portfolio_key: str | None = None
    revision: int = 0
    name: str | None = None
    description: str | None = None
    type: str | None = None
    signature_digest: str | None = None
    compatibility_signature_digest: str | None = None
    model_digest: str | None = None
    is_direct_producer: bool | None = None
    producers: list[str] | None = None  # null or absent: not said (UNDOC), never "none"
