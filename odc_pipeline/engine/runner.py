"""The run: resolve, then the selected stages in the product's fixed order, then a report.

This is the only place that decides the run's outcome. Stages raise the product's errors
(each with its exit code); the runner catches the first one, lets nothing start after it,
says what was left in flight or half-configured, and always returns a complete
:class:`RunReport` — also on cancel and on an unexpected bug — so CI always gets its report.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from odc_pipeline import __version__
from odc_pipeline.engine import (
    build,
    configure,
    deploy,
    flow,
    impact,
    plan_rollback,
    plan_stages,
    publish,
    release,
    rollback,
    verify,
)
from odc_pipeline.engine.context import RunContext, StepTimer
from odc_pipeline.engine.options import selected_stages
from odc_pipeline.engine.resolve import (
    check_edit_configurations,
    probe_deploy_assets,
    probe_permission,
    resolve,
)
from odc_pipeline.engine.scheduler import run_in_order
from odc_pipeline.errors import CancelledError, ExitCode, OdcPipelineError, RolledBackError
from odc_pipeline.report import STAGES, RunReport, StepStatus

log = logging.getLogger(__name__)

_STATUS_RANK = [
    StepStatus.CANCELLED,
    StepStatus.TIMED_OUT,
    StepStatus.BLOCKED,
    StepStatus.FAILED,
    StepStatus.ROLLED_BACK,
    StepStatus.WARNING,
    StepStatus.SUCCEEDED,
    StepStatus.PLANNED,
    StepStatus.UNCHANGED,
    StepStatus.SKIPPED,
]

_RUN_STATUS = {
    ExitCode.OK: "succeeded",
    ExitCode.FAILED: "failed",
    ExitCode.USAGE: "invalid",
    ExitCode.AUTH: "unauthorized",
    ExitCode.GATE: "blocked",
    ExitCode.TIMEOUT: "timed-out",
    ExitCode.CANCELLED: "cancelled",
    ExitCode.ROLLBACK_INCOMPLETE: "rollback-incomplete",
    ExitCode.PLAN_STALE: "plan-stale",
}


def _stage_status(ctx: RunContext, stage: str, error: BaseException | None) -> StepStatus:
    statuses = {s.status for s in ctx.steps if s.stage == stage}
    if error is not None:
        exit_code = getattr(error, "exit_code", ExitCode.FAILED)
        statuses.add(
            {
                ExitCode.CANCELLED: StepStatus.CANCELLED,
                ExitCode.TIMEOUT: StepStatus.TIMED_OUT,
                ExitCode.GATE: StepStatus.BLOCKED,
            }.get(exit_code, StepStatus.FAILED)
        )
    for status in _STATUS_RANK:
        if status in statuses:
            return status
    return StepStatus.SUCCEEDED if stage == "resolve" else StepStatus.SKIPPED


def _in_stage(ctx: RunContext, stage: str, work: Callable[[RunContext], None]) -> None:
    ctx.reporter.stage_started(stage)
    try:
        if ctx.cancel.is_set():
            raise CancelledError(f"cancelled before {stage}")
        work(ctx)
    except BaseException as exc:
        ctx.reporter.stage_finished(stage, _stage_status(ctx, stage, exc))
        raise
    ctx.reporter.stage_finished(stage, _stage_status(ctx, stage, None))


def _in_flow(ctx: RunContext, stages: tuple[str, ...], reached: list[str]) -> None:
    """The flow stages as one section of the log (their work interleaves across assets); at
    its end one line per stage with its status and span, as a stage section would close."""
    selected = [s for s in flow.STAGES if s in stages]
    name = " → ".join(selected)
    ctx.reporter.stage_started(name)
    error: BaseException | None = None
    try:
        if ctx.cancel.is_set():
            raise CancelledError(f"cancelled before {selected[0]}")
        flow.run_flow(ctx, stages, reached)
    except BaseException as exc:
        error = exc
        raise
    finally:
        statuses = []
        for stage in selected:
            status = _stage_status(ctx, stage, error if stage == reached[-1] else None)
            statuses.append(status)
            ctx.reporter.info(f"{stage}: {status} ({_span(ctx, stage):.1f}s across assets)")
        worst = next((s for s in _STATUS_RANK if s in statuses), StepStatus.SKIPPED)
        ctx.reporter.stage_finished(name, worst)


def _span(ctx: RunContext, stage: str) -> float:
    """Seconds from the first step of ``stage`` that did work starting to its last one ending
    (a skipped step, recorded when the flow prepared, did none)."""
    from datetime import datetime

    steps = [
        s
        for s in ctx.steps
        if s.stage == stage and s.started_at and s.finished_at and s.status is not StepStatus.SKIPPED
    ]
    if not steps:
        return 0.0
    start = min(datetime.fromisoformat(s.started_at) for s in steps)
    end = max(datetime.fromisoformat(s.finished_at) for s in steps)
    return max(0.0, (end - start).total_seconds())


def run_configure(ctx: RunContext, *, deploying: bool) -> None:
    """Check and diff every configured asset; apply now only when no deploy stage follows."""
    configure.plan_configuration(ctx)
    configured = [a for a in ctx.assets if (a.spec.name in ctx.spec.configure or a.key in ctx.spec.configure)]
    # Every write permission answers before the first change (issue 10): an empty PATCH for
    # Edit configurations; without a deploy stage ApplyConfigs needs Deploy assets too.
    patching = [
        a
        for a in configured
        if not a.is_library
        and configure.changes_to_patch(
            a, deploying=deploying and (ctx.force or not a.up_to_date), force=ctx.force
        )
    ]
    check_edit_configurations(ctx, patching)
    applying = [a for a in configured if not a.is_library and a.config_changes]
    if applying and not deploying and not ctx.plan:
        probe = applying[0]
        probe_permission("configure", lambda: probe_deploy_assets(ctx, probe))
    for asset in configured:
        if asset.is_library:
            continue
        timer = StepTimer(ctx, asset, configure.STAGE)
        if ctx.plan:
            lines = [c.describe() for c in asset.config_changes]
            if lines:
                for line in lines:
                    ctx.reporter.info(f"would set {line}", asset=asset.label)
            ctx.record(
                timer.result(
                    StepStatus.PLANNED if lines else StepStatus.UNCHANGED,
                    f"would change {len(lines)} value(s)" if lines else "configuration already as described",
                    messages=[configure.msg("info", line, "configure") for line in lines],
                    details={"changes": len(lines)},
                )
            )
        elif not asset.config_changes:
            configure.configure_step(ctx, asset, timer, [], how="")
        elif deploying:
            ctx.reporter.info(
                f"{len(asset.config_changes)} configuration value(s) will be set right before the deploy",
                asset=asset.label,
            )
            configure.deferred_step(ctx, asset, timer)
    if ctx.plan or deploying:
        return
    pending = [a for a in configured if a.config_changes and not a.is_library]
    by_key = {a.key: a for a in pending}
    outcome = run_in_order(
        list(by_key),
        {},
        lambda key: configure.apply_configs(ctx, by_key[key]),
        max_parallel=ctx.max_parallel,
        cancel=ctx.cancel,
    )
    if outcome.first_error is not None:
        raise outcome.first_error
    if outcome.not_started:
        raise CancelledError("cancelled before every configuration was applied")


def _unapplied_configuration(ctx: RunContext, error: BaseException | None) -> None:
    """Say what configuration was patched but not applied, or planned but never reached.

    Pending values are applied by the next deploy of the asset, anyone's; a run that stops
    between the PATCH and the end of its deploy must say which values are in that state.
    """
    recorded = {
        s.asset_key for s in ctx.steps if s.stage == configure.STAGE and not s.details.get("deferred")
    }
    in_flight = ctx.in_flight.snapshot()
    stage = ctx.target.name if ctx.target else "the stage"
    for asset in ctx.assets:
        if asset.config_patched and not asset.config_applied:
            running = next((k for k in (asset.deploy_key, asset.applying_key) if k and k in in_flight), None)
            if running:
                kind = "deploy" if running == asset.deploy_key else "ApplyConfigs"
                text = (
                    f"configuration values were PATCHed: applied by {kind} {running} when it finishes "
                    "(still running in ODC)"
                )
            else:
                text = (
                    f"configuration values were PATCHed but not applied; they stay pending in {stage} "
                    "until the next deploy or ApplyConfigs of this asset"
                )
            ctx.reporter.warning(text, asset=asset.label)
            if asset.key not in recorded:
                lines, _ = configure.change_lines(
                    asset,
                    configure.changes_to_patch(asset, deploying=True, force=ctx.force),
                    applied=False,
                    unsent_reason="the run stopped first",
                )
                ctx.record(
                    StepTimer(ctx, asset, configure.STAGE).result(
                        StepStatus.CANCELLED if ctx.cancel.is_set() else StepStatus.WARNING,
                        text if running else f"PATCHed, not applied yet: {text}",
                        messages=lines,
                        operation_key=running,
                        details={"changes": 0, "pending": True},
                    )
                )
            continue
        if asset.config_changes and asset.key not in recorded and not ctx.plan:
            ctx.record(
                StepTimer(ctx, asset, configure.STAGE).result(
                    StepStatus.CANCELLED if ctx.cancel.is_set() else StepStatus.SKIPPED,
                    "configuration not changed: the run stopped before this asset's deploy"
                    + (f" ({error})" if error is not None and not ctx.cancel.is_set() else ""),
                    messages=[configure.msg("info", c.describe(), "configure") for c in asset.config_changes],
                    details={"changes": 0},
                )
            )


def _release_libraries_first(ctx: RunContext, stages: tuple[str, ...]) -> None:
    """Release the run's libraries before any app builds: a build compiles their released revision."""
    if "release" in stages and release.has_libraries(ctx):
        _in_stage(ctx, "release", release.release_libraries)


