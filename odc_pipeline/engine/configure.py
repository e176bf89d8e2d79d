"""configure: bring settings, timers and integrations to the values in the pipeline file.

Pending configuration values in ODC are global to (stage, asset): whichever Deploy or
ApplyConfigs runs next applies them, including someone else's. So the difference is computed
early (to check names and values, and to show it in ``--plan``) but PATCHed as late as
possible — right before the asset's own deploy — and only for values that change. Without a
deploy stage, the values are applied with an ``ApplyConfigs`` operation and waited for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from odc_pipeline.api.errors import OutcomeUnknownError
from odc_pipeline.engine.context import (
    AssetState,
    RunContext,
    SettingChange,
    StepTimer,
    msg,
    outcome_unknown,
)
from odc_pipeline.engine.operations import (
    FAILED,
    first_error,
    history_hint,
    operation_messages,
    start_operation,
    wait_operation,
)
from odc_pipeline.engine.options import AssetConfigSpec, DesiredValue
from odc_pipeline.engine.values import ValueConversionError, convert_value, normalise
from odc_pipeline.errors import OperationFailedError, UsageError
from odc_pipeline.report import Message, StepResult, StepStatus

STAGE = "configure"
MASKED_VALUES = {"", "***", "********"}


class ConfigurationValueError(UsageError):
    """A configured name does not exist or a value does not fit its data type."""


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
    ctx: RunContext, asset: str, section: str, owner: Any, item: Any, *, desired: DesiredValue
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
        ctx.secrets.register(after)
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


def diff_config(
    ctx: RunContext, asset: AssetState, desired: AssetConfigSpec, *, now_running: bool = False
) -> tuple[list[SettingChange], int | None]:
    """The changes for one asset and the revision baseline to send (for settings new in it).

    ``now_running``: the asset's revision has just been deployed (an attached deploy finished),
    so the deployed configuration is the one to compare with.
    """
    assert ctx.target is not None, "resolve runs first"
    running = asset.revision if now_running else asset.deployed_revision
    read = ctx.platform.read_configuration(
        ctx.target, asset.ref, revision=asset.revision, running_revision=running
    )
    deployed, upcoming = read.deployed, read.upcoming
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
            f"{asset.label}: no {where[:-1] if not owner_name else where} named {wanted!r} "
            f"in {'revision ' + str(asset.revision) if upcoming is not None else 'the deployed revision'}; "
            f"available: {_names(available)}"
        )

    for name, value in desired.settings.items():
        item, is_new = lookup("settings", name)
        needs_baseline |= is_new
        change = _change(ctx, asset.label, "settings", None, item, desired=value)
        if change:
            change.new_in_revision = is_new
            changes.append(change)
    for section, entries in (("timers", desired.timers), ("integrations", desired.integrations)):
        for owner_name, values in entries.items():
            owner, _ = lookup(section, owner_name)
            for config_name, value in values.items():
                item, is_new = lookup(section, config_name, owner_name=owner.name or owner.key)
                needs_baseline |= is_new
                change = _change(ctx, asset.label, section, owner, item, desired=value)
                if change:
                    change.new_in_revision = is_new
                    changes.append(change)
    baseline = asset.revision if (needs_baseline or deployed is None) and upcoming is not None else None
    return changes, baseline


def plan_configuration(ctx: RunContext) -> None:
    """Compute every asset's changes (read-only); names and values are checked here.

    Runs once per run: ``--from-plan`` computes the changes while checking the plan, before the
    configure stage would.
    """
    if ctx.config_diffed:
        return
    ctx.config_diffed = True
    by_name = {a.spec.name: a for a in ctx.assets if a.spec.name}
    by_key = {a.key: a for a in ctx.assets}
    for name, desired in ctx.spec.configure.items():
        asset = by_name.get(name) or by_key.get(name)
        if asset is None:
            raise ConfigurationValueError(
                f"configure names {name!r}, which is not one of the assets of this run"
            )
        if asset.is_library:
            ctx.reporter.warning(
                "library settings are set through the apps that use the library; entry ignored",
                asset=asset.label,
            )
            continue
        if desired.is_empty:
            continue
        asset.config_changes, asset.config_revision_baseline = diff_config(ctx, asset, desired)


def changes_left_after_deploy(ctx: RunContext, asset: AssetState) -> list[SettingChange]:
    """After attaching to a deploy that finished: which wanted values it did *not* apply.

    A deploy applies the values pending when it started (a cancelled run PATCHed them right
    before it), so re-diffing against what now runs keeps a re-run from sending an ApplyConfigs
    for values that deploy already applied. Returns the changes it applied.
    """
    desired = ctx.spec.configure.get(asset.spec.name or "") or ctx.spec.configure.get(asset.key)
    if desired is None or not asset.config_changes:
        return []
    wanted = list(asset.config_changes)
    asset.config_changes, asset.config_revision_baseline = diff_config(ctx, asset, desired, now_running=True)
    left = {(c.section, c.owner_key, c.key) for c in asset.config_changes}
    return [c for c in wanted if (c.section, c.owner_key, c.key) not in left]


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


def changes_to_patch(asset: AssetState, *, deploying: bool, force: bool) -> list[SettingChange]:
    """Which changes get PATCHed now.

    A secret ODC does not read back cannot be compared; it is sent whenever the asset deploys
    anyway (costs one PATCH, no extra deployment) and otherwise only with --force, so a re-run
    stays a no-op.
    """
    chosen = []
    for change in asset.config_changes:
        if change.unknown and not (deploying or force):
            continue
        if change.needs_patch or change.unknown:
            chosen.append(change)
    return chosen


def needs_apply(asset: AssetState, *, force: bool) -> bool:
    """Whether the live app would see a change (an ApplyConfigs is worth running)."""
    return any((not c.unknown) or force for c in asset.config_changes)


def patch_asset(ctx: RunContext, asset: AssetState, *, deploying: bool) -> list[SettingChange]:
    """PATCH the asset's changed values (pending until the next Deploy/ApplyConfigs)."""
    changes = changes_to_patch(asset, deploying=deploying, force=ctx.force)
    if not changes:
        return []
    body = patch_body(changes, asset.config_revision_baseline)
    assert ctx.target is not None, "resolve runs first"
    ctx.platform.write_configuration(ctx.target, asset.ref, body)
    asset.config_patched = True
    asset.config_sent.extend(c for c in changes if c not in asset.config_sent)
    return changes


