"""Release-level rollback on a platform that deploys one plan (LifeTime): one plan back.

The promise is ODC's (:mod:`.rollback`): after a failed deploy (``finished_with_errors``,
``aborted``, an intervention that is not the two-step preparation, a timeout) or a failed
verify, nothing new starts and every application this run moved runs again the version that
ran in the target before the run (read at resolve). The report, statuses and exit codes are
the same (``RunReport.rollback``; ``rolled-back`` keeps the failure's exit code,
``rollback-incomplete`` is exit 9), so every CI back-end shows it unchanged. What differs:

* LifeTime may leave a failed plan partly deployed, so which applications moved is read from
  ``AppStatusInEnvs`` once the target has settled (the platform's ``settle_target``: this
  run's plan waiting for an intervention is aborted, running plans are waited out);
* an application that still runs what ran before needs nothing (``stayed-live``); the ones
  that moved go back in **one** plan (``roll_back_plan``: the client's plan finder, started
  once, ``ctx.wait``; cancel aborts it like a forward plan);
* an application that did not run in the target before cannot be undeployed through the
  LifeTime API: it is reported (``failed``, the run is ``rollback-incomplete``);
* site properties this run set cannot be read back (the Properties API has no read): each
  value is reported ``unrestorable``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from odc_pipeline.engine.context import AssetState, RunContext
from odc_pipeline.engine.context import msg as message
from odc_pipeline.engine.rollback import FOLD, conclude
from odc_pipeline.errors import (
    CancelledError,
    OdcPipelineError,
    OperationTimeoutError,
)
from odc_pipeline.report import AssetRollback, StepStatus, ValueRestore

STAGE = "deploy"  # the rollback plan waits with the deploy stage's timeout and prior
NOT_READABLE = (
    "the Properties API has no read: its value before the run is unknown, it keeps the value this run set"
)
CANNOT_UNDEPLOY = "the LifeTime API cannot undeploy an application: remove it from {env} in LifeTime"


def _env(ctx: RunContext) -> str:
    return ctx.target.name if ctx.target else "the target environment"


def _new_version(asset: AssetState) -> str | None:
    return asset.resolved.version if asset.resolved is not None else None


def _in_plan(ctx: RunContext) -> list[AssetState]:
    """Applications the run's plan deploys (their version is not the one that ran before)."""
    return [a for a in ctx.assets if a.build_key and a.build_key != a.deployed_build_key]


def _own_plans(ctx: RunContext) -> list[str]:
    keys = {a.deploy_key for a in ctx.assets if a.deploy_key}
    return sorted(keys | set(ctx.in_flight.snapshot()))


def _properties_set(ctx: RunContext) -> dict[str, list[ValueRestore]]:
    """Site properties this run set (configure steps that succeeded), as unrestorable values."""
    options = getattr(ctx.spec, "platform_options", None)
    wanted = getattr(options, "site_properties", {}) or {}
    done = {s.asset_key for s in ctx.steps if s.stage == "configure" and s.status is StepStatus.SUCCEEDED}
    found: dict[str, list[ValueRestore]] = {}
    for asset in ctx.assets:
        if asset.key not in done:
            continue
        modules = wanted.get(asset.spec.name or "", wanted.get(asset.spec.key or "", {}))
        found[asset.key] = [
            ValueRestore(f"site property {module}.{value.name}", "unrestorable", NOT_READABLE)
            for module, values in modules.items()
            for value in values
        ]
    return found