def _run_plan_stages(ctx: RunContext, stages: tuple[str, ...], reached: list[str]) -> None:
    """The stages of a platform that deploys one plan (:mod:`.plan_stages`); ``reached`` gets
    each stage as it starts, so the caller knows which one raised (rollback applies or not)."""
    _in_stage(ctx, "resolve", plan_stages.resolve)
    for stage in stages:
        reached.append(stage)
        _in_stage(ctx, stage, plan_stages.WORK.get(stage) or plan_stages.unsupported(stage))
    if ctx.plan:
        plan_rollback.annotate_plan(ctx)


def _abort_on_cancel(ctx: RunContext, in_flight: dict[str, str]) -> dict[str, str]:
    """On cancel, ask the platform to stop what is still running (LifeTime aborts a plan; ODC
    cannot stop a deployment, so it stays listed in flight). Returns what still runs."""
    still = {}
    for key, what in in_flight.items():
        try:
            stopped = ctx.platform.abort_deploy(key)
        except OdcPipelineError as exc:
            ctx.reporter.warning(f"could not abort {what}: {exc}")
            stopped = False
        if stopped:
            ctx.reporter.warning(f"aborted {what} (cancelled)")
        else:
            still[key] = what
    return still


def _discard_unstarted_plan(ctx: RunContext) -> None:
    """A plan impact analysis created and no deploy started (deploy not selected, a later
    failure, a cancel) is deleted: no saved plan is left behind."""
    if ctx.platform.discard_plan():
        ctx.reporter.info("deleted the deployment plan impact analysis created (no deploy started it)")


