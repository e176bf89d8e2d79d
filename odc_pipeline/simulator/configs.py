"""Asset configurations per stage: definitions from the tenant, values that move.

A PATCH sets ``value`` (the "last set value"); it stays pending (``value`` differs from
``deployedValue``) until the next successful Deploy or ApplyConfigs of that asset in that stage
copies it over. Secret values are never shown (``value``/``deployedValue`` are null);
``valueSetAfterDeploy`` tells that a secret is pending.

Libraries are not configured on their own: their settings and integrations are configured in
each app that consumes them (``libraries`` in the result and in the PATCH, per the spec), with
values of their own per app and stage. Their items live here under the section prefix
``libraries/<library key>/`` so pending values move with the app's Deploy or ApplyConfigs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
LIBRARY_PREFIX = "libraries/"


@dataclass(frozen=True)
class LibraryLink:
    """A library an app bundles: which revision, and the configurations that revision declares."""

    key: str
    name: str
    revision: int
    spec: Configurations


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
    libraries: dict[str, LibraryLink] = field(default_factory=dict)
    # app revision -> keys of the configurable libraries it bundles (absent: none)
    library_use: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        asset_key: str,
        spec: Configurations,
        libraries: dict[int, list[LibraryLink]] | None = None,
    ) -> AssetConfigs:
        """``libraries``: per app revision, the libraries it bundles (configured in this app)."""
        definitions: dict[ItemId, Definition] = {}
        groups: dict[tuple[str, str], GroupInfo] = {}
        _add_sections(asset_key, "", spec, definitions, groups)
        links: dict[str, LibraryLink] = {}
        use: dict[int, tuple[str, ...]] = {}
        for revision, bundled in (libraries or {}).items():
            use[revision] = tuple(link.key for link in bundled)
            for link in bundled:
                if link.key not in links:
                    links[link.key] = link
                    prefix = f"{LIBRARY_PREFIX}{link.key}/"
                    _add_sections(link.key, prefix, link.spec, definitions, groups)
        return cls(asset_key, definitions, groups, libraries=links, library_use=use)

    def value(self, stage_key: str, definition: Definition, stage_name: str) -> Value:
        slot = (stage_key, definition.item_id)
        if slot not in self.values:
            deployed = definition.item.values.get(stage_name, definition.item.default)
            default_origin = (
                "LibraryLevelDefault"
                if definition.item_id[0].startswith(LIBRARY_PREFIX)
                else "ApplicationLevelDefault"
            )
            origin = "EnvironmentLevelOverride" if stage_name in definition.item.values else default_origin
            self.values[slot] = Value(deployed, deployed, origin, origin)
        return self.values[slot]

    def bundled(self, revision: int) -> list[LibraryLink]:
        """The configurable libraries app revision ``revision`` bundles."""
        return [self.libraries[key] for key in self.library_use.get(revision, ())]

    def in_revision(self, revision: int) -> list[Definition]:
        """Definitions that exist for app revision ``revision`` (library items: in its library revision)."""
        own = [
            d
            for d in self.definitions.values()
            if not d.item_id[0].startswith(LIBRARY_PREFIX) and d.since_revision <= revision
        ]
        for link in self.bundled(revision):
            prefix = f"{LIBRARY_PREFIX}{link.key}/"
            own += [
                d
                for d in self.definitions.values()
                if d.item_id[0].startswith(prefix) and d.since_revision <= link.revision
            ]
        return own

    def patch(
        self, stage_key: str, stage_name: str, revision: int, body: dict[str, Any], now: datetime
    ) -> None:
        """Validate every change first (keys exist in ``revision``, values parse), then set all."""
        known = {d.item_id: d for d in self.in_revision(revision)}
        changes = self._changes(known, "", body, f"revision {revision}")
        bundled = {link.key: link for link in self.bundled(revision)}
        for entry in body.get("libraries") or []:
            link = bundled.get(entry.get("key"))
            if link is None:
                raise ApiProblem(
                    400,
                    f"library key {entry.get('key')!r} has no configurations in revision {revision} "
                    "of this asset (it does not bundle that library)",
                    error_code="OS-SIM-40003",
                )
            if entry.get("revision") is not None and entry["revision"] != link.revision:
                raise ApiProblem(
                    400,
                    f"revision {revision} of this asset bundles revision {link.revision} of "
                    f"{link.name}, not {entry['revision']}",
                    error_code="OS-SIM-40004",
                )
            prefix = f"{LIBRARY_PREFIX}{link.key}/"
            changes += self._changes(known, prefix, entry, f"{link.name} revision {link.revision}")
        for definition, raw in changes:
            _check_type(definition, raw)
        for definition, raw in changes:
            value = self.value(stage_key, definition, stage_name)
            value.value = raw
            value.value_origin = "EnvironmentLevelOverride"
            value.updated_at = now

    def _changes(
        self, known: dict[ItemId, Definition], prefix: str, body: dict[str, Any], where: str
    ) -> list[tuple[Definition, str | None]]:
        """The (definition, new value) pairs one app or library part of a PATCH asks for."""
        changes: list[tuple[Definition, str | None]] = []
        for section in ("settings", "systemConfigurations"):
            for entry in body.get(section) or []:
                label = f"{section} key {entry.get('key')!r}"
                changes.append((_find(known, prefix + section, "", entry, label), entry.get("value")))
        for section in ("timers", "integrations"):
            for group in body.get(section) or []:
                group_key = group.get("key")
                if (prefix + section, group_key) not in self.groups:
                    raise ApiProblem(400, f"{section} key {group_key!r} does not exist in {where}")
                for entry in group.get("configs") or []:
                    label = f"{section} {group_key!r} config {entry.get('key')!r}"
                    changes.append(
                        (_find(known, prefix + section, group_key, entry, label), entry.get("value"))
                    )
        return changes

    def apply(self, stage_key: str) -> int:
        """Make every pending value of this stage deployed; returns how many changed."""
        changed = 0
        for (stage, _), value in self.values.items():
            if stage == stage_key and value.value != value.deployed_value:
                value.deployed_value = value.value
                value.deployed_origin = value.value_origin
                changed += 1
        return changed

    def pending_snapshot(self, stage_key: str) -> dict[ItemId, tuple[str | None, str]]:
        """What a deployment starting now will apply: each pending value and its origin."""
        return {item: (v.value, v.value_origin) for item, v in self.pending(stage_key).items()}

    def apply_snapshot(self, stage_key: str, snapshot: dict[ItemId, tuple[str | None, str]]) -> None:
        """A finished Deploy/ApplyConfigs makes the values it took at its start deployed."""
        for item, (value, origin) in snapshot.items():
            slot = self.values[(stage_key, item)]
            slot.deployed_value = value
            slot.deployed_origin = origin

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

        def wanted(name: str) -> bool:
            return fields is None or name in fields

        out = self._render_sections(
            stage_key,
            stage_name,
            definitions,
            prefix="",
            revision=revision,
            sections=[s for s in SECTIONS if wanted(s)],
        )
        if wanted("libraries"):
            out["libraries"] = []
            for link in self.bundled(revision):
                prefix = f"{LIBRARY_PREFIX}{link.key}/"
                library = {"key": link.key, "name": link.name, "revision": link.revision}
                library["revisionBaseline"] = link.revision
                library.update(
                    self._render_sections(
                        stage_key,
                        stage_name,
                        definitions,
                        prefix=prefix,
                        revision=link.revision,
                        sections=LIBRARY_SECTIONS,
                    )
                )
                out["libraries"].append(library)
        return out

    def _render_sections(
        self,
        stage_key: str,
        stage_name: str,
        definitions: list[Definition],
        *,
        prefix: str,
        revision: int,
        sections: Sequence[str],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for section in sections:
            if section in ("settings", "systemConfigurations"):
                out[section] = [
                    self._render_item(stage_key, stage_name, d)
                    for d in definitions
                    if d.item_id[0] == prefix + section
                ]
                continue
            rendered = []
            for (group_section, group_key), info in self.groups.items():
                if group_section != prefix + section or info.since_revision > revision:
                    continue
                entry: dict[str, Any] = {"key": group_key, "name": info.name}
                if section == "timers":
                    entry["description"] = info.description
                else:
                    entry["pluginType"] = info.plugin_type
                entry["configs"] = [
                    self._render_item(stage_key, stage_name, d)
                    for d in definitions
                    if d.item_id[0] == prefix + section and d.group_key == group_key
                ]
                rendered.append(entry)
            out[section] = rendered
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


SECTIONS = ("settings", "systemConfigurations", "timers", "integrations")
LIBRARY_SECTIONS = ("systemConfigurations", "settings", "integrations")  # LibraryConfigResult: no timers


def _add_sections(
    owner_key: str,
    prefix: str,
    spec: Configurations,
    definitions: dict[ItemId, Definition],
    groups: dict[tuple[str, str], GroupInfo],
) -> None:
    """Definitions of one asset's configuration sections, under ``prefix`` (libraries)."""
    for section, items in (
        ("settings", spec.settings),
        ("systemConfigurations", spec.system_configurations),
    ):
        for item in items:
            key = item.key or derive_key(owner_key, section, item.name)
            item_id = (prefix + section, "", key)
            definitions[item_id] = Definition(item_id, item, key, "", item.since_revision)
    for section, group_specs in (("timers", spec.timers), ("integrations", spec.integrations)):
        for group in group_specs:
            group_key = group.key or derive_key(owner_key, section, group.name)
            groups[(prefix + section, group_key)] = _group_info(section, group_key, group)
            configs = (
                group.configs
                if group.configs is not None
                else (list(DEFAULT_TIMER_CONFIGS) if section == "timers" else [])
            )
            for item in configs:
                key = item.key or derive_key(group_key, item.name)
                since = max(group.since_revision, item.since_revision)
                item_id = (prefix + section, group_key, key)
                definitions[item_id] = Definition(item_id, item, key, group_key, since)


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
        # A secret's value is never echoed over HTTP, not even the one that was refused.
        shown = "the value" if definition.item.secret else f"value {raw!r}"
        raise ApiProblem(
            400,
            f"{shown} is not a valid {data_type} for {definition.item.name!r}",
            error_code="OS-SIM-40002",
        )
