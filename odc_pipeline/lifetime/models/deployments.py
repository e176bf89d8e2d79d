"""Deployment plans: create, details with conflicts, status with log (swagger §2.4 of the notes)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from odc_pipeline.lifetime.models.base import LifetimeTime, LtReadModel, LtRequestModel, NullableList


class PlanStatus(StrEnum):
    """``DeploymentStatus`` values, verbatim (swagger ``DeploymentMessageListTextTextRecord``)."""

    SAVED = "saved"
    RUNNING = "running"
    NEEDS_USER_INTERVENTION = "needs_user_intervention"
    ABORTING = "aborting"
    ABORTED = "aborted"
    FINISHED_SUCCESSFUL = "finished_successful"
    FINISHED_WITH_WARNINGS = "finished_with_warnings"
    FINISHED_WITH_ERRORS = "finished_with_errors"
    FORCE_FINISHED = "force_finished"


FINISHED_STATUSES = frozenset(
    {
        PlanStatus.ABORTED,
        PlanStatus.FINISHED_SUCCESSFUL,
        PlanStatus.FINISHED_WITH_WARNINGS,
        PlanStatus.FINISHED_WITH_ERRORS,
        PlanStatus.FORCE_FINISHED,
    }
)
"""States a plan never leaves. ``saved`` and ``needs_user_intervention`` wait for a command."""


class InterventionInfo(StrEnum):
    """``Info`` values, set only with ``needs_user_intervention``."""

    BUSINESS_PROCESS_IMPACT = "business_process_impact"
    DEPLOYMENT_PREPARED = "deployment_prepared"
    NEEDS_CONFIGURATION_OR_CONFIRMATION = "needs_configuration_or_confirmation"
    DEPLOYMENT_SUSPENDED = "deployment_suspended"


class PlanCommand(StrEnum):
    START = "start"
    CONTINUE = "continue"
    ABORT = "abort"


class PlanOperation(LtRequestModel):
    """``TextTextRecord``: one version to deploy; ``""`` is the default deployment zone."""

    application_version_key: str
    deployment_zone_key: str = ""


class PlanRequest(LtRequestModel):
    """``ApplicationVersionKeyDeploymentZoneKeyRecordListTextTextTextRecord`` (all four required)."""

    notes: str
    source_environment_key: str
    target_environment_key: str
    application_operations: list[PlanOperation]


class ApplicationOperation(LtReadModel):
    """``ApplicationOperation_v2`` (a plan's line; ``deployment_operation`` e.g. "Deploy 1.5")."""

    application_key: str | None = None
    application_version_key: str | None = None
    deployment_operation: str | None = None
    deployment_zone_key: str | None = None


class Deployment(LtReadModel):
    """``Deployment_v2``; it has no status field (ask :meth:`DeploymentsApi.status`)."""

    key: str | None = None
    source_environment_key: str | None = None
    target_environment_key: str | None = None
    details_url: str | None = Field(default=None, alias="DetailsURL")
    notes: str | None = None
    created_on: LifetimeTime = None
    created_by: str | None = None
    created_by_username: str | None = None
    saved_on: LifetimeTime = None
    saved_by: str | None = None
    saved_by_username: str | None = None
    started_on: LifetimeTime = None
    started_by: str | None = None
    started_by_username: str | None = None
    aborted_on: LifetimeTime = None
    aborted_by: str | None = None
    aborted_by_username: str | None = None
    application_operations: NullableList[ApplicationOperation] = Field(default_factory=list)

    @property
    def version_keys(self) -> frozenset[str]:
        return frozenset(
            op.application_version_key for op in self.application_operations if op.application_version_key
        )


class ConflictOperation(LtReadModel):
    """``ApplicationOperation`` inside a conflict."""

    application_key: str | None = None
    application_version_key: str | None = None
    deployment_operation: str | None = None


class ModuleConflict(LtReadModel):
    """``ModuleConflict``; ``conflict_type`` e.g. "Consumer Module Outdated"."""

    producer_module_key: str | None = None
    consumer_module_key: str | None = None
    total_required_elements: int | None = None
    conflict_type: str | None = None


class ApplicationConflict(LtReadModel):
    """``ApplicationConflict``: why the plan cannot start as it is."""

    message: str | None = None
    producer_application_operation: ConflictOperation | None = None
    consumer_application_operation: ConflictOperation | None = None
    module_conflict: ModuleConflict | None = None


class ModuleInBinary(LtReadModel):
    """``ModulesInBinary``."""

    module_key: str | None = None
    module_name: str | None = None
    is_new: bool | None = None


class ApplicationInBinary(LtReadModel):
    """``ApplicationInBinary``."""

    application_key: str | None = None
    application_name: str | None = None
    is_new: bool | None = None
    modules_in_binary: NullableList[ModuleInBinary] = Field(default_factory=list)


class ModuleToDelete(LtReadModel):
    key: str | None = None
    name: str | None = None
    description: str | None = None


class DeploymentDetails(LtReadModel):
    """``ApplicationConflictListTextListDeployment_v2Record`` (reading it validates the plan)."""

    deployment: Deployment | None = None
    applications_to_deploy: NullableList[ApplicationInBinary] = Field(default_factory=list)
    applications_to_redeploy: NullableList[str] = Field(default_factory=list)
    application_conflicts: NullableList[ApplicationConflict] = Field(default_factory=list)
    modules_to_delete: NullableList[ModuleToDelete] = Field(default_factory=list)


class PlanData(LtReadModel):
    """``DeploymentData_v2``: what an update answers."""

    key: str | None = None
    source_environment_key: str | None = None
    target_environment_key: str | None = None
    notes: str | None = None
    created_on: LifetimeTime = None
    saved_on: LifetimeTime = None
    started_on: LifetimeTime = None
    aborted_on: LifetimeTime = None
    application_operations: NullableList[PlanOperation] = Field(default_factory=list)


class LogEntry(LtReadModel):
    """``DeploymentMessage``; DOCDEPLOY's examples lack ``Type``."""

    instant: LifetimeTime = None
    message: str | None = None
    type: str | None = None


class PlanStatusReport(LtReadModel):
    """``DeploymentMessageListTextTextRecord``: status, intervention info and the log."""

    deployment_status: str
    info: str | None = None
    deployment_log: NullableList[LogEntry] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.deployment_status in FINISHED_STATUSES

    @property
    def prepared(self) -> bool:
        """Stage one of a two-step deployment is done; ``continue`` runs stage two."""
        return (
            self.deployment_status == PlanStatus.NEEDS_USER_INTERVENTION
            and self.info == InterventionInfo.DEPLOYMENT_PREPARED
        )