def run_pipeline(ctx: RunContext) -> RunReport:
    """Run every selected stage; never raises for a failure the product can explain."""
    started_at = ctx.now_iso()
    t0 = ctx.clock.monotonic()
    ctx.reporter.start(
        target=ctx.options.target or ctx.spec.target, pipeline_file=ctx.spec.pipeline_file, plan_only=ctx.plan
    )
    error = _run_stages(ctx)
    return finish_report(ctx, error, started_at=started_at, t0=t0)


def run_cancellable(ctx: RunContext, *, grace: float, hurry: threading.Event) -> tuple[RunReport, bool]:
    """:func:`run_pipeline` in a worker thread, so a cancel is answered within ``grace`` seconds.

    CI runners send SIGKILL ~10 s after SIGTERM. Waits notice the cancel at once, but an HTTP
    call in progress only returns when its socket does (up to the read timeout). So this thread
    waits for the worker; once ``ctx.cancel`` is set it gives the worker ``grace`` real seconds
    (cut short by ``hurry``, set by a second signal) and then writes the report itself from
    what the run knows: steps so far and every operation still in flight. The worker is a
    daemon thread. Returns the report and whether the worker was left behind (still stuck), in
    which case the CLI must leave with ``os._exit``: pool threads of the stuck call would
    otherwise hold the interpreter's exit until their read timeout.
    """
    started_at = ctx.now_iso()
    t0 = ctx.clock.monotonic()
    box: list[RunReport] = []
    done = threading.Event()

    def work() -> None:
        try:
            box.append(run_pipeline(ctx))
        finally:
            done.set()

    worker = threading.Thread(target=work, name="odc-pipeline-run", daemon=True)
    worker.start()
    while not done.wait(0.05):
        if ctx.cancel.is_set():
            deadline = time.monotonic() + grace
            while not done.is_set() and not hurry.is_set() and time.monotonic() < deadline:
                done.wait(0.05)
            break
    if box:
        return box[0], False
    log.debug("the run did not stop within %.1f s of the cancel; reporting without it", grace)
    error = CancelledError(
        "cancelled while a call to ODC was still waiting for its answer; the report lists every "
        "operation this run started that had not finished"
    )
    return finish_report(ctx, error, started_at=started_at, t0=t0), True


