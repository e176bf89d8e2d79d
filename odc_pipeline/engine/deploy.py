"""deploy: bring each app to its revision and build in the target stage, in dependency order.

Rules, each for a reason:

* an app already running the same revision and build is skipped (unless ``force``): re-runs
  must be no-ops;
* a ``Running`` deployment of the same asset and stage is attached to, not duplicated, so a
  re-run after a cancelled CI job waits for the deploy it left behind instead of starting a
  second one; someone else's running operation is waited for before ours starts;
* configuration changes are PATCHed right before the app's own deploy (which applies them);
* producers deploy before consumers (Dependency Management API), independent apps in
  parallel up to ``max-parallel``; the first failure stops new deploys;
* with ``rollback-on-failure`` a failure stops new deploys and the runner hands the stage to
  :mod:`odc_pipeline.engine.rollback`, which moves every asset this run moved back (the deploy
  steps keep the forward outcome; the rollback outcome is reported beside it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from odc_pipeline.api.errors import OutcomeUnknownError
from odc_pipeline.engine import configure
from odc_pipeline.engine.build import find_reusable
from odc_pipeline.engine.context import (
    AssetState,
    RunContext,
    StepTimer,
    msg,
    outcome_unknown,
    unfinished_status,
)
from odc_pipeline.engine.operations import (
    RUNNING,
    first_error,
    history_hint,
    operation_messages,
    running_operations,
    start_operation,
    wait_operation,
)
from odc_pipeline.engine.resolve import deployments_by_asset
from odc_pipeline.engine.scheduler import run_in_order, topological_levels
from odc_pipeline.engine.stage_reads import KINDS, SharedAnswer
from odc_pipeline.errors import (
    CancelledError,
    OdcPipelineError,
    OperationFailedError,
    OperationTimeoutError,
    UsageError,
)
from odc_pipeline.platforms.base import DeployOutcome
from odc_pipeline.report import Message, StepResult, StepStatus

STAGE = "deploy"


def _env_name(ctx: RunContext) -> str:
    return ctx.target.name if ctx.target else "the target stage"


def deploy_order(ctx: RunContext, apps: list[AssetState]) -> list[list[AssetState]]:
    """Topological levels of the apps to deploy (producers first); raises on cycles."""
    by_key = {a.key: a for a in apps}
    levels = topological_levels([a.key for a in apps], {a.key: a.producers for a in apps})
    return [[by_key[k] for k in level] for level in levels]


def _ensure_build(ctx: RunContext, asset: AssetState) -> None:
    """Without a build stage, deploy what exists: a Finished Release build, else say so."""
    if asset.build_key is None:
        asset.build_key = find_reusable(ctx, asset)
    from odc_pipeline.engine.options import selected_stages

    # A plan may deploy a build its own build stage would start; without one it would fail too.
    building = ctx.plan and "build" in selected_stages(ctx.spec, ctx.options)
    if asset.build_key is None and not building:
        raise UsageError(
            f"{asset.label}: no Finished {ctx.platform.terms.unit} of r{asset.revision} exists; "
            f"{build_hint(ctx)}"
        )


def build_hint(ctx: RunContext) -> str:
    """What to change so a build happens, matching the file and the command line as they are."""
    if "build" not in ctx.spec.stages:
        return "add `build: {}` to the pipeline's stages so one is built"
    if ctx.options.only and "build" not in ctx.options.only:
        return (
            f"the pipeline file has a build stage, but --only {','.join(ctx.options.only)} leaves it out; "
            f"add it (--only build,{','.join(ctx.options.only)}) or run the build stage first"
        )
    return "the pipeline file has a build stage, but --skip build leaves it out; drop build from --skip"


def _attach_or_wait(ctx: RunContext, asset: AssetState, shared: SharedAnswer | None = None) -> str | None:
    """Handle operations already running on this asset in the stage.

    Returns the key of a running Deploy of exactly our revision (and build) that we attached
    to and that finished; waits out anything else first. ``shared``: the stage read taken for
    the deploys starting together with this one (else the asset's own read).
    """
    attached = None
    running = shared.operations if shared is not None else None
    if running is None:
        running = running_operations(ctx, asset.key, KINDS)
    for operation in running:
        key = operation.key
        same = (
            operation.kind == "Deploy"
            and asset.revision in operation.revisions
            and (not operation.unit_key or operation.unit_key == asset.build_key)
        )
        what = f"{'running deploy' if same else 'operation already running'} {key} of {asset.label}"
        ctx.reporter.info(
            f"attaching to {what}" if same else f"waiting for {what} before deploying", asset=asset.label
        )
        with ctx.tracking(key, what):
            final = wait_operation(ctx, operation, what=what, stage=STAGE)
        if same:
            if not final.succeeded:
                raise _failure(ctx, asset, key, final.status, attached=True)
            attached = key
    return attached


def _failure(
    ctx: RunContext, asset: AssetState, key: str, status: str, *, attached: bool = False
) -> OperationFailedError:
    messages = operation_messages(ctx, key, only_problems=True)
    reason = first_error(messages) or "see the deployment messages in the run report"
    error = OperationFailedError(
        f"{asset.label}: deployment {key} of r{asset.revision} to {_env_name(ctx)} ended {status}: {reason}"
    )
    error.messages = messages  # type: ignore[attr-defined]
    error.operation_key = key  # type: ignore[attr-defined]
    return error


def start_deploy(
    ctx: RunContext, asset: AssetState, revision: int, build_key: str, *, label: str
) -> tuple[str, DeployOutcome]:
    started = start_operation(ctx, asset.ref, kind="Deploy", revision=revision, build_key=build_key)
    key = started.key
    asset.deploy_key = key  # known before the wait: a cancel can say which deploy applies the values
    what = f"{label} {key} of {asset.label} r{revision} to {_env_name(ctx)}"
    ctx.reporter.info(f"started {what}", asset=asset.label)
    with ctx.tracking(key, what):
        # a start answer that is already final is not polled (and needs no duration hint)
        hint = history_hint(ctx, asset.key, "Deploy") if started.status == RUNNING else None
        final = wait_operation(ctx, started, what=what, stage=STAGE, hint=hint)
    return key, final


def _record_failure(
    ctx: RunContext,
    asset: AssetState,
    timer: StepTimer,
    error: OperationFailedError,
    *,
    revision: int | None,
    operation_key: str | None,
    messages: Iterable[Message],
) -> None:
    """A failed deploy that changed nothing: the stage still runs ``revision``, as before."""
    ctx.record(
        timer.result(
            StepStatus.FAILED,
            str(error),
            revision_before=revision,
            revision_after=revision,
            build_key=asset.build_key,
            operation_key=operation_key,
            messages=tuple(messages),
        )
    )


def deploy_one(ctx: RunContext, asset: AssetState) -> StepResult:
    """Everything for one app: attach/wait, configure, deploy (rollback: see ``rollback.py``)."""
    timer = StepTimer(ctx, asset, STAGE)
    before = asset.deployed_revision
    shared = ctx.stage_reads.take(ctx, asset.key)
    try:
        attached = _attach_or_wait(ctx, asset, shared)
    except OperationFailedError as error:
        ctx.record(
            timer.result(
                StepStatus.FAILED,
                str(error),
                revision_before=before,
                build_key=asset.build_key,
                operation_key=getattr(error, "operation_key", None),
                messages=getattr(error, "messages", ()),
            )
        )
        raise
    if attached:
        asset.revision_after = asset.revision
        asset.deployed = True
        applied = configure.changes_left_after_deploy(ctx, asset)
        if asset.config_changes:
            configure.apply_configs(ctx, asset, revision=asset.revision)
        elif applied:
            asset.config_applied, asset.config_applied_by = True, attached
            configure.configure_step(
                ctx,
                asset,
                StepTimer(ctx, asset, configure.STAGE),
                applied,
                how=f"applied by the running deploy {attached} this run attached to",
                operation_key=attached,
            )
        return ctx.record(
            timer.result(
                StepStatus.SUCCEEDED,
                f"attached to running deployment {attached}; r{asset.revision} now runs (was r{before})",
                revision_before=before,
                revision_after=asset.revision,
                build_key=asset.build_key,
                operation_key=attached,
            )
        )
    if shared is not None and shared.operations:
        shared = None  # it waited those out: what runs now is read again
    if not asset.up_to_date:
        _refresh(ctx, asset, shared)  # an operation may have finished since resolve (a re-run after a cancel)
    if asset.up_to_date and not ctx.force:
        if asset.config_changes:
            configure.apply_configs(ctx, asset)
        asset.revision_after = asset.revision
        return ctx.record(
            timer.result(
                StepStatus.UNCHANGED,
                f"r{asset.revision} (build {asset.build_key}) already runs in {_env_name(ctx)}",
                revision_before=before,
                revision_after=asset.revision,
                build_key=asset.build_key,
            )
        )
    config_timer = StepTimer(ctx, asset, configure.STAGE)
    changes = configure.patch_asset(ctx, asset, deploying=True) if asset.config_changes else []
    assert asset.revision is not None
    assert asset.build_key is not None
    try:
        key, final = start_deploy(ctx, asset, asset.revision, asset.build_key, label="deploy")
    except OutcomeUnknownError as exc:
        error = outcome_unknown(asset, f"deploy of r{asset.revision} to {_env_name(ctx)}", exc)
        ctx.record(
            timer.result(StepStatus.FAILED, str(error), revision_before=before, build_key=asset.build_key)
        )
        raise error from None
    except OdcPipelineError as exc:
        _record_unfinished(ctx, asset, timer, exc)
        raise
    if not final.succeeded:
        error = _failure(ctx, asset, key, final.status)
        _record_failed_configuration(ctx, asset, config_timer, changes, key)
        messages = getattr(error, "messages", ())
        _record_failure(ctx, asset, timer, error, revision=before, operation_key=key, messages=messages)
        raise error
    if changes:
        asset.config_patched = False
        asset.config_applied = True
        configure.configure_step(
            ctx, asset, config_timer, changes, how="applied by the deploy", operation_key=key
        )
    asset.revision_after = asset.revision
    asset.deployed = True
    return ctx.record(
        timer.result(
            StepStatus.SUCCEEDED,
            f"deployed r{asset.revision} to {_env_name(ctx)} (was {_was(before)})",
            revision_before=before,
            revision_after=asset.revision,
            build_key=asset.build_key,
            operation_key=key,
        )
    )


def _record_unfinished(ctx: RunContext, asset: AssetState, timer: StepTimer, error: BaseException) -> None:
    """Our deploy was started but not seen to end (status reads failed, timeout, cancel)."""
    key = asset.deploy_key
    if key is None or key not in ctx.in_flight.snapshot():
        return
    ctx.record(
        timer.result(
            unfinished_status(error),
            f"deploy {key} of r{asset.revision} still running in ODC ({error}); what runs in "
            f"{_env_name(ctx)} afterwards is unknown until it finishes",
            revision_before=asset.deployed_revision,
            revision_after=None,
            build_key=asset.build_key,
            operation_key=key,
        )
    )


def _record_failed_configuration(
    ctx: RunContext, asset: AssetState, timer: StepTimer, changes: list[Any], key: str
) -> None:
    """After a failed deploy the PATCHed values stay pending (a rollback may set them back)."""
    if changes:
        configure.configure_step(
            ctx, asset, timer, changes, how=f"deploy {key} failed", operation_key=key, applied=False
        )


def _refresh(ctx: RunContext, asset: AssetState, shared: SharedAnswer | None = None) -> None:
    """Re-read what runs now, right before deciding to deploy (one GET per app, unless the
    deploys starting together shared one read: ``shared``)."""
    if shared is not None:
        deployment = shared.running
    else:
        deployment = deployments_by_asset(ctx, [asset.key], ctx.target_key).get(asset.key)
    if (
        deployment is not None
        and deployment.revision == asset.revision
        and deployment.unit_key == asset.build_key
    ):
        asset.deployed_revision = deployment.revision
        asset.deployed_build_key = deployment.unit_key


def _was(revision: int | None) -> str:
    return f"r{revision}" if revision is not None else "not deployed"


def rollback_plan(ctx: RunContext, asset: AssetState, *, deploys: bool) -> dict[str, Any]:
    """``--plan`` with ``rollback-on-failure``: what a failed run would return this asset to.

    The target is what runs now (read at resolve), the same value a real rollback uses.
    """
    if not ctx.spec.deploy.rollback_on_failure or not (deploys or asset.config_changes):
        return {}
    before, build = asset.deployed_revision, asset.deployed_build_key
    if deploys and before is None:
        text = f"on failure: would undeploy it (it did not run in {_env_name(ctx)} before)"
        target: dict[str, Any] = {"undeploy": True}
    elif deploys:
        text = f"on failure: would roll back to r{before} (build {build})"
        target = {"revision": before, "build_key": build}
    else:
        text = f"on failure: would set its configuration values back on r{before} (ApplyConfigs)"
        target = {"revision": before, "build_key": build}
    secrets = [c for c in asset.config_changes if c.secret and c.before is None]
    if secrets and before is not None:
        text += f"; {len(secrets)} secret value(s) ODC does not read back would keep the new value"
    return {"messages": [msg("info", text, "rollback")], "details": {"rollback_to": target}}


def plan_one(ctx: RunContext, asset: AssetState) -> None:
    timer = StepTimer(ctx, asset, STAGE)
    if asset.up_to_date and not ctx.force:
        summary = f"r{asset.revision} (build {asset.build_key}) already runs in {_env_name(ctx)}: no deploy"
        if asset.config_changes:
            summary += "; configuration would be applied with ApplyConfigs"
        ctx.record(
            timer.result(
                StepStatus.UNCHANGED,
                summary,
                revision_before=asset.deployed_revision,
                revision_after=asset.revision,
                build_key=asset.build_key,
                **rollback_plan(ctx, asset, deploys=False),
            )
        )
        return
    build = asset.build_key or "the new Release build"
    was = f"r{asset.deployed_revision}" if asset.deployed_revision is not None else "not deployed"
    ctx.record(
        timer.result(
            StepStatus.PLANNED,
            f"would deploy r{asset.revision} ({build}) to {_env_name(ctx)}, replacing {was}",
            revision_before=asset.deployed_revision,
            revision_after=asset.revision,
            build_key=asset.build_key,
            **rollback_plan(ctx, asset, deploys=True),
        )
    )


def prepare_deploys(ctx: RunContext, *, building: Iterable[str] = ()) -> list[AssetState]:
    """Libraries noted, the deploy order fixed (a cycle stops the run here, before any change),
    every app's build known; in a plan, each app's planned step. Returns the apps, producers first.

    ``building``: keys of apps whose new build the per-asset flow has not finished yet (their
    build key arrives with it, so it is not looked up here).
    """
    apps = []
    for asset in ctx.assets:
        if asset.is_library:
            ctx.record(
                StepTimer(ctx, asset, STAGE).result(
                    StepStatus.SKIPPED,
                    "library: not deployed on its own; it ships inside the apps that use it",
                    revision_after=asset.revision,
                )
            )
        else:
            apps.append(asset)
    levels = deploy_order(ctx, apps)
    ctx.deploy_levels = [[a.key for a in level] for level in levels]
    if len(levels) > 1:
        ctx.reporter.info(
            "deploy order: " + " → ".join(", ".join(a.label for a in level) for level in levels)
        )
    pending = set(building)
    for asset in apps:
        if asset.key not in pending:
            _ensure_build(ctx, asset)
    if ctx.plan:
        for level in levels:
            for asset in level:
                plan_one(ctx, asset)
    return [a for level in levels for a in level]


def record_not_deployed(
    ctx: RunContext,
    apps: Iterable[AssetState],
    errors: dict[str, BaseException],
    not_started: Iterable[str],
    *,
    reason: BaseException | None,
) -> None:
    """Say what happened to every app whose deploy did not end in a recorded step: never
    started (cancelled, or stopped by ``reason``), or raised before its step was recorded."""
    by_key = {a.key: a for a in apps}
    cancelled = ctx.cancel.is_set() or isinstance(reason, CancelledError)
    for key in not_started:
        asset = by_key[key]
        text = "cancelled before it started" if cancelled else f"not started: {reason}"
        ctx.record(
            StepTimer(ctx, asset, STAGE).result(
                StepStatus.CANCELLED if cancelled else StepStatus.SKIPPED,
                text,
                revision_before=asset.deployed_revision,
                revision_after=asset.deployed_revision,
            )
        )
    recorded = {s.asset_key for s in ctx.steps if s.stage == STAGE}
    for key, exc in errors.items():
        if key in recorded or key not in by_key:  # deploy_one said what happened
            continue
        asset = by_key[key]
        if isinstance(exc, CancelledError):
            status, text = (
                StepStatus.CANCELLED,
                f"cancelled while deploying; the operation keeps running in {ctx.platform.terms.platform}",
            )
        elif isinstance(exc, OperationTimeoutError):
            status, text = (
                StepStatus.TIMED_OUT,
                f"{exc}; the operation keeps running in {ctx.platform.terms.platform}",
            )
        else:  # a failure before or around the deploy (an API error): the forward outcome, said once
            status, text = StepStatus.FAILED, str(exc)
        ctx.record(
            StepTimer(ctx, asset, STAGE).result(
                status, text, revision_before=asset.deployed_revision, operation_key=asset.deploy_key
            )
        )


def run_deploy(ctx: RunContext) -> None:
    """The deploy stage as one step: apps in dependency order, parallel where independent."""
    apps = prepare_deploys(ctx)
    if ctx.plan:
        return
    by_key = {a.key: a for a in apps}
    outcome = run_in_order(
        list(by_key),
        {a.key: a.producers for a in apps},
        lambda key: deploy_one(ctx, by_key[key]),
        # a platform that runs one deployment per target at a time gets them one by one
        max_parallel=ctx.max_parallel if ctx.platform.capabilities.parallel_deploys else 1,
        cancel=ctx.cancel,
    )
    error = outcome.first_error
    record_not_deployed(ctx, apps, outcome.errors, outcome.not_started, reason=error)
    if error is not None:
        raise error
    if ctx.cancel.is_set():
        raise CancelledError("cancelled during deploy")
