"""ODC configuration: settings, timers and integrations of an asset in a stage.

Values PATCHed are *pending*: the next Deploy or ApplyConfigs of (stage, asset) applies them,
whoever starts it. That is why ``Capabilities.configuration_before_deploy`` is true on ODC
and the engine PATCHes right before the asset's own deploy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from odc_pipeline.api.errors import NotFoundError
from odc_pipeline.engine.values import ValueConversionError, convert_value, normalise
from odc_pipeline.platforms.base import AssetRef, ConfigurationValueError, EnvironmentRef, SettingChange

if TYPE_CHECKING:
    from odc_pipeline.engine.options import AssetConfigSpec, DesiredValue

MASKED_VALUES = {"", "***", "********"}


@dataclass(frozen=True)
class OdcConfiguration:
    """``deployed``: the running revision's AssetConfig (None: none runs, or none readable);
    ``upcoming``: the AssetConfig of the revision to deploy when it differs (None otherwise)."""

    deployed: Any = None
    upcoming: Any = None


def is_agent(asset: AssetRef) -> bool:
    return asset.asset_type == "Agent"


def read(
    client: Any,
    environment: EnvironmentRef,
    asset: AssetRef,
    *,
    revision: int | None,
    running_revision: int | None,
) -> OdcConfiguration:
    configs = client.configurations
    agent = is_agent(asset)
    deployed = None
    if running_revision is not None:
        try:
            deployed = configs.get_deployed(environment.key, asset.key, agent=agent)
        except NotFoundError:
            deployed = None
    upcoming = None
    if revision is not None and (deployed is None or revision != running_revision):
        upcoming = configs.get_for_revision(environment.key, asset.key, revision, agent=agent)
    return OdcConfiguration(deployed=deployed, upcoming=upcoming)


def patch_model(body: Mapping[str, Any]) -> Any:
    """Build the client's request model when it has one; a plain mapping otherwise."""
    try:
        from odc_pipeline.api import models

        model = getattr(models, "AssetConfigPatch", None) or getattr(models, "ApplicationConfigPatch", None)
    except ImportError:  # pragma: no cover - the client always ships its models
        model = None
    return model.model_validate(dict(body)) if model is not None else dict(body)


def write(client: Any, environment: EnvironmentRef, asset: AssetRef, body: Mapping[str, Any]) -> None:
    """PATCH only the changed values (they stay pending until a Deploy/ApplyConfigs)."""
    client.configurations.patch(environment.key, asset.key, patch_model(body), agent=is_agent(asset))


def probe_edit(client: Any, environment: EnvironmentRef, asset: AssetRef) -> None:
    """``Configuration management > Edit configurations`` in the target, before any change.

    An empty PATCH (``{}``: no setting, timer or integration) needs that permission and names
    nothing to change. UNDOC whether ODC records anything for it; README names the decision.
    Any answer but 403 means the permission is there (an ASP.NET server authorizes before it
    validates the body).
    """
    from odc_pipeline.api.errors import ApiError, PermissionDeniedError
    from odc_pipeline.api.models import AssetConfigPatch

    try:
        client.configurations.patch(environment.key, asset.key, AssetConfigPatch(), agent=is_agent(asset))
    except PermissionDeniedError:
        raise
    except ApiError as exc:  # 400 for an empty patch still says the permission was granted
        if exc.status is None or exc.status >= 500:
            raise


def _items(obj: Any, name: str) -> list[Any]:
    return list(getattr(obj, name, None) or ()) if obj is not None else []


def _find(items: Sequence[Any], wanted: str) -> Any | None:
    for item in items:
        if getattr(item, "name", None) == wanted or getattr(item, "key", None) == wanted:
            return item
    return None


def _names(items: Sequence[Any]) -> str:
    return ", ".join(str(getattr(i, "name", None) or getattr(i, "key", "")) for i in items) or "none"


def _readable(item: Any, attr: str) -> str | None:
    value = getattr(item, attr, None)
    if value is None:
        return None
    text = str(value)
    if getattr(item, "is_secret", False) and text in MASKED_VALUES:
        return None
    return text