def already_pending(asset: AssetState, sent: Sequence[SettingChange]) -> list[SettingChange]:
    """Changes ODC already holds as pending values: not PATCHed again, applied all the same."""
    return [c for c in asset.config_changes if c not in sent and not c.needs_patch and not c.unknown]


def change_lines(
    asset: AssetState, sent: Sequence[SettingChange], *, applied: bool, unsent_reason: str
) -> tuple[list[Message], int]:
    """One report line per change (secrets masked) and how many values the stage now runs with."""
    pending = already_pending(asset, sent)
    unsent = [c for c in asset.config_changes if c not in sent and c not in pending]
    lines = [msg("info", c.describe(), "configure") for c in sent]
    lines += [msg("info", f"{c.describe()} (was already pending in ODC)", "configure") for c in pending]
    lines += [msg("info", f"{c.describe()}: not sent ({unsent_reason})", "configure") for c in unsent]
    return lines, (len(sent) + len(pending)) if applied else 0


def deferred_step(ctx: RunContext, asset: AssetState, timer: StepTimer) -> StepResult:
    """The configure step of an asset whose values wait for its own deploy.

    Recorded as ``planned`` with ``details.deferred``; the deploy stage replaces it with what
    really happened (applied by the deploy, patched but not applied, or never sent).
    """
    lines = [msg("info", c.describe(), "configure") for c in asset.config_changes]
    count = len(asset.config_changes)
    return ctx.record(
        timer.result(
            StepStatus.PLANNED,
            f"{count} value(s) to change, set right before this asset's deploy",
            messages=lines,
            details={"changes": count, "deferred": True},
        )
    )


def configure_step(
    ctx: RunContext,
    asset: AssetState,
    timer: StepTimer,
    changes: Sequence[SettingChange],
    *,
    how: str,
    operation_key: str | None = None,
    applied: bool = True,
) -> StepResult:
    """Record the configure step of one asset, listing each change (secrets masked).

    ``changes`` are the values PATCHed; values already pending in ODC count as changed when
    ``applied``. With ``applied=False`` (a deploy that failed) the step is a warning: the values
    stay pending in ODC and the next deploy or ApplyConfigs of the asset — anyone's — applies them.
    """
    lines, changed = change_lines(
        asset, changes, applied=applied, unsent_reason="the asset does not deploy; use --force to set it"
    )
    if not applied and changes:
        status = StepStatus.WARNING
        summary = f"{len(changes)} value(s) PATCHed but not applied: {how}; they stay pending in ODC"
    elif changed:
        status = StepStatus.SUCCEEDED
        summary = f"{changed} value(s) changed, {how}"
    else:
        status = StepStatus.UNCHANGED
        summary = "configuration already as described"
    return ctx.record(
        timer.result(
            status, summary, messages=lines, operation_key=operation_key, details={"changes": changed}
        )
    )


def apply_configs(ctx: RunContext, asset: AssetState, *, revision: int | None = None) -> StepResult:
    """Patch and apply without a deploy: ApplyConfigs, then wait for it.

    ``revision`` is the revision running in the stage (default: what ran before the run);
    the spec calls it mandatory for ApplyConfigs although the how-to omits it.
    """
    timer = StepTimer(ctx, asset, STAGE)
    running = revision if revision is not None else asset.deployed_revision
    if running is None:
        raise OperationFailedError(
            f"{asset.label} does not run in {ctx.target.name if ctx.target else 'the target stage'}; "
            "configuration can only be applied to a deployed app (add a deploy stage)"
        )
    if not needs_apply(asset, force=ctx.force):
        return configure_step(ctx, asset, timer, [], how="")
    changes = patch_asset(ctx, asset, deploying=False)
    if not changes and not already_pending(asset, changes):
        return configure_step(ctx, asset, timer, [], how="")
    try:
        key = start_operation(ctx, asset.ref, kind="ApplyConfigs", revision=running).key
    except OutcomeUnknownError as exc:
        raise outcome_unknown(
            asset, f"ApplyConfigs in {ctx.target.name if ctx.target else 'the stage'}", exc
        ) from None
    asset.applying_key = key  # a run that stops now says which operation applies the values
    with ctx.tracking(key, f"ApplyConfigs of {asset.label}"):
        final = wait_operation(
            ctx,
            key,
            what=f"ApplyConfigs of {asset.label} ({key})",
            stage=STAGE,
            hint=history_hint(ctx, asset.key, "ApplyConfigs"),
        )
    if str(final.status) == FAILED:
        messages = operation_messages(ctx, key, only_problems=True)
        ctx.record(
            timer.result(
                StepStatus.FAILED,
                f"ApplyConfigs {key} finished with errors",
                operation_key=key,
                messages=messages,
            )
        )
        reason = first_error(messages) or "see the deployment messages"
        raise OperationFailedError(
            f"{asset.label}: applying configuration failed (operation {key}): {reason}"
        )
    asset.config_patched = False
    asset.config_applied = True
    return configure_step(ctx, asset, timer, changes, how="applied with ApplyConfigs", operation_key=key)
