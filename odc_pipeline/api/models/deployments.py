"""Deployments models (``/api/deployments/v1``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from odc_pipeline.api.models.base import NullableList, OptionalTime, ReadModel, RequestModel


class DeploymentStatus(StrEnum):
    """Note ``FinishedWithError`` (singular, unlike builds)."""

    RUNNING = "Running"
    FINISHED = "Finished"
    FINISHED_WITH_ERROR = "FinishedWithError"


class DeploymentOperationType(StrEnum):
    DEPLOY = "Deploy"
    UNDEPLOY = "Undeploy"
    APPLY_CONFIGS = "ApplyConfigs"


class DeploymentRequest(RequestModel):
    """``DeploymentOperationRequest``: buildKey for Deploy; revision for Deploy and ApplyConfigs."""

    operation: str
    asset_key: str
    environment_key: str
    build_key: str | None = None
    revision: int | None = None


class DeploymentOperation(ReadModel):
    """``DeploymentOperationResponse``; ``revisions`` is an array in this API."""

    key: str | None = None
    status: str | None = None
    started_date_time: OptionalTime = None
    finished_date_time: OptionalTime = None
    deployed_by: str | None = None
    asset_key: str | None = None
    revisions: NullableList[int] = Field(default_factory=list)
    build_key: str | None = None
    asset_name: str | None = None
    operation: str | None = None
    portfolio_key: str | None = None

    @property
    def revision(self) -> int | None:
        """The (single) revision the operation deploys, when the server says."""
        return self.revisions[0] if self.revisions else None


class DeploymentMessage(ReadModel):
    """``MessageDetailsV1TaskProgressMessage``; ``severity``: ``Info | Warning | Error``."""

    timestamp: OptionalTime = None
    type: str | None = None
    severity: str | None = None
    message: str | None = None
    additional_info: dict[str, Any] | None = None