def _change(
    secrets: Any, asset: str, section: str, owner: Any, item: Any, *, desired: DesiredValue
) -> SettingChange | None:
    """Compare one desired value with what is deployed and pending; None when nothing changes."""
    data_type = getattr(item, "data_type", None)
    owner_part = f"{owner.name or owner.key}." if owner is not None else ""
    label = f"{asset}: {section}.{owner_part}{item.name or item.key}"
    try:
        after = convert_value(desired.for_type(data_type), str(data_type) if data_type else None)
    except ValueConversionError as exc:
        shown = "***" if desired.secret or getattr(item, "is_secret", False) else repr(desired.text)
        raise ConfigurationValueError(f"{label} ({data_type}) = {shown}: {exc}") from None
    secret = bool(getattr(item, "is_secret", False)) or desired.secret
    if secret:
        secrets.register(after)
    deployed = _readable(item, "deployed_value")
    pending = _readable(item, "value")
    data = str(data_type) if data_type else None
    unknown = secret and deployed is None and pending is None
    effective_after_apply = pending if pending is not None else deployed
    needs_patch = unknown or normalise(effective_after_apply, data) != after
    needs_apply = unknown or normalise(deployed, data) != after
    if not (needs_patch or needs_apply):
        return None
    return SettingChange(
        section=section,
        owner=str(getattr(owner, "name", "") or "") if owner is not None else "",
        owner_key=str(getattr(owner, "key", "") or "") if owner is not None else "",
        name=str(getattr(item, "name", "") or item.key),
        key=str(item.key),
        before=deployed,
        after=after,
        secret=secret,
        needs_patch=needs_patch,
        unknown=unknown,
        pending_before=pending if normalise(pending, data) != normalise(deployed, data) else None,
    )


def diff(
    client: Any,
    environment: EnvironmentRef,
    asset: AssetRef,
    desired: AssetConfigSpec,
    *,
    revision: int | None,
    running_revision: int | None,
    secrets: Any,
) -> tuple[list[SettingChange], int | None]:
    """The changes for one asset and the revision baseline to send (for settings new in it).

    Values are compared with what is deployed *and* pending: a pending value is applied by the
    next deploy of the asset, anyone's, so it counts as what the stage will run.
    """
    read_ = read(client, environment, asset, revision=revision, running_revision=running_revision)
    deployed, upcoming = read_.deployed, read_.upcoming
    changes: list[SettingChange] = []
    needs_baseline = False

    def lookup(section: str, wanted: str, owner_name: str | None = None) -> tuple[Any, bool]:
        """Find a setting (or timer/integration) by name or key: deployed first, then upcoming."""
        for source, is_new in ((deployed, False), (upcoming, True)):
            items = _items(source, section)
            if owner_name is not None:
                owner = _find(items, owner_name)
                items = _items(owner, "configs") if owner is not None else []
            found = _find(items, wanted)
            if found is not None:
                return found, is_new and deployed is not None
        available = _items(upcoming or deployed, section)
        if owner_name is not None:
            owner = _find(available, owner_name)
            available = _items(owner, "configs") if owner is not None else []
        where = f"{section}.{owner_name}" if owner_name else section
        raise ConfigurationValueError(
            f"{asset.name}: no {where[:-1] if not owner_name else where} named {wanted!r} "
            f"in {'revision ' + str(revision) if upcoming is not None else 'the deployed revision'}; "
            f"available: {_names(available)}"
        )

    for name, value in desired.settings.items():
        item, is_new = lookup("settings", name)
        needs_baseline |= is_new
        change = _change(secrets, asset.name, "settings", None, item, desired=value)
        if change:
            change.new_in_revision = is_new
            changes.append(change)
    for section, entries in (("timers", desired.timers), ("integrations", desired.integrations)):
        for owner_name, values in entries.items():
            owner, _ = lookup(section, owner_name)
            for config_name, value in values.items():
                item, is_new = lookup(section, config_name, owner_name=owner.name or owner.key)
                needs_baseline |= is_new
                change = _change(secrets, asset.name, section, owner, item, desired=value)
                if change:
                    change.new_in_revision = is_new
                    changes.append(change)
    baseline = revision if (needs_baseline or deployed is None) and upcoming is not None else None
    return changes, baseline


def patch_body(changes: Sequence[SettingChange], baseline: int | None) -> dict[str, Any]:
    """The ApplicationConfigPatch JSON: only the changed values, grouped as the API wants."""
    body: dict[str, Any] = {}
    settings = [{"key": c.key, "value": c.after} for c in changes if c.section == "settings"]
    if settings:
        body["settings"] = settings
    for section in ("timers", "integrations"):
        grouped: dict[str, list[dict[str, str]]] = {}
        for c in changes:
            if c.section == section:
                grouped.setdefault(c.owner_key, []).append({"key": c.key, "value": c.after})
        if grouped:
            body[section] = [{"key": k, "configs": v} for k, v in grouped.items()]
    if baseline is not None and body:
        body["revisionBaseline"] = baseline
    return body
