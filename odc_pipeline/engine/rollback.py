"""Release-level rollback: after a failed deploy or verify, the stage runs what it ran before.

``rollback-on-failure`` is the ``--atomic`` of a release. On ODC a failed deployment leaves the
previous revision live, so redeploying the failed app alone is almost always a no-op; what
leaves a stage inconsistent is the apps this run *already* moved. So, when the deploy or verify
stage fails (a failed deploy, a failed check, a timeout — not a cancel), nothing new starts and
every app this run touched is taken back to the revision and build that ran before the run
(read at resolve):

* consumers before their producers (the reverse of the deploy order), independent apps in
  parallel up to ``max-parallel``; a producer whose consumer could not be rolled back keeps
  the new revision (the consumer still needs it);
* each app first waits for operations still running on it (our own timed-out deploy, or
  someone else's), then reads deployed-assets: an app that still runs what ran before (the
  failed one, usually) is not redeployed — the report says its previous revision stayed live;
* configuration values this run PATCHed are PATCHed back to the values read at resolve right
  before the rollback deploy (which applies them); an app that kept its revision gets an
  ApplyConfigs when the new values had been applied. A secret ODC does not read back cannot be
  set back: the report says so per value;
* an app that did not run in the stage before the run is undeployed (the Deployments API's
  ``Undeploy`` operation), so the stage returns to "not running" as well;
* every start POST has a find-again hook, every wait is ``ctx.wait`` (timeout, heartbeat,
  cancel), so the at-most-once, waiting and rate-limit rules are the forward deploy's;
* a final deployed-assets read checks what runs afterwards; ``still_on_new`` lists the apps
  that do not run what ran before, and the run exits 9 (rollback incomplete).

A re-run after an incomplete rollback needs no state from here: resolve reads what runs and
the run brings the stage forward as the file says.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from odc_pipeline.engine import configure
from odc_pipeline.engine.context import AssetState, RunContext, SettingChange
from odc_pipeline.engine.deploy import STAGE, start_deploy
from odc_pipeline.engine.operations import (
    RUNNING,
    history_hint,
    operation_messages,
    running_operations,
    start_operation,
    status_of,
    wait_operation,
)
from odc_pipeline.engine.resolve import deployments_by_asset
from odc_pipeline.engine.scheduler import run_in_order, topological_levels
from odc_pipeline.errors import (
    CancelledError,
    ExitCode,
    OdcPipelineError,
    OperationTimeoutError,
    RollbackIncompleteError,
    RolledBackError,
)
from odc_pipeline.report import AssetRollback, Message, RollbackReport, StepStatus, ValueRestore

TRIGGER_STAGES = frozenset({"deploy", "verify"})
FOLD = "rollback"


def applies(ctx: RunContext, stage: str, error: BaseException) -> bool:
    """A failure in deploy or verify, with ``rollback-on-failure``, not a plan, not a cancel,
    on a platform that can move a stage back (``capabilities.rollback``)."""
    return (
        ctx.spec.deploy.rollback_on_failure
        and ctx.platform.capabilities.rollback
        and not ctx.plan
        and stage in TRIGGER_STAGES
        and not isinstance(error, CancelledError)
        and not ctx.cancel.is_set()
    )


def touched(ctx: RunContext) -> list[AssetState]:
    """Apps this run changed, or tried to: a deploy started or attached to, values PATCHed."""
    return [
        a
        for a in ctx.assets
        if not a.is_library and (a.deployed or a.deploy_key is not None or a.config_sent or a.config_applied)
    ]


def roll_back(ctx: RunContext, error: BaseException) -> BaseException:
    """Roll the stage back after ``error``; returns the error the run ends with.

    Clean rollback: a :class:`RolledBackError` with the failure's own exit code. Incomplete:
    :class:`RollbackIncompleteError` (exit 9). Cancelled during the rollback: a
    :class:`CancelledError` (exit 130); the runner lists what is still in flight.
    """
    assets = touched(ctx)
    if not assets:
        ctx.reporter.info("rollback-on-failure: this run changed nothing in the stage; nothing to roll back")
        return error
    reason = str(error) if isinstance(error, OdcPipelineError) else f"{type(error).__name__}: {error}"
    ctx.reporter.stage_started(FOLD)
    ctx.reporter.warning(
        f"rolling back {len(assets)} asset(s) to what ran in {_env(ctx)} before the run: "
        + ", ".join(_target_text(a) for a in assets)
    )
    forward = _forward_outcomes(ctx)
    try:
        results = _run_levels(
            ctx, assets, lambda a: _roll_back_one(ctx, a, forward.get(a.key, "not-started"))
        )
    except Exception as exc:  # a bug here must still end in a report that says the stage is not back
        summary = f"rollback stopped: {type(exc).__name__}: {exc}"
        results = {a.key: _result(a, "failed", summary, forward=forward.get(a.key, "")) for a in assets}
    results = _check_final(ctx, assets, results)
    ordered = tuple(results[a.key] for a in assets)
    still = tuple(
        r.asset
        for r in ordered
        if (r.revision_now, r.build_key_now) != (r.revision_target, r.build_key_target)
        and not (r.build_key_target is None and r.revision_now == r.revision_target)
    )
    for asset in assets:
        result = results[asset.key]
        if result.revision_now is not None or result.outcome in {"undeployed", "not-deployed"}:
            asset.revision_after = result.revision_now
    return conclude(ctx, error, reason, ordered, still, still_on="still on the revisions this run deployed")


def conclude(
    ctx: RunContext,
    error: BaseException,
    reason: str,
    ordered: tuple[AssetRollback, ...],
    still: tuple[str, ...],
    *,
    still_on: str,
) -> BaseException:
    """The rollback's status, its report and the error the run ends with, for every platform.

    One place, so that a clean, an incomplete and a cancelled rollback read and exit alike
    whichever platform rolled back (ODC per asset here, LifeTime with one plan back).
    """
    if ctx.cancel.is_set():
        status = "cancelled"
    elif all(r.ok for r in ordered) and not still:
        status = "complete"
    else:
        status = "incomplete"
    ctx.rollback = RollbackReport(
        status=status,
        reason=ctx.secrets.redact(reason),
        assets=tuple(redacted(ctx, r) for r in ordered),
        still_on_new=still,
    )
    folded = {"complete": StepStatus.ROLLED_BACK, "cancelled": StepStatus.CANCELLED}
    ctx.reporter.stage_finished(FOLD, folded.get(status, StepStatus.FAILED))
    exit_code = ExitCode(getattr(error, "exit_code", ExitCode.FAILED))
    if status == "cancelled":
        return CancelledError(f"cancelled during the rollback after: {reason}")
    if status == "complete":
        done = ", ".join(f"{r.asset} {r.outcome}" for r in ordered)
        return RolledBackError(f"{reason} — rolled back: {done}", exit_code=exit_code)
    ctx.reporter.error(f"rollback incomplete; {still_on}: " + ", ".join(still))
    return RollbackIncompleteError(
        f"{reason} — rollback incomplete: "
        + "; ".join(f"{r.asset}: {r.summary}" for r in ordered if not r.ok or r.asset in still)
    )


# ---------------------------------------------------------------------------- ordering


def _run_levels(
    ctx: RunContext, assets: list[AssetState], work: Callable[[AssetState], AssetRollback]
) -> dict[str, AssetRollback]:
    """Consumers first; a producer waits for its consumers and is kept if one stays on new."""
    by_key = {a.key: a for a in assets}
    consumers = {a.key: [c.key for c in assets if a.key in c.producers] for a in assets}
    results: dict[str, AssetRollback] = {}
    for level in topological_levels(list(by_key), consumers):
        runnable = []
        for key in level:
            asset = by_key[key]
            blocked = [results[c] for c in consumers[key] if not results[c].ok]
            if ctx.cancel.is_set():
                results[key] = _result(asset, "not-started", "cancelled before its rollback started")
            elif blocked:
                names = ", ".join(b.asset for b in blocked)
                results[key] = _result(
                    asset, "kept", f"kept on r{asset.revision}: {names}, which uses it, was not rolled back"
                )
            else:
                runnable.append(key)
        outcome = run_in_order(
            runnable,
            {},
            lambda key: work(by_key[key]),
            max_parallel=ctx.max_parallel,
            cancel=ctx.cancel,
        )
        results.update(outcome.results)
        for key, exc in outcome.errors.items():  # work() converts failures; this is a bug's safety net
            results[key] = _result(by_key[key], "failed", f"rollback failed: {type(exc).__name__}: {exc}")
        for key in outcome.not_started:
            results[key] = _result(by_key[key], "not-started", "cancelled before its rollback started")
    return results


def _result(asset: AssetState, outcome: str, summary: str, **fields: Any) -> AssetRollback:
    return AssetRollback(
        asset=asset.label,
        asset_key=asset.key,
        forward=fields.pop("forward", ""),
        outcome=outcome,
        revision_new=asset.revision,
        revision_target=asset.deployed_revision,
        build_key_target=asset.deployed_build_key if asset.deployed_revision is not None else None,
        summary=summary,
        **fields,
    )


def _forward_outcomes(ctx: RunContext) -> dict[str, str]:
    return {s.asset_key: str(s.status) for s in ctx.steps if s.stage == STAGE}


# ---------------------------------------------------------------------------- one asset


def _roll_back_one(ctx: RunContext, asset: AssetState, forward: str) -> AssetRollback:
    """Wait for what runs on the asset, read what it runs, then redeploy/undeploy/restore."""
    messages: list[Message] = []
    state: dict[str, Any] = {"values": [], "operation_key": None}

    def result(outcome: str, summary: str) -> AssetRollback:
        return _result(
            asset,
            outcome,
            summary,
            forward=forward,
            operation_key=state["operation_key"],
            messages=tuple(messages),
            values=tuple(state["values"]),
        )

    try:
        return _act(ctx, asset, messages, state, result)
    except Exception as exc:  # a rollback must report every asset, whatever one of them raised
        # values PATCHed back before the operation that applies them stopped: still pending
        state["values"] = _mark(state["values"], "pending", "the operation that applies them did not finish")
        return result(*_stopped_by(exc, state["operation_key"]))


def _stopped_by(exc: Exception, key: str | None) -> tuple[str, str]:
    """(outcome, summary) for a rollback of one asset that raised ``exc``."""
    if isinstance(exc, CancelledError):
        return "cancelled", "cancelled during its rollback" + (f"; {key} keeps running in ODC" if key else "")
    if isinstance(exc, OperationTimeoutError):
        return "timed-out", f"rollback timed out: {exc}"
    if isinstance(exc, OdcPipelineError):
        return "failed", f"rollback failed: {exc}"
    return "failed", f"rollback failed: {type(exc).__name__}: {exc}"


def _act(
    ctx: RunContext,
    asset: AssetState,
    messages: list[Message],
    state: dict[str, Any],
    result: Callable[[str, str], AssetRollback],
) -> AssetRollback:
    target, build = asset.deployed_revision, asset.deployed_build_key
    _wait_for_running(ctx, asset)
    now = deployments_by_asset(ctx, [asset.key], ctx.target_key).get(asset.key)
    now_revision = int(now.revision) if now is not None and now.revision is not None else None
    now_build = now.unit_key if now is not None else None
    env = _env(ctx)
    if target is None:
        state["values"] = [
            ValueRestore(c.where, "not-applicable", f"{asset.label} did not run in {env} before the run")
            for c in asset.config_sent
        ]
        if now is None:
            return result("not-deployed", f"did not run in {env} before the run and does not run now")
        ctx.reporter.warning(f"undeploying: it did not run in {env} before the run", asset=asset.label)
        key, final = _undeploy(ctx, asset, state)
        if not final.succeeded:
            messages.extend(operation_messages(ctx, key, only_problems=True))
            return result("failed", f"undeploy {key} ended {status_of(final)}; r{now_revision} still runs")
        return result("undeployed", f"undeployed ({key}): it did not run in {env} before the run")
    runs_target = now_revision == target and (build is None or now_build == build)
    applying = not runs_target or asset.config_applied  # an operation will apply what is PATCHed
    values, patched, repend = _restore_values(ctx, asset, target, applying=applying)
    state["values"] = values
    if runs_target:
        if patched and asset.config_applied:
            key, final = _apply_configs(ctx, asset, target, state)
            if not final.succeeded:
                state["values"] = _mark(values, "pending", f"ApplyConfigs {key} ended {status_of(final)}")
                messages.extend(operation_messages(ctx, key, only_problems=True))
                return result("failed", f"r{target} runs; ApplyConfigs {key} of the restored values failed")
            state["values"] = _repend(ctx, asset, target, repend, values)
            return result("restored", f"r{target} runs; configuration set back (ApplyConfigs {key})")
        if patched:
            _settle_pending(asset, values)
        if asset.deployed:
            return result("unchanged", f"r{target} (build {build}) ran before and runs now")
        return result("stayed-live", f"r{target} (build {build}), which ran before, stayed live")
    if build is None:
        return result("failed", f"no build of r{target} is known, so it cannot be redeployed")
    ctx.reporter.warning(f"rolling back to r{target} (build {build})", asset=asset.label)
    key, final = _redeploy(ctx, asset, target, build, state)
    if not final.succeeded:
        state["values"] = _mark(values, "pending", f"the rollback deploy {key} ended {status_of(final)}")
        messages.extend(operation_messages(ctx, key, only_problems=True))
        was = f"r{now_revision}" if now_revision is not None else "nothing"
        return result("failed", f"rollback deploy {key} to r{target} ended {status_of(final)}; {was} runs")
    state["values"] = _repend(ctx, asset, target, repend, values)
    return result("rolled-back", f"rolled back to r{target} (build {build}) by {key}")


def _wait_for_running(ctx: RunContext, asset: AssetState) -> None:
    """Operations still running on the asset (a timed-out deploy of ours, or anyone's) first."""
    for operation in running_operations(ctx, asset.key, ["Deploy", "ApplyConfigs", "Undeploy"]):
        key = str(operation.key)
        what = f"operation {key} of {asset.label}, still running"
        ctx.reporter.info(f"waiting for {what} before rolling back", asset=asset.label)
        with ctx.tracking(key, what):
            wait_operation(ctx, key, what=what, stage=STAGE)


def _redeploy(
    ctx: RunContext, asset: AssetState, revision: int, build: str, state: dict[str, Any]
) -> tuple[str, Any]:
    previous = asset.deploy_key
    try:
        key, final = start_deploy(ctx, asset, revision, build, label="rollback deploy")
    except BaseException:  # cancelled or timed out while waiting: the key ODC accepted still counts
        if asset.deploy_key != previous:
            state["operation_key"] = asset.deploy_key
        raise
    state["operation_key"] = key
    return key, final


def _undeploy(ctx: RunContext, asset: AssetState, state: dict[str, Any]) -> tuple[str, Any]:
    """``Undeploy`` (Deployments API): asset and stage only; the same find-again and wait."""
    started = start_operation(ctx, asset.ref, kind="Undeploy")
    key = state["operation_key"] = started.key
    what = f"undeploy {key} of {asset.label} from {_env(ctx)}"
    ctx.reporter.info(f"started {what}", asset=asset.label)
    with ctx.tracking(key, what):
        final = wait_operation(ctx, started, what=what, stage=STAGE)  # a final answer is not polled
    return key, final


def _apply_configs(
    ctx: RunContext, asset: AssetState, revision: int, state: dict[str, Any]
) -> tuple[str, Any]:
    started = start_operation(ctx, asset.ref, kind="ApplyConfigs", revision=revision)
    key = state["operation_key"] = started.key
    what = f"ApplyConfigs {key} of {asset.label} (restored values)"
    with ctx.tracking(key, what):
        hint = history_hint(ctx, asset.key, "ApplyConfigs") if started.status == RUNNING else None
        final = wait_operation(ctx, started, what=what, stage=STAGE, hint=hint)
    return key, final


# ---------------------------------------------------------------------------- configuration


def _restore_candidates(asset: AssetState) -> list[SettingChange]:
    """Values this run PATCHed, and values already pending before it that its deploy applied."""
    applied = configure.already_pending(asset, asset.config_sent) if asset.config_applied else []
    return [*asset.config_sent, *applied]


def _restore_values(
    ctx: RunContext, asset: AssetState, revision: int, *, applying: bool
) -> tuple[list[ValueRestore], bool, list[SettingChange]]:
    """PATCH the values this run changed back to what was read at resolve.

    ``applying``: an operation (the rollback deploy, an ApplyConfigs) follows and applies the
    PATCH, so the *deployed* value is sent now and a value that was pending before the run is
    set pending again afterwards (:func:`_repend`, the third item returned). Without one, the
    value that was pending (else the deployed one) is sent: the stage is then as before.
    Returns one entry per value, whether a PATCH was sent, and the values to set pending again.
    A refused PATCH does not stop the rollback deploy: the revision matters more than the
    values, and the report says so.
    """
    restorable: list[SettingChange] = []
    values: list[ValueRestore] = []
    for change in _restore_candidates(asset):
        if change.new_in_revision:
            values.append(ValueRestore(change.where, "not-applicable", f"r{revision} does not have it"))
        elif change.before is None and change.secret:
            values.append(
                ValueRestore(
                    change.where,
                    "unrestorable",
                    "a secret ODC does not read back: it keeps the value this run set",
                )
            )
        elif change.before is None:
            values.append(
                ValueRestore(
                    change.where, "unrestorable", "it had no value before the run; a PATCH cannot unset it"
                )
            )
        else:
            restorable.append(change)
    if not restorable:
        return values, False, []

    def sent(change: SettingChange) -> str:
        pending = change.pending_before
        return str(change.before) if applying or pending is None else pending

    body = ctx.platform.configuration_body(
        [dataclasses.replace(c, after=sent(c)) for c in restorable], revision
    )
    try:
        ctx.platform.write_configuration(ctx.target, asset.ref, body)
    except CancelledError:
        raise
    except OdcPipelineError as exc:
        values += [ValueRestore(c.where, "failed", f"PATCH refused: {exc}") for c in restorable]
        return values, False, []
    for change in restorable:
        note = "back to the value read at resolve" if change.secret else f"back to {change.before}"
        if not applying and change.pending_before is not None and not change.secret:
            note = f"back to pending {change.pending_before} (it runs {change.before})"
        values.append(ValueRestore(change.where, "restored", note))
    repend = [c for c in restorable if applying and c.pending_before is not None]
    return values, True, repend


def _repend(
    ctx: RunContext,
    asset: AssetState,
    revision: int,
    changes: list[SettingChange],
    values: list[ValueRestore],
) -> list[ValueRestore]:
    """After the rollback applied the deployed values: what was pending before is pending again."""
    if not changes:
        return values
    body = ctx.platform.configuration_body(
        [dataclasses.replace(c, after=str(c.pending_before)) for c in changes], revision
    )
    try:
        ctx.platform.write_configuration(ctx.target, asset.ref, body)
        status, suffix = "restored", "its pending value {} set pending again"
    except CancelledError:
        raise
    except OdcPipelineError as exc:
        status, suffix = "failed", f"its pending value {{}} could not be set again: {exc}"
    names = {c.where: c for c in changes}
    out = []
    for value in values:
        change = names.get(value.name)
        if change is None or value.status != "restored":
            out.append(value)
            continue
        shown = "***" if change.secret else str(change.pending_before)
        out.append(dataclasses.replace(value, status=status, note=f"{value.note}; {suffix.format(shown)}"))
    return out


def _settle_pending(asset: AssetState, values: list[ValueRestore]) -> None:
    """Pending values set back to the running ones no longer wait for a deploy to apply them."""
    if not any(v.status == "unrestorable" for v in values):
        asset.config_patched = False


def _mark(values: list[ValueRestore], status: str, note: str) -> list[ValueRestore]:
    return [
        dataclasses.replace(v, status=status, note=f"{v.note}; {note}") if v.status == "restored" else v
        for v in values
    ]


# ---------------------------------------------------------------------------- afterwards


def _check_final(
    ctx: RunContext, assets: list[AssetState], results: dict[str, AssetRollback]
) -> dict[str, AssetRollback]:
    """One deployed-assets read: what every touched app runs after the rollback."""
    try:
        running = deployments_by_asset(ctx, [a.key for a in assets], ctx.target_key)
    except OdcPipelineError as exc:  # then trust the operations' outcomes
        ctx.reporter.warning(f"could not read what runs after the rollback: {exc}")
        return {
            key: dataclasses.replace(r, revision_now=r.revision_target, build_key_now=r.build_key_target)
            if r.ok
            else r
            for key, r in results.items()
        }
    checked = {}
    for asset in assets:
        result = results[asset.key]
        now = running.get(asset.key)
        revision = int(now.revision) if now is not None and now.revision is not None else None
        build = now.unit_key if now is not None else None
        result = dataclasses.replace(result, revision_now=revision, build_key_now=build)
        expected = (result.revision_target, result.build_key_target)
        same = (revision, build) == expected or (expected[1] is None and revision == expected[0])
        if result.ok and not same:
            shown = f"r{revision} (build {build})" if revision is not None else "nothing"
            result = dataclasses.replace(
                result,
                outcome="failed",
                summary=f"{result.summary}; but {_env(ctx)} now runs {shown}",
            )
        checked[asset.key] = result
    return checked


def redacted(ctx: RunContext, result: AssetRollback) -> AssetRollback:
    """The result as reported: summary, messages and value notes redacted."""
    return dataclasses.replace(
        result,
        summary=ctx.secrets.redact(result.summary),
        messages=tuple(dataclasses.replace(m, text=ctx.secrets.redact(m.text)) for m in result.messages),
        values=tuple(dataclasses.replace(v, note=ctx.secrets.redact(v.note)) for v in result.values),
    )


def _env(ctx: RunContext) -> str:
    return ctx.target.name if ctx.target else "the target stage"


def _target_text(asset: AssetState) -> str:
    if asset.deployed_revision is None:
        return f"{asset.label} → not deployed"
    return f"{asset.label} → r{asset.deployed_revision}"
