"""Asset configurations per stage: definitions from the tenant, values that move.

A PATCH sets ``value`` (the "last set value"); it stays pending (``value`` differs from
``deployedValue``) until the next successful Deploy or ApplyConfigs of that asset in that stage
copies it over. Secret values are never shown (``value``/``deployedValue`` are null);
``valueSetAfterDeploy`` tells that a secret is pending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.tenant import ConfigGroup, ConfigItem, Configurations, derive_key

DEFAULT_TIMER_CONFIGS = (
    ConfigItem(name="IsActive", key="IsActive", data_type="Boolean", default="True"),
    ConfigItem(name="Schedule", key="Schedule", data_type="Text", default="0 2 * * *"),
    ConfigItem(name="TimeoutInMinutes", key="TimeoutInMinutes", data_type="Integer", default="20"),
)

ItemId = tuple[str, str, str]  # (section, group key or "", item key)


@dataclass(frozen=True)
class Definition:
    item_id: ItemId
    item: ConfigItem
    key: str
    group_key: str
    since_revision: int


@dataclass
class Value:
    value: str | None
    deployed_value: str | None
    value_origin: str
    deployed_origin: str
    updated_at: datetime | None = None


@dataclass(frozen=True)
class GroupInfo:
    section: str
    key: str
    name: str
    description: str | None
    plugin_type: str | None
    since_revision: int


@dataclass
class AssetConfigs:
    """All configuration definitions of one asset (every revision) and values per stage."""

    asset_key: str
    definitions: dict[ItemId, Definition]
    groups: dict[tuple[str, str], GroupInfo]
    values: dict[tuple[str, ItemId], Value] = field(default_factory=dict)  # (stage key, item) -> Value

    @classmethod
    def from_spec(cls, asset_key: str, spec: Configurations) -> AssetConfigs:
        definitions: dict[ItemId, Definition] = {}
        groups: dict[tuple[str, str], GroupInfo] = {}
        for section, items in (
            ("settings", spec.settings),
            ("systemConfigurations", spec.system_configurations),
        ):
            for item in items:
                key = item.key or derive_key(asset_key, section, item.name)
                definitions[(section, "", key)] = Definition(
                    (section, "", key), item, key, "", item.since_revision
                )
        for section, group_specs in (("timers", spec.timers), ("integrations", spec.integrations)):
            for group in group_specs:
                group_key = group.key or derive_key(asset_key, section, group.name)
                groups[(section, group_key)] = _group_info(section, group_key, group)
                configs = (
                    group.configs
                    if group.configs is not None
                    else (list(DEFAULT_TIMER_CONFIGS) if section == "timers" else [])
                )
                for item in configs:
                    key = item.key or derive_key(group_key, item.name)
                    since = max(group.since_revision, item.since_revision)
                    definitions[(section, group_key, key)] = Definition(
                        (section, group_key, key), item, key, group_key, since
                    )
        return cls(asset_key, definitions, groups)

    def value(self, stage_key: str, definition: Definition, stage_name: str) -> Value:
        slot = (stage_key, definition.item_id)
        if slot not in self.values:
            deployed = definition.item.values.get(stage_name, definition.item.default)
            origin = (
                "EnvironmentLevelOverride"
                if stage_name in definition.item.values
                else "ApplicationLevelDefault"
            )
            self.values[slot] = Value(deployed, deployed, origin, origin)
        return self.values[slot]

    def in_revision(self, revision: int) -> list[Definition]:
        return [d for d in self.definitions.values() if d.since_revision <= revision]

    def patch(
        self, stage_key: str, stage_name: str, revision: int, body: dict[str, Any], now: datetime
    ) -> None:
        """Validate every change first (keys exist in ``revision``, values parse), then set all."""
        known = {d.item_id: d for d in self.in_revision(revision)}
        changes: list[tuple[Definition, str | None]] = []
        for entry in body.get("settings") or []:
            changes.append(
                (
                    _find(known, "settings", "", entry, f"settings key {entry.get('key')!r}"),
                    entry.get("value"),
                )
            )
        for entry in body.get("systemConfigurations") or []:
            changes.append(
                (
                    _find(known, "systemConfigurations", "", entry, "systemConfigurations key"),
                    entry.get("value"),
                )
            )
        for section in ("timers", "integrations"):
            for group in body.get(section) or []:
                group_key = group.get("key")
                if (section, group_key) not in self.groups:
                    raise ApiProblem(
                        400, f"{section} key {group_key!r} does not exist in revision {revision}"
                    )
                for entry in group.get("configs") or []:
                    where = f"{section} {group_key!r} config {entry.get('key')!r}"
                    changes.append((_find(known, section, group_key, entry, where), entry.get("value")))
        if body.get("libraries"):
            raise ApiProblem(400, "the simulated asset has no library configurations to change")
        for definition, raw in changes:
            _check_type(definition, raw)
        for definition, raw in changes:
            value = self.value(stage_key, definition, stage_name)
            value.value = raw
            value.value_origin = "EnvironmentLevelOverride"
            value.updated_at = now

    def apply(self, stage_key: str) -> int:
        """Make every pending value of this stage deployed; returns how many changed."""
        changed = 0
        for (stage, _), value in self.values.items():
            if stage == stage_key and value.value != value.deployed_value:
                value.deployed_value = value.value
                value.deployed_origin = value.value_origin
                changed += 1
        return changed

    def pending(self, stage_key: str) -> dict[ItemId, Value]:
        return {
            item: v
            for (stage, item), v in self.values.items()
            if stage == stage_key and v.value != v.deployed_value
        }

    def render(
        self, stage_key: str, stage_name: str, revision: int, fields: set[str] | None
    ) -> dict[str, Any]:
        """The ``settings``/``timers``/``integrations``/``systemConfigurations`` of a config result."""
        definitions = self.in_revision(revision)
        out: dict[str, Any] = {}

        def wanted(name: str) -> bool:
            return fields is None or name in fields

        for section in ("settings", "systemConfigurations"):
            if wanted(section):
                out[section] = [
                    self._render_item(stage_key, stage_name, d)
                    for d in definitions
                    if d.item_id[0] == section
                ]
        for section in ("timers", "integrations"):
            if not wanted(section):
                continue
            rendered = []
            for (group_section, group_key), info in self.groups.items():
                if group_section != section or info.since_revision > revision:
                    continue
                entry: dict[str, Any] = {"key": group_key, "name": info.name}
                if section == "timers":
                    entry["description"] = info.description
                else:
                    entry["pluginType"] = info.plugin_type
                entry["configs"] = [
                    self._render_item(stage_key, stage_name, d)
                    for d in definitions
                    if d.item_id[0] == section and d.group_key == group_key
                ]
                rendered.append(entry)
            out[section] = rendered
        if wanted("libraries"):
            out["libraries"] = []
        return out

    def _render_item(self, stage_key: str, stage_name: str, definition: Definition) -> dict[str, Any]:
        item = definition.item
        value = self.value(stage_key, definition, stage_name)
        secret = item.secret
        return {
            "key": definition.key,
            "name": item.name,
            "description": item.description,
            "dataType": item.data_type,
            "defaultValue": None if secret else item.default,
            "deployedValue": None if secret else value.deployed_value,
            "value": None if secret else value.value,
            "valueOrigin": value.value_origin,
            "deployedValueOrigin": value.deployed_origin,
            "isSecret": secret,
            "valueSetAfterDeploy": value.value != value.deployed_value if secret else None,
            "updatedAt": value.updated_at.isoformat().replace("+00:00", "Z") if value.updated_at else None,
            "filename": None,
        }


def _group_info(section: str, key: str, group: ConfigGroup) -> GroupInfo:
    plugin = group.plugin_type or ("RestConsumer" if section == "integrations" else None)
    return GroupInfo(section, key, group.name, group.description, plugin, group.since_revision)


def _find(
    known: dict[ItemId, Definition], section: str, group: str, entry: dict[str, Any], where: str
) -> Definition:
    key = entry.get("key")
    definition = known.get((section, group, key)) if isinstance(key, str) else None
    if definition is None:
        raise ApiProblem(400, f"{where} does not exist in the revision baseline", error_code="OS-SIM-40001")
    return definition


_CHECKS = {
    "Integer": re.compile(r"^[+-]?\d+$"),
    "LongInteger": re.compile(r"^[+-]?\d+$"),
    "Boolean": re.compile(r"^(true|false)$", re.IGNORECASE),
    "Date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "Time": re.compile(r"^\d{2}:\d{2}(:\d{2})?$"),
    "DateTime": re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?"),
    "Email": re.compile(r"^[^@\s]+@[^@\s]+$"),
}


def _check_type(definition: Definition, raw: str | None) -> None:
    if raw is None:
        return
    data_type = definition.item.data_type
    pattern = _CHECKS.get(data_type)
    ok = bool(pattern.match(raw)) if pattern else True
    if data_type in ("Decimal", "Currency"):
        try:
            Decimal(raw)
        except InvalidOperation:
            ok = False
    if not ok:
        raise ApiProblem(
            400,
            f"value {raw!r} is not a valid {data_type} for {definition.item.name!r}",
            error_code="OS-SIM-40002",
        )