def _run_stages(ctx: RunContext) -> BaseException | None:
    stages = selected_stages(ctx.spec, ctx.options)
    error: BaseException | None = None
    current = "resolve"  # the stage that raised decides whether a rollback applies
    reached = [current]
    try:
        if ctx.platform.capabilities.deploys_as_plan:
            stages, planned = (), stages
            _run_plan_stages(ctx, planned, reached)
        else:
            _in_stage(ctx, "resolve", resolve)
        deploying = "deploy" in stages
        flowing = flow.applies(ctx, stages)
        for stage in stages:
            current = stage
            if stage == "build" and "publish" not in stages:
                _release_libraries_first(ctx, stages)
            if flowing and stage in flow.STAGES:
                if stage == next(s for s in stages if s in flow.STAGES):
                    reached.append(stage)
                    try:
                        _in_flow(ctx, stages, reached)
                    finally:
                        current = reached[-1]
                continue
            if stage == "configure":
                _in_stage(ctx, stage, lambda c: run_configure(c, deploying=deploying))
            elif stage == "publish":
                _in_stage(ctx, stage, publish.run_publish)
                _release_libraries_first(ctx, stages)
            elif stage == "build":
                _in_stage(ctx, stage, build.run_build)
            elif stage == "impact-analysis":
                _in_stage(ctx, stage, impact.run_impact)
            elif stage == "deploy":
                _in_stage(ctx, stage, deploy.run_deploy)
            elif stage == "verify":
                _in_stage(ctx, stage, verify.run_verify)
            elif stage == "release":
                already = any(s.stage == "release" for s in ctx.steps)
                if not already or any(a.tag_plan is not None for a in ctx.assets):
                    _in_stage(ctx, stage, release.release_remaining)
    except OdcPipelineError as exc:
        error = exc
    except Exception as exc:  # a bug must still produce a report and a clear message
        log.debug("unexpected error", exc_info=True)
        error = exc
    if ctx.platform.capabilities.deploys_as_plan:
        current = reached[-1]
        _discard_unstarted_plan(ctx)
    if error is not None and rollback.applies(ctx, current, error):
        back = plan_rollback if ctx.platform.capabilities.deploys_as_plan else rollback
        error = back.roll_back(ctx, error)  # in the worker: a cancel reaches it like any wait
    return error


def finish_report(ctx: RunContext, error: BaseException | None, *, started_at: str, t0: float) -> RunReport:
    """The run's report from what ``ctx`` knows now (also for a run abandoned on cancel)."""
    spec = ctx.spec
    if ctx.cancel.is_set() and not isinstance(error, CancelledError):
        error = CancelledError(f"cancelled{': ' + str(error) if error else ''}")
    _unapplied_configuration(ctx, error)
    in_flight = ctx.in_flight.snapshot()  # whatever ended the run: error, timeout or cancel
    if isinstance(error, CancelledError):
        in_flight = _abort_on_cancel(ctx, in_flight)
    for key, what in in_flight.items():
        ctx.reporter.warning(f"still running in {ctx.platform.terms.platform}: {what} (operation {key})")
    exit_code = ExitCode(getattr(error, "exit_code", ExitCode.FAILED)) if error is not None else ExitCode.OK
    message = ""
    if error is not None:
        message = (
            str(error)
            if isinstance(error, OdcPipelineError)
            else f"internal error: {type(error).__name__}: {error}"
        )
        ctx.reporter.error(ctx.secrets.redact(message))
    status = "planned" if ctx.plan and exit_code == ExitCode.OK else _RUN_STATUS[exit_code]
    if exit_code == ExitCode.OK and not ctx.plan and plan_stages.prepared(ctx):
        status = "prepared"  # a two-stage plan stopped after preparation, as the file asked
    if isinstance(error, RolledBackError):
        status = "rolled-back"  # failed, and every asset the run moved runs what it ran before
    plan = None
    if ctx.plan and exit_code == ExitCode.OK:  # only a complete plan can be approved
        from odc_pipeline.engine.approved import pending_changes, plan_document

        plan = plan_document(ctx, selected_stages(spec, ctx.options))
        if ctx.options.detailed_exitcode and pending_changes(plan):
            exit_code = ExitCode.CHANGES_PENDING
    return RunReport(
        status=status,
        exit_code=int(exit_code),
        target=ctx.target.name if ctx.target else (ctx.options.target or spec.target),
        target_key=ctx.target.key if ctx.target else "",
        pipeline_file=spec.pipeline_file,
        plan_only=ctx.plan,
        tool_version=__version__,
        started_at=started_at,
        finished_at=ctx.now_iso(),
        duration_seconds=round(ctx.clock.monotonic() - t0, 3),
        assets=tuple(a.summary(in_flight, planned=ctx.plan) for a in ctx.assets),
        steps=tuple(sorted(ctx.steps, key=lambda s: STAGES.index(s.stage))),  # stable: keeps time order
        impact_status=ctx.impact_status,
        api_calls=dict(ctx.platform.api_calls()),
        error=ctx.secrets.redact(message),
        in_flight=tuple(in_flight),
        rollback=ctx.rollback,
        plan=plan,
        applied_plan=ctx.options.approved.source if ctx.options.approved is not None else "",
    )
