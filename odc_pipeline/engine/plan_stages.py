"""The stages for a platform whose deployable unit is a plan of several applications.

ODC deploys asset by asset, producers first, each with its own build and analysis; LifeTime
tags application versions and deploys one plan holding every application
(``Capabilities.deploys_as_plan``). The promises are the same — resolve everything before
changing anything, change only what differs, gate on impact, start nothing twice, verify
what runs — so these stages keep them with the same ``RunContext``, steps, reporter, report
and exit codes as the ODC stages, speaking only to the platform seam:

* **resolve** — environments and applications by exact name, selectors → versions
  (``from:<env>`` through one ``running_all`` of that environment), what the target runs.
* **configure** — values are written *after* the deploy (``configures_after_deploy``, through
  ``Platform.configure_after_deploy``): the stage records what it will set; the deploy stage
  sets it once the plan finished. A platform without it is refused before anything changes.
* **build** — reuse the selected version, or produce one (LifeTime: tag the source
  environment) and wait until it is usable.
* **impact-analysis** — one ``analyse_all`` for every application that changes; a blocked gate
  is exit 4 (the platform has already removed the plan it analysed).
* **deploy** — one ``deploy_all``; a two-stage stop after preparation is the run's planned end
  (status ``prepared``, exit 0, the plan key in the step's ``operation_key``).
* **verify** — the target runs exactly the selected versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import requests

from odc_pipeline.engine.context import AssetState, RunContext, StepTimer, msg
from odc_pipeline.errors import GateBlockedError, OperationFailedError, UsageError
from odc_pipeline.platforms.base import (
    DeployRequest,
    ImpactRequest,
    PlatformNotSupportedError,
    ResolvedRevision,
    UnitRequest,
)
from odc_pipeline.report import StepStatus

BLOCKING = {"errors": ("Error",), "warnings": ("Error", "Warning"), "never": ()}


def _unit(state: AssetState) -> str | None:
    return state.build_key


def _version(state: AssetState) -> str:
    resolved = state.resolved
    return (resolved.version if resolved is not None else None) or "a new version"


# --- resolve ---------------------------------------------------------------------------------


def resolve(ctx: RunContext) -> None:
    platform = ctx.platform
    if ctx.options.approved is not None:
        raise UsageError(
            f"--from-plan is not available on {platform.terms.platform} yet: run without it "
            "(a two-stage deployment is the approval step there: two-stage: true, then continue)"
        )
    ctx.environments = tuple(platform.environments())
    ctx.target = platform.find_environment(
        ctx.environments, ctx.options.target or ctx.spec.target, role="target"
    )
    seen: dict[str, str] = {}
    for spec in ctx.spec.assets:
        found = platform.resolve_asset(name=spec.name, key=spec.key)
        if found.key in seen:
            raise UsageError(
                f"assets {seen[found.key]!r} and {spec.label!r} are the same application ({found.key})"
            )
        seen[found.key] = spec.label
        ctx.assets.append(AssetState(spec=spec, name=found.name, key=found.key, asset_type=found.asset_type))
    sources: dict[str, list[AssetState]] = {}
    for state in ctx.assets:
        selector = state.spec.revision.strip()
        if selector.startswith("from:"):
            sources.setdefault(selector[5:].strip(), []).append(state)
        else:
            state.resolved = platform.resolve_revision(state.ref, selector, label=state.label)
    for name, states in sources.items():
        source = platform.find_environment(ctx.environments, name, role="source")
        if source.key == ctx.target_key:
            raise UsageError(f"revision from:{name} names the target {platform.terms.environment} itself")
        running = platform.running_all(source, [s.ref for s in states])
        for state in states:
            found_running = running.get(state.key)
            if found_running is None or not found_running.unit_key:
                raise UsageError(
                    f"{state.label} does not run in {source.name}, so there is nothing to promote"
                )
            state.resolved = ResolvedRevision(
                version=found_running.version,
                key=found_running.unit_key,
                unit_key=found_running.unit_key,
                source=source,
            )
    assert ctx.target is not None
    current = platform.running_all(ctx.target, [s.ref for s in ctx.assets])
    for state in ctx.assets:
        resolved = state.resolved
        if resolved is not None and not resolved.needs_unit:
            state.build_key = resolved.unit_key
        running_now = current.get(state.key)
        if running_now is not None:
            state.deployed_build_key = running_now.unit_key
            state.deployed_version = running_now.version
            state.url = running_now.url
        state.tag = state.deployed_version
        ctx.reporter.info(
            f"{_version(state)} selected ({state.spec.revision}); "
            f"{ctx.target.name} runs {state.deployed_version or 'nothing'}",
            asset=state.label,
        )


# --- configure -------------------------------------------------------------------------------


def _site_properties(ctx: RunContext, state: AssetState) -> dict:
    options = getattr(ctx.spec, "platform_options", None)
    values = getattr(options, "site_properties", {}) or {}
    return dict(values.get(state.spec.name or "", values.get(state.spec.key or "", {})))


def configure(ctx: RunContext) -> None:
    """Record what will be set; with a deploy stage the values are set after the plan finished."""
    deploying = "deploy" in _selected(ctx)
    for state in ctx.assets:
        body = _site_properties(ctx, state)
        if not body:
            continue
        if not ctx.platform.capabilities.configures_after_deploy:
            # refused here, before the deploy, not when the values are due after it
            raise PlatformNotSupportedError(
                f"{state.label}: configuration set after the deploy is not available on "
                f"{ctx.platform.terms.platform}"
            )
        timer = StepTimer(ctx, state, "configure")
        count = sum(len(v) for v in body.values())
        if ctx.plan:
            ctx.record(
                timer.result(StepStatus.PLANNED, f"would set {count} site propert(ies) after the deploy")
            )
        elif deploying:
            ctx.record(
                timer.result(
                    StepStatus.PLANNED,
                    f"{count} site propert(ies) will be set after the deploy",
                    details={"deferred": True},
                )
            )
        else:
            _apply(ctx, state, body, timer)


def _apply(ctx: RunContext, state: AssetState, body: dict, timer: StepTimer | None = None) -> None:
    assert ctx.target is not None
    timer = timer or StepTimer(ctx, state, "configure")
    messages = ctx.platform.configure_after_deploy(ctx.target, state.ref, body)
    count = sum(len(v) for v in body.values())
    ctx.record(
        timer.result(
            StepStatus.SUCCEEDED,
            f"{count} site propert(ies) set in {ctx.target.name}",
            messages=messages,
            details={"changes": count},
        )
    )


def _selected(ctx: RunContext) -> tuple[str, ...]:
    from odc_pipeline.engine.options import selected_stages

    return selected_stages(ctx.spec, ctx.options)


# --- build -----------------------------------------------------------------------------------


def build(ctx: RunContext) -> None:
    platform = ctx.platform
    for state in ctx.assets:
        timer = StepTimer(ctx, state, "build")
        resolved = state.resolved
        assert resolved is not None
        if not resolved.needs_unit:
            ctx.record(
                timer.result(
                    StepStatus.UNCHANGED,
                    f"reused {platform.terms.unit} {resolved.version}",
                    build_key=resolved.unit_key,
                )
            )
            continue
        where = resolved.source.name if resolved.source else "the source"
        if ctx.plan:
            ctx.record(
                timer.result(StepStatus.PLANNED, f"would tag what runs in {where} (changed since its tag)")
            )
            continue
        search = platform.find_unit(state.ref, resolved)
        outcome = platform.produce_unit(
            ctx, UnitRequest(asset=state.ref, revision=resolved, known_keys=search.known_keys), stage="build"
        )
        if not outcome.succeeded:
            ctx.record(
                timer.result(
                    StepStatus.FAILED, f"tagging failed: {outcome.status}", messages=outcome.messages
                )
            )
            raise OperationFailedError(f"{state.label}: tagging in {where} failed")
        state.resolved = platform.resolve_revision(state.ref, state.spec.revision, label=state.label)
        state.build_key = outcome.key
        ctx.record(
            timer.result(
                StepStatus.SUCCEEDED,
                f"tagged {state.resolved.version} in {where}",
                build_key=outcome.key,
                messages=outcome.messages,
            )
        )


def _needing_unit(ctx: RunContext) -> list[AssetState]:
    return [s for s in ctx.assets if s.resolved is not None and s.resolved.needs_unit]


# --- impact-analysis -------------------------------------------------------------------------


def _changing(ctx: RunContext) -> list[AssetState]:
    return [s for s in ctx.assets if _unit(s) and _unit(s) != s.deployed_build_key]


def impact(ctx: RunContext) -> None:
    untagged = _needing_unit(ctx)
    if untagged and not ctx.plan:
        raise UsageError(f"{untagged[0].label} is modified and not tagged yet: run the build stage first")
    assert ctx.target is not None
    changing = _changing(ctx)
    requests = [
        ImpactRequest(asset=s.ref, target=ctx.target, revision=s.resolved, unit_key=_unit(s), label=s.label)
        for s in changing
        if s.resolved is not None
    ]
    results = ctx.platform.analyse_all(ctx, requests, stage="impact-analysis") if requests else {}
    blocking = BLOCKING.get(ctx.spec.impact.fail_on, ("Error",))
    blocked = []
    verdicts = []
    for state in ctx.assets:
        timer = StepTimer(ctx, state, "impact-analysis")
        result = results.get(state.key)
        if result is None:
            if state in untagged:
                ctx.record(timer.result(StepStatus.PLANNED, "analysed once the build stage tagged it"))
            else:
                ctx.record(
                    timer.result(
                        StepStatus.UNCHANGED, f"{ctx.target.name} already runs {state.deployed_version}"
                    )
                )
            continue
        messages = tuple(
            msg("error" if f.severity == "Error" else "warning", f"{f.subject}: {f.text}", "impact-analysis")
            for f in result.findings
        )
        if result.unavailable:
            ctx.record(timer.result(StepStatus.PLANNED, result.unavailable, analysis_key=result.analysis_key))
            continue
        verdicts.append(result.verdict)
        stops = [f for f in result.findings if f.severity in blocking]
        if stops:
            blocked.append(state)
            status, summary = (
                StepStatus.BLOCKED,
                f"{len(stops)} conflict(s) block the plan (fail-on: {ctx.spec.impact.fail_on})",
            )
        elif result.findings:
            status, summary = StepStatus.WARNING, f"{len(result.findings)} finding(s) let through"
        else:
            status, summary = StepStatus.SUCCEEDED, "no conflicts"
        ctx.record(
            timer.result(
                status,
                summary,
                analysis_key=result.analysis_key,
                messages=messages,
                details={"verdict": result.verdict},
            )
        )
    if verdicts:
        ctx.impact_status = next(
            (v for v in ("ErrorsFound", "WarningsFound") if v in verdicts), "NoIssuesFound"
        )
    if blocked:
        raise GateBlockedError(
            f"impact analysis blocked the deployment to {ctx.target.name}: "
            + ", ".join(s.label for s in blocked)
            + " (the deployment plan was deleted)"
        )


# --- deploy ----------------------------------------------------------------------------------


def _pin_to_continued_plan(ctx: RunContext, key: str) -> None:
    """``continue``: the versions are the plan's own, whatever the selectors say now."""
    assert ctx.target is not None
    found = False
    for state in ctx.assets:
        for operation in ctx.platform.running_operations(ctx.target, state.ref, ("Plan",)):
            if operation.key == key:
                found = True
                state.build_key = operation.unit_key
                if state.resolved is not None and state.resolved.unit_key != operation.unit_key:
                    state.resolved = ResolvedRevision(key=operation.unit_key, unit_key=operation.unit_key)
    if not found:
        raise UsageError(
            f"plan {key} is not waiting in {ctx.target.name} for any application of the pipeline file; "
            "nothing was continued"
        )


