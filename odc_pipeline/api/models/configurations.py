"""Asset Configurations models (``/api/asset-configurations/v1``).

App and agent results share one read model (the agent one simply lacks
``systemConfigurations``); the patch models mirror ``ApplicationConfigPatch`` and are strict.
All configuration values travel as strings.
"""

from __future__ import annotations

from pydantic import Field

from odc_pipeline.api.models.base import NullableList, OptionalTime, ReadModel, RequestModel


class ConfigValue(ReadModel):
    """``GenericConfigResult``: ``value`` ≠ ``deployed_value`` means a pending change."""

    key: str | None = None
    name: str | None = None
    description: str | None = None
    data_type: str | None = None
    default_value: str | None = None
    deployed_value: str | None = None
    value: str | None = None
    value_origin: str | None = None
    deployed_value_origin: str | None = None
    is_secret: bool = False
    value_set_after_deploy: bool | None = None
    updated_at: OptionalTime = None
    filename: str | None = None


class ConfigGroup(ReadModel):
    """``TimerResult`` / ``IntegrationResult``: a named element with its own config values."""

    key: str | None = None
    name: str | None = None
    description: str | None = None
    plugin_type: str | None = None
    configs: NullableList[ConfigValue] = Field(default_factory=list)


class LibraryConfig(ReadModel):
    key: str | None = None
    name: str | None = None
    revision: int | None = None
    revision_baseline: int | None = None
    system_configurations: NullableList[ConfigValue] = Field(default_factory=list)
    settings: NullableList[ConfigValue] = Field(default_factory=list)
    integrations: NullableList[ConfigGroup] = Field(default_factory=list)


class AssetConfig(ReadModel):
    """``ApplicationConfigResult`` / ``AgentConfigResult``."""

    key: str | None = None
    name: str | None = None
    revision_baseline: int | None = None
    revision_deployed: int | None = None
    settings: NullableList[ConfigValue] = Field(default_factory=list)
    timers: NullableList[ConfigGroup] = Field(default_factory=list)
    integrations: NullableList[ConfigGroup] = Field(default_factory=list)
    libraries: NullableList[LibraryConfig] = Field(default_factory=list)
    deployed_at: OptionalTime = None
    system_configurations: NullableList[ConfigValue] = Field(default_factory=list)


class EnvironmentConfig(ReadModel):
    """``EnvironmentConfigResult``: the stage's default system configurations."""

    system_configurations: NullableList[ConfigValue] = Field(default_factory=list)


class ConfigValuePatch(RequestModel):
    """``GenericConfigPatch``; ``filename`` only for binary values."""

    key: str
    value: str | None = None
    filename: str | None = None


class ConfigGroupPatch(RequestModel):
    """``TimerPatch`` / ``IntegrationPatch``."""

    key: str
    configs: list[ConfigValuePatch] | None = None


class LibraryConfigPatch(RequestModel):
    key: str
    revision: int | None = None
    system_configurations: list[ConfigValuePatch] | None = None
    settings: list[ConfigValuePatch] | None = None
    integrations: list[ConfigGroupPatch] | None = None


class AssetConfigPatch(RequestModel):
    """``ApplicationConfigPatch`` (agents: the same without ``system_configurations``).

    ``revision_baseline`` is an int (the doc example's string is wrong, odc-api-notes §7.2).
    Only the elements given are changed; they stay pending until the next Deploy/ApplyConfigs.
    """

    key: str | None = None
    revision_baseline: int | None = None
    settings: list[ConfigValuePatch] | None = None
    timers: list[ConfigGroupPatch] | None = None
    integrations: list[ConfigGroupPatch] | None = None
    libraries: list[LibraryConfigPatch] | None = None
    system_configurations: list[ConfigValuePatch] | None = None


class EnvironmentConfigPatch(RequestModel):
    system_configurations: list[ConfigValuePatch] | None = None