def roll_back(ctx: RunContext, error: BaseException) -> BaseException:
    """Roll the target back after ``error``; returns the error the run ends with (as ODC's)."""
    own = _own_plans(ctx)
    in_plan = _in_plan(ctx) if own else []
    values = _properties_set(ctx)
    assets = [a for a in ctx.assets if a in in_plan or a.key in values]
    if not assets:
        ctx.reporter.info("rollback-on-failure: this run changed nothing in the target; nothing to roll back")
        return error
    assert ctx.target is not None
    reason = str(error) if isinstance(error, OdcPipelineError) else f"{type(error).__name__}: {error}"
    ctx.reporter.stage_started(FOLD)
    ctx.reporter.warning(
        f"rolling back {len(assets)} application(s) to what ran in {_env(ctx)} before the run: "
        + ", ".join(f"{a.label} → {a.deployed_version or 'not deployed'}" for a in assets)
    )
    forward = {s.asset_key: str(s.status) for s in ctx.steps if s.stage == STAGE}
    base = {
        a.key: AssetRollback(
            asset=a.label,
            asset_key=a.key,
            forward=forward.get(a.key, "not-started" if a in in_plan else "unchanged"),
            outcome="failed",
            build_key_target=a.deployed_build_key,
            version_new=_new_version(a) if a in in_plan else a.deployed_version,
            version_target=a.deployed_version,
            values=tuple(values.get(a.key, ())),
        )
        for a in assets
    }
    results = _act(ctx, assets, own, base)
    results = _check_final(ctx, assets, results)
    ordered = tuple(results[a.key] for a in assets)
    still = tuple(r.asset for r in ordered if r.build_key_now != r.build_key_target)
    for asset in assets:
        asset.tag = results[asset.key].version_now
    return conclude(ctx, error, reason, ordered, still, still_on="not on the versions that ran before")


def _act(
    ctx: RunContext, assets: list[AssetState], own: list[str], base: dict[str, AssetRollback]
) -> dict[str, AssetRollback]:
    """Settle, read what moved, one plan back for the moved ones; every asset gets a result."""
    assert ctx.target is not None
    platform = ctx.platform
    env = _env(ctx)
    results = dict(base)

    def every(outcome: str, summary: str, keys: Any = None) -> None:
        for key in keys if keys is not None else list(results):
            results[key] = dataclasses.replace(results[key], outcome=outcome, summary=summary)

    try:
        with contextlib.ExitStack() as stack:  # our plans still running end here, or stay listed
            for key, what in ctx.in_flight.snapshot().items():
                stack.enter_context(ctx.tracking(key, what))
            notes = platform.settle_target(ctx, ctx.target, own, stage=STAGE)
        for note in notes:
            ctx.reporter.info(note.text)
        now = platform.running_all(ctx.target, [a.ref for a in assets])
    except Exception as exc:  # every asset is then not known to be back
        every(*_stopped_by(exc, None, "before its rollback plan"))
        return results
    back = []
    for asset in assets:
        running = now.get(asset.key)
        now_key = running.unit_key if running is not None else None
        result = results[asset.key]
        if now_key == asset.deployed_build_key:
            if now_key is None:
                outcome, summary = "not-deployed", f"did not run in {env} before the run and does not run now"
            elif result.forward == "unchanged":
                outcome, summary = "unchanged", f"{asset.deployed_version} ran before and runs now"
            else:
                outcome, summary = "stayed-live", f"{asset.deployed_version}, which ran before, stayed live"
            results[asset.key] = dataclasses.replace(result, outcome=outcome, summary=summary)
        elif asset.deployed_build_key is None:
            shown = running.version if running is not None else now_key
            results[asset.key] = dataclasses.replace(
                result,
                summary=f"did not run in {env} before the run and now runs {shown}; "
                + CANNOT_UNDEPLOY.format(env=env),
            )
        else:
            back.append(asset)
    if not back:
        return results
    keys = [a.key for a in back]
    ctx.reporter.warning(
        f"one deployment plan back to {env}: " + ", ".join(f"{a.label} {a.deployed_version}" for a in back)
    )
    try:
        units = [(a.ref, a.deployed_build_key) for a in back]
        outcome = platform.roll_back_plan(ctx, ctx.target, units, stage=STAGE)
    except Exception as exc:  # cancel, timeout, a refused plan: per asset
        plan = next((k for k in ctx.in_flight.snapshot() if k not in own), None)
        every(*_stopped_by(exc, plan, "during its rollback plan"), keys)
        for key in keys:
            results[key] = dataclasses.replace(results[key], operation_key=plan)
        return results
    problems = tuple(m for m in outcome.messages if m.severity in {"error", "warning"})
    for asset in back:
        ok = outcome.succeeded
        summary = (
            f"rolled back to {asset.deployed_version} by plan {outcome.operation_key}"
            if ok
            else f"rollback plan {outcome.operation_key} to {asset.deployed_version} ended {outcome.status}"
        )
        results[asset.key] = dataclasses.replace(
            results[asset.key],
            outcome="rolled-back" if ok else "failed",
            operation_key=outcome.operation_key,
            summary=summary,
            messages=problems if not ok else (),
        )
    return results