def deploy(ctx: RunContext) -> None:
    assert ctx.target is not None
    if ctx.options.continue_plan:
        _pin_to_continued_plan(ctx, ctx.options.continue_plan)
    untagged = [] if ctx.options.continue_plan else _needing_unit(ctx)
    if untagged and not ctx.plan:
        raise UsageError(f"{untagged[0].label} is modified and not tagged yet: run the build stage first")
    changing = _changing(ctx)
    for state in ctx.assets:
        if state not in changing and state not in untagged:
            timer = StepTimer(ctx, state, "deploy")
            ctx.record(
                timer.result(StepStatus.UNCHANGED, f"{ctx.target.name} already runs {state.deployed_version}")
            )
            _configure_after(ctx, state)
    if ctx.plan:
        for state in [*changing, *untagged]:
            timer = StepTimer(ctx, state, "deploy")
            ctx.record(
                timer.result(
                    StepStatus.PLANNED,
                    f"would deploy {_version(state)} (runs {state.deployed_version or 'nothing'}) "
                    "in one plan",
                    details={"version_before": state.deployed_version, "version_after": _version(state)},
                )
            )
        return
    if not changing:
        return
    timers = {s.key: StepTimer(ctx, s, "deploy") for s in changing}
    requests = [
        DeployRequest(asset=s.ref, target=ctx.target, unit_key=_unit(s), version=_version(s))
        for s in changing
    ]
    if ctx.options.continue_plan:  # odc-pipeline continue: exactly that plan, never a new one
        continued = ctx.platform.continue_deploy(ctx, ctx.options.continue_plan, stage="deploy")
        outcomes = {s.key: replace(continued, asset_key=s.key) for s in changing}
    else:
        outcomes = ctx.platform.deploy_all(ctx, requests, stage="deploy")
    failed = []
    for state in changing:
        outcome = outcomes[state.key]
        state.deploy_key = outcome.operation_key
        timer = timers[state.key]
        was = state.deployed_version or "nothing"
        versions = {"version_before": state.deployed_version, "version_after": _version(state)}
        if outcome.prepared:
            ctx.record(
                timer.result(
                    StepStatus.SUCCEEDED,
                    f"plan {outcome.operation_key} prepared {_version(state)} (runs {was}); "
                    "continue it to finish",
                    operation_key=outcome.operation_key,
                    messages=outcome.messages,
                    details={"prepared": True, "plan_key": outcome.operation_key, **versions},
                )
            )
            _configure_waits(ctx, state)
        elif outcome.succeeded:
            state.deployed = True
            state.tag = _version(state)
            ctx.record(
                timer.result(
                    StepStatus.SUCCEEDED,
                    f"deployed {_version(state)} (was {was})",
                    operation_key=outcome.operation_key,
                    build_key=_unit(state),
                    messages=outcome.messages,
                    details={"status": outcome.status, **versions},
                )
            )
            _configure_after(ctx, state)
        else:
            failed.append((state, outcome))
            ctx.record(
                timer.result(
                    StepStatus.FAILED,
                    f"plan {outcome.operation_key}: {outcome.reason or outcome.status}",
                    operation_key=outcome.operation_key,
                    messages=outcome.messages,
                    details={"status": outcome.status, **versions},
                )
            )
            _configure_waits(ctx, state, reason="the deployment failed")
    if failed:
        state, outcome = failed[0]
        raise OperationFailedError(
            f"deployment plan {outcome.operation_key} to {ctx.target.name}: {outcome.reason}"
        )


