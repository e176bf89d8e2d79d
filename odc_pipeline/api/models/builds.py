"""Build Operations models (``/api/builds/v1``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from odc_pipeline.api.models.base import NullableList, OptionalTime, ReadModel, RequestModel


class BuildStatus(StrEnum):
    """Spellings from the spec; note ``FinishedWithErrors`` (plural, unlike deployments)."""

    PENDING = "Pending"
    RUNNING = "Running"
    FINISHED = "Finished"
    FINISHED_WITH_ERRORS = "FinishedWithErrors"
    DELETED = "Deleted"
    TO_BE_DELETED = "ToBeDeleted"


class BuildRequest(RequestModel):
    """``BuildOperationDetails``; ``buildType`` is always sent because the server defaults to Debug."""

    asset_key: str
    asset_revision: int
    build_type: str = "Release"


class BuildStarted(ReadModel):
    """``BuildResponse``: a 201 may still say ``isSuccessful: false``."""

    build_key: str | None = None
    is_successful: bool = True


class SecurityVulnerability(ReadModel):
    id: str | None = None
    severity: str | None = None
    details: str | None = None
    published_date: OptionalTime = None


class SecurityAudit(ReadModel):
    vulnerabilities: NullableList[SecurityVulnerability] = Field(default_factory=list)


class Build(ReadModel):
    """``BuildDetails``; ``status`` stays a string so unknown values do not break parsing."""

    build_key: str
    asset_key: str
    asset_revision: int
    build_type: str
    started_date_time: OptionalTime = None
    finished_date_time: OptionalTime = None
    built_by: str | None = None
    status: str | None = None
    security_audit: SecurityAudit | None = None


class BuildLogMessage(ReadModel):
    """``BuildFeedbackDetails``; ``severity`` is a free string ("Error, Info, Warning, etc.")."""

    timestamp: OptionalTime = None
    type: str | None = None
    severity: str | None = None
    message: str | None = None
    step_id: str | None = None
    asset_key: str | None = None
    error_code: str | None = None


class GeneratedCodePackaging(ReadModel):
    """``GeneratedCodePackagingResponse``: whether packaging was initiated."""

    is_successful: bool = True


class GeneratedCodeError(ReadModel):
    timestamp: OptionalTime = None
    severity: str | None = None
    message: str | None = None


class GeneratedCodePackage(ReadModel):
    """``GeneratedCodePackageResponse``: ``NotStarted|Running|Finished|TimedOut|Failed`` + ``uri``."""

    status: str | None = None
    uri: str | None = None
    errors: NullableList[GeneratedCodeError] = Field(default_factory=list)