def _stopped_by(exc: BaseException, key: str | None, when: str) -> tuple[str, str]:
    """(outcome, summary) for a rollback that raised ``exc``."""
    if isinstance(exc, CancelledError):
        listed = f"; plan {key} is aborted or listed in flight" if key else ""
        return "cancelled", f"cancelled {when}{listed}"
    if isinstance(exc, OperationTimeoutError):
        return "timed-out", f"rollback timed out {when}: {exc}"
    if isinstance(exc, OdcPipelineError):
        return "failed", f"rollback failed {when}: {exc}"
    return "failed", f"rollback failed {when}: {type(exc).__name__}: {exc}"


def _check_final(
    ctx: RunContext, assets: list[AssetState], results: dict[str, AssetRollback]
) -> dict[str, AssetRollback]:
    """One ``AppStatusInEnvs`` read: what every application runs after the rollback."""
    assert ctx.target is not None
    try:
        running = ctx.platform.running_all(ctx.target, [a.ref for a in assets])
    except Exception as exc:  # then trust the plan's outcome
        ctx.reporter.warning(f"could not read what runs after the rollback: {exc}")
        return {
            key: dataclasses.replace(r, build_key_now=r.build_key_target, version_now=r.version_target)
            if r.ok
            else r
            for key, r in results.items()
        }
    checked = {}
    for asset in assets:
        now = running.get(asset.key)
        result = dataclasses.replace(
            results[asset.key],
            build_key_now=now.unit_key if now is not None else None,
            version_now=now.version if now is not None else None,
        )
        if result.ok and result.build_key_now != result.build_key_target:
            result = dataclasses.replace(
                result,
                outcome="failed",
                summary=f"{result.summary}; but {_env(ctx)} now runs {result.version_now or 'nothing'}",
            )
        checked[asset.key] = result
    return checked


# ---------------------------------------------------------------------------- --plan


def annotate_plan(ctx: RunContext) -> None:
    """``--plan`` with ``rollback-on-failure``: each planned deploy step says what a failed run
    would return the application to (``details.rollback_to``), as on ODC."""
    if not ctx.spec.deploy.rollback_on_failure:
        return
    by_key = {a.key: a for a in ctx.assets}
    env = _env(ctx)
    for index, step in enumerate(ctx.steps):  # --plan: one thread, nothing records meanwhile
        asset = by_key.get(step.asset_key)
        if step.stage != STAGE or step.status is not StepStatus.PLANNED or asset is None:
            continue
        if asset.deployed_build_key is None:
            text = (
                f"on failure: it did not run in {env} before and cannot be undeployed through the "
                "LifeTime API (the run would report it)"
            )
            target: dict[str, Any] = {"undeploy": True, "supported": False}
        else:
            text = f"on failure: would roll back to {asset.deployed_version} (one plan back)"
            target = {"version": asset.deployed_version, "version_key": asset.deployed_build_key}
        ctx.steps[index] = dataclasses.replace(
            step,
            messages=(*step.messages, message("info", text, "rollback")),
            details={**step.details, "rollback_to": target},
        )
