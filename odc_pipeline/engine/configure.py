"""configure: bring settings, timers and integrations to the values in the pipeline file.

Pending configuration values in ODC are global to (stage, asset): whichever Deploy or
ApplyConfigs runs next applies them, including someone else's. So the difference is computed
early (to check names and values, and to show it in ``--plan``) but PATCHed as late as
possible — right before the asset's own deploy — and only for values that change. Without a
deploy stage, the values are applied with an ``ApplyConfigs`` operation and waited for.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from odc_pipeline.engine.options import AssetConfigSpec
from odc_pipeline.errors import OperationFailedError
from odc_pipeline.platforms.base import ConfigurationValueError
from odc_pipeline.report import Message, StepResult, StepStatus

STAGE = "configure"


def diff_config(
    ctx: RunContext, asset: AssetState, desired: AssetConfigSpec, *, now_running: bool = False
) -> tuple[list[SettingChange], int | None]:
    """The changes for one asset and the revision baseline to send (for settings new in it).

    ``now_running``: the asset's revision has just been deployed (an attached deploy finished),
    so the deployed configuration is the one to compare with.
    """
    assert ctx.target is not None, "resolve runs first"
    return ctx.platform.diff_configuration(
        ctx.target,
        asset.ref,
        desired,
        revision=asset.revision,
        running_revision=asset.revision if now_running else asset.deployed_revision,
        secrets=ctx.secrets,
    )


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
    body = ctx.platform.configuration_body(changes, asset.config_revision_baseline)
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
