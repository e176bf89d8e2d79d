"""Typed request/response models, one module per API domain (re-exported here)."""

from odc_pipeline.api.errors import ProblemDetails
from odc_pipeline.api.models.assets import AssetRevision, AssetRevisionPatch
from odc_pipeline.api.models.builds import (
    Build,
    BuildLogMessage,
    BuildRequest,
    BuildStarted,
    BuildStatus,
    GeneratedCodePackage,
    GeneratedCodePackaging,
)
from odc_pipeline.api.models.code_quality import (
    AnalysisSummary,
    CodeAnalysis,
    CodeAnalysisRequest,
    CodeAnalysisStatus,
    SeverityBreakdown,
)
from odc_pipeline.api.models.configurations import (
    AssetConfig,
    AssetConfigPatch,
    ConfigGroupPatch,
    ConfigValue,
    ConfigValuePatch,
    EnvironmentConfig,
    EnvironmentConfigPatch,
    LibraryConfigPatch,
)
from odc_pipeline.api.models.dependencies import (
    AnalysisStarted,
    AssetDependency,
    DeploymentAnalysis,
    DeploymentAnalysisReport,
    DeploymentAnalysisRequest,
    ImpactedAsset,
)
from odc_pipeline.api.models.deployments import (
    DeploymentMessage,
    DeploymentOperation,
    DeploymentOperationType,
    DeploymentRequest,
    DeploymentStatus,
)
from odc_pipeline.api.models.external_libraries import (
    GenerationLog,
    GenerationOperation,
    GenerationRequest,
    GenerationStarted,
    UploadUrls,
)
from odc_pipeline.api.models.portfolio import AssetDeployment, DeployedAsset, Environment

__all__ = [
    "AnalysisStarted",
    "AnalysisSummary",
    "AssetConfig",
    "AssetConfigPatch",
    "AssetDependency",
    "AssetDeployment",
    "AssetRevision",
    "AssetRevisionPatch",
    "Build",
    "BuildLogMessage",
    "BuildRequest",
    "BuildStarted",
    "BuildStatus",
    "CodeAnalysis",
    "CodeAnalysisRequest",
    "CodeAnalysisStatus",
    "ConfigGroupPatch",
    "ConfigValue",
    "ConfigValuePatch",
    "DeployedAsset",
    "DeploymentAnalysis",
    "DeploymentAnalysisReport",
    "DeploymentAnalysisRequest",
    "DeploymentMessage",
    "DeploymentOperation",
    "DeploymentOperationType",
    "DeploymentRequest",
    "DeploymentStatus",
    "Environment",
    "EnvironmentConfig",
    "EnvironmentConfigPatch",
    "GeneratedCodePackage",
    "GeneratedCodePackaging",
    "GenerationLog",
    "GenerationOperation",
    "GenerationRequest",
    "GenerationStarted",
    "ImpactedAsset",
    "LibraryConfigPatch",
    "ProblemDetails",
    "SeverityBreakdown",
    "UploadUrls",
]