def _configure_after(ctx: RunContext, state: AssetState) -> None:
    body = _site_properties(ctx, state)
    if body and "configure" in _selected(ctx):
        _apply(ctx, state, body)


def _configure_waits(ctx: RunContext, state: AssetState, *, reason: str = "") -> None:
    body = _site_properties(ctx, state)
    if body and "configure" in _selected(ctx):
        why = reason or "the plan waits for its second step"
        ctx.record(
            StepTimer(ctx, state, "configure").result(StepStatus.SKIPPED, f"site properties not set: {why}")
        )


def prepared(ctx: RunContext) -> bool:
    """The run stopped on purpose after a two-stage plan's preparation."""
    return any(s.stage == "deploy" and s.details.get("prepared") for s in ctx.steps)


# --- verify ----------------------------------------------------------------------------------


def verify(ctx: RunContext, *, session: Any = None) -> None:
    """The target runs exactly the selected versions; then the file's HTTP checks (as on ODC)."""
    from odc_pipeline.engine.verify import http_check

    session = session or requests

    assert ctx.target is not None
    if prepared(ctx):
        for state in ctx.assets:
            ctx.record(
                StepTimer(ctx, state, "verify").result(
                    StepStatus.SKIPPED, "the plan is prepared, not deployed yet"
                )
            )
        return
    checks: dict[str, list[Any]] = {}
    for check in ctx.spec.verify.http:
        checks.setdefault(check.asset, []).append(check)
    if ctx.plan:
        for state in ctx.assets:
            extra = f", {len(checks[state.label])} HTTP check(s)" if checks.get(state.label) else ""
            ctx.record(
                StepTimer(ctx, state, "verify").result(
                    StepStatus.PLANNED, f"would check that {ctx.target.name} runs {_version(state)}{extra}"
                )
            )
        return
    running = ctx.platform.running_all(ctx.target, [s.ref for s in ctx.assets])
    wrong = []
    for state in ctx.assets:
        timer = StepTimer(ctx, state, "verify")
        now = running.get(state.key)
        if now is not None:
            state.url = now.url or state.url
        if ctx.spec.verify.deployed_revision and (now is None or now.unit_key != _unit(state)):
            wrong.append(state)
            seen = now.version if now is not None else "nothing"
            ctx.record(
                timer.result(StepStatus.FAILED, f"{ctx.target.name} runs {seen}, not {_version(state)}")
            )
            continue
        messages = [http_check(ctx, state, check, session=session) for check in checks.get(state.label, [])]
        errors = [m for m in messages if m.severity == "error"]
        if errors:
            wrong.append(state)
            ctx.record(
                timer.result(StepStatus.FAILED, "; ".join(m.text for m in errors), messages=tuple(messages))
            )
        else:
            shown = now.version if now is not None else _version(state)
            ctx.record(
                timer.result(
                    StepStatus.SUCCEEDED, f"{ctx.target.name} runs {shown}", messages=tuple(messages)
                )
            )
    if wrong:
        raise OperationFailedError(
            f"verify failed in {ctx.target.name} for " + ", ".join(s.label for s in wrong)
        )


WORK: dict[str, Callable[[RunContext], None]] = {
    "configure": configure,
    "build": build,
    "impact-analysis": impact,
    "deploy": deploy,
    "verify": verify,
}


def unsupported(stage: str) -> Callable[[RunContext], None]:
    def refuse(ctx: RunContext) -> None:
        raise UsageError(f"the {stage} stage is not available on {ctx.platform.name}")

    return refuse
