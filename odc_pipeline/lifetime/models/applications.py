"""Applications, their status per environment and their versions (tags)."""

from __future__ import annotations

from pydantic import Field

from odc_pipeline.lifetime.models.base import LifetimeTime, LtReadModel, LtRequestModel, NullableList


class MobileAppStatus(LtReadModel):
    """``MobileAppStatusInEnv``."""

    environment_key: str | None = None
    native_platform: str | None = None
    version_number: str | None = None
    has_binary_available: bool | None = None
    is_configured: bool | None = None
    is_configuration_changed: bool | None = None
    is_modified: bool | None = None


class ModuleStatus(LtReadModel):
    """``ModuleStatusInEnv``."""

    application_key: str | None = None
    environment_key: str | None = None
    module_version_key: str | None = None
    consistency_status: str | None = None
    consistency_status_messages: str | None = None


class AppStatusInEnv(LtReadModel):
    """``AppStatusInEnv_v2``: what runs in one environment.

    ``base_application_version_key`` is the last tag; when ``is_modified`` the environment
    runs changes made since that tag (a deployment would ship the tag, not the changes).
    """

    environment_key: str | None = None
    base_application_version_key: str | None = None
    base_application_version_label: str | None = None
    is_modified: bool | None = None
    is_modified_reason: str | None = None
    is_modified_message: str | None = None
    consistency_status: str | None = None
    consistency_status_messages: str | None = None
    mobile_apps_status: NullableList[MobileAppStatus] = Field(default_factory=list)
    module_status_in_envs: NullableList[ModuleStatus] = Field(default_factory=list)
    deployment_zone_key: str | None = None


class Application(LtReadModel):
    """``Application``; ``app_status_in_envs`` only when asked for (``include_env_status``)."""

    key: str | None = None
    name: str | None = None
    kind: str | None = None
    team: str | None = None
    description: str | None = None
    url_path: str | None = Field(default=None, alias="URLPath")
    icon_hash: str | None = None
    icon_url: str | None = Field(default=None, alias="IconURL")
    details_url: str | None = Field(default=None, alias="DetailsURL")
    is_system: bool | None = None
    app_status_in_envs: NullableList[AppStatusInEnv] = Field(default_factory=list)

    def status_in(self, environment_key: str) -> AppStatusInEnv | None:
        """The status entry for one environment; None when the app does not run there."""
        for status in self.app_status_in_envs:
            if status.environment_key == environment_key:
                return status
        return None


class MobileVersion(LtReadModel):
    """``MobileVersion`` as read back in a version."""

    native_platform: str | None = None
    version_number: str | None = None
    version_description: str | None = None


class ModuleVersion(LtReadModel):
    """``ModuleVersion_v2``."""

    key: str | None = None
    module_key: str | None = None
    created_on: LifetimeTime = None
    created_by: str | None = None
    created_by_username: str | None = None
    general_hash: str | None = None
    direct_upgrade_from_hash: str | None = None


class ApplicationVersion(LtReadModel):
    """``ApplicationVersion_v2``; ``created_on``/``change_log`` are missing on older OS11 (OP)."""

    key: str | None = None
    application_key: str | None = None
    version: str | None = None
    change_log: str | None = None
    created_on: LifetimeTime = None
    in_use: bool | None = None
    mobile_versions: NullableList[MobileVersion] = Field(default_factory=list)
    primary_color: str | None = None
    native_hash: str | None = None
    module_versions: NullableList[ModuleVersion] = Field(default_factory=list)
    environment_key: str | None = None


class MobileVersionRequest(LtRequestModel):
    """``MobileVersion`` in a tag request: the native build's version for one platform."""

    native_platform: str
    version_number: str
    version_description: str | None = None


class ApplicationVersionCreate(LtRequestModel):
    """``ApplicationVersionCreate``; the deprecated ``ModuleVersionKeys`` is never sent."""

    change_log: str | None = None
    version: str
    mobile_versions: list[MobileVersionRequest] = Field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        body = super().to_json()
        body["MobileVersions"] = [m.to_json() for m in self.mobile_versions]  # [] is sent, as DOCTAG does
        return body


class VersionCreated(LtReadModel):
    """``TextRecord``: the key of the new version."""

    application_version_key: str
