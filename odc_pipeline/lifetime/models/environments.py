"""Environments and deployment zones (``/environments/``, swagger ``Environment``, ``DeploymentZone_v2``)."""

from __future__ import annotations

from pydantic import Field

from odc_pipeline.lifetime.models.base import LtReadModel


class Environment(LtReadModel):
    """``Environment``; ``order`` is the position in the pipeline (Development first)."""

    key: str | None = None
    name: str | None = None
    os_version: str | None = Field(default=None, alias="OSVersion")
    order: int | None = None
    details_url: str | None = Field(default=None, alias="DetailsURL")
    host_name: str | None = None
    use_https: bool | None = Field(default=None, alias="UseHTTPS")
    environment_type: str | None = None
    number_of_front_ends: int | None = None
    application_server_type: str | None = None
    application_server: str | None = None
    database_provider: str | None = None
    is_cloud_environment: bool | None = None


class DeploymentTechnology(LtReadModel):
    """``DeploymentTechnology_v2``."""

    key: str | None = None
    name: str | None = None


class DeploymentZone(LtReadModel):
    """``DeploymentZone_v2``: self-managed infrastructures only; ``""`` is the default zone in plans."""

    key: str | None = None
    name: str | None = None
    is_default: bool | None = None
    deployment_technology: DeploymentTechnology | None = None
