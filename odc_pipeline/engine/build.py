"""build: make sure each app has a Finished Release build of the revision it deploys.

Only Release builds deploy, ``POST /build-operations`` defaults to Debug, and a revision
published from Studio often has only a Debug build. Rebuilding what exists wastes minutes and
a slot of the 10-per-minute POST limit, so an existing Finished Release build is reused (the
one already running in the target, or the one ``from:<stage>`` pinned, when they qualify);
otherwise a Release build is started and waited for. All look-ups happen before the first
build starts, so a missing permission stops the run before it changes anything.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.api.errors import OutcomeUnknownError
from odc_pipeline.engine.context import (
    AssetState,
    RunContext,
    StepTimer,
    msg,
    outcome_unknown,
    unfinished_status,
)
from odc_pipeline.engine.poller import DurationHint
from odc_pipeline.engine.recovery import build_finder
from odc_pipeline.engine.scheduler import run_in_order
from odc_pipeline.errors import OdcPipelineError, OperationFailedError
from odc_pipeline.report import Message, StepResult, StepStatus

STAGE = "build"
IN_PROGRESS = frozenset({"Pending", "Running"})
FINISHED = "Finished"
FAILED = "FinishedWithErrors"
MAX_LOG_LINES = 40


def _status(build: Any) -> str:
    return str(getattr(build, "status", "") or "")


def _is_release(build: Any) -> bool:
    return str(getattr(build, "build_type", "") or "") == "Release"


def find_reusable(ctx: RunContext, asset: AssetState) -> str | None:
    """The key of a Finished Release build of the asset's revision, if one exists."""
    builds = ctx.client.builds
    if asset.source_build_key:
        pinned = builds.get(asset.source_build_key)
        if (
            _status(pinned) == FINISHED
            and _is_release(pinned)
            and int(pinned.asset_revision) == asset.revision
        ):
            return str(pinned.build_key)
    listed = list(builds.list(asset.key, revision=asset.revision, build_type="Release"))
    asset.known_build_keys = tuple(str(b.build_key) for b in listed)  # tells our build apart later
    running = [b for b in listed if _status(b) in IN_PROGRESS and _is_release(b)]
    # A Release build of this revision already in progress (say, one a cancelled run started):
    # the build stage waits for it rather than starting a second one.
    asset.running_build_key = str(running[0].build_key) if running else None
    candidates = [
        b
        for b in listed
        if _status(b) == FINISHED and _is_release(b) and int(b.asset_revision) == asset.revision
    ]
    if not candidates:
        return None
    if asset.deployed_revision == asset.revision:
        for build in candidates:
            if str(build.build_key) == asset.deployed_build_key:
                return str(build.build_key)
    candidates.sort(key=lambda b: str(getattr(b, "finished_date_time", "") or ""), reverse=True)
    return str(candidates[0].build_key)


def changed_library(ctx: RunContext, asset: AssetState) -> str | None:
    """A library this app uses that the run published or released: an older build lacks it.

    A Release build compiles in each library's released revision as of the build, so reusing
    a build made before the release would deploy the old library.
    """
    for producer in ctx.assets:
        if producer.key in asset.producers and producer.is_library and producer.library_changed:
            return producer.label
    return None


def log_messages(ctx: RunContext, build_key: str) -> list[Message]:
    """The build's log, errors first, for a failure message the user can act on."""
    try:
        entries = list(ctx.client.builds.log_messages(build_key))
    except Exception as exc:  # explaining a failure must never hide it
        return [msg("warning", f"could not read the log of build {build_key}: {exc}", "engine")]
    ranked = sorted(entries, key=lambda e: 0 if str(getattr(e, "severity", "")).lower() == "error" else 1)
    messages = []
    for entry in ranked[:MAX_LOG_LINES]:
        severity = str(getattr(entry, "severity", "") or "info").lower()
        messages.append(
            msg(
                severity if severity in {"error", "warning"} else "info",
                str(entry.message or ""),
                "build-log",
            )
        )
    return messages


def history_hint(ctx: RunContext, asset: AssetState) -> DurationHint | None:
    """How long the asset's recent Finished Release builds took (one GET, ``builds.list``).

    Builds do not depend on the stage, so every revision's Release builds count. The list's
    order is undocumented, so it is sorted newest first here (the hint reads the most recent).
    """

    def read() -> list[Any]:
        builds = [b for b in ctx.client.builds.list(asset.key, build_type="Release") if _is_release(b)]
        return sorted(builds, key=_started_key, reverse=True)

    return ctx.history_hint(("builds", "Release", asset.key), read)


def _started_key(build: Any) -> str:
    started = getattr(build, "started_date_time", None)
    return started.isoformat() if hasattr(started, "isoformat") else str(started or "")


def _start(ctx: RunContext, asset: AssetState, timer: StepTimer) -> str:
    """POST the Release build; a lost answer is looked up, never sent twice."""
    assert asset.revision is not None
    finder = build_finder(ctx, asset_key=asset.key, revision=asset.revision, known=asset.known_build_keys)
    try:
        started = ctx.client.builds.start(asset.key, asset.revision, build_type="Release", find_again=finder)
    except OutcomeUnknownError as exc:
        error = outcome_unknown(asset, f"Release build of r{asset.revision}", exc)
        ctx.record(timer.result(StepStatus.FAILED, str(error), revision_after=asset.revision))
        raise error from None
    if getattr(started, "is_successful", True) is False:
        raise OperationFailedError(
            f"{asset.label}: ODC refused to start a Release build of r{asset.revision}"
        )
    return str(started.build_key)


def start_and_wait(ctx: RunContext, asset: AssetState, timer: StepTimer) -> StepResult:
    """Start a Release build of the asset's revision and wait until it is terminal."""
    assert asset.revision is not None
    if asset.running_build_key:
        key = asset.running_build_key
        verb = "waiting for the running"
    else:
        key = _start(ctx, asset, timer)
        asset.running_build_key = key  # until it ends: a run that stops now names it per asset
        verb = "started"
    what = f"Release build of {asset.label} r{asset.revision} ({key})"
    try:
        with ctx.tracking(key, what):
            ctx.reporter.info(f"{verb} {what}", asset=asset.label)
            build = ctx.wait(
                lambda: ctx.client.builds.get(key),
                lambda b: _status(b) not in IN_PROGRESS,
                what=what,
                describe=_status,
                stage=STAGE,
                hint=history_hint(ctx, asset),
            )
    except OdcPipelineError as exc:
        ctx.record(
            timer.result(
                unfinished_status(exc),
                f"Release build {key} of r{asset.revision} still running in ODC ({exc})",
                revision_after=asset.revision,
                build_key=key,
                operation_key=key,
            )
        )
        raise
    status = _status(build)
    if status != FINISHED:
        messages = log_messages(ctx, key)
        ctx.record(
            timer.result(
                StepStatus.FAILED,
                f"Release build of r{asset.revision} ended {status}",
                revision_after=asset.revision,
                build_key=key,
                messages=messages,
            )
        )
        first = next((m.text for m in messages if m.severity == "error"), "")
        detail = f": {first}" if first else " (see the build log in the run report)"
        raise OperationFailedError(
            f"{asset.label}: Release build {key} of r{asset.revision} ended {status}{detail}"
        )
    asset.build_key = key
    asset.build_reused = False
    return ctx.record(
        timer.result(
            StepStatus.SUCCEEDED,
            f"built r{asset.revision} (Release build {key})",
            revision_after=asset.revision,
            build_key=key,
        )
    )


def run_build(ctx: RunContext) -> None:
    """The build stage for every asset of the run."""
    to_build: list[AssetState] = []
    timers: dict[str, StepTimer] = {}
    for asset in ctx.assets:
        timer = StepTimer(ctx, asset, STAGE)
        if asset.is_library:
            ctx.record(
                timer.result(
                    StepStatus.SKIPPED,
                    "library: released by tag and built into the apps that use it",
                    revision_after=asset.revision,
                )
            )
            continue
        changed = changed_library(ctx, asset)
        reusable = find_reusable(ctx, asset)  # also notes a Release build already running
        if ctx.spec.force_rebuild or changed:
            reusable = None
        if changed:
            asset.running_build_key = None  # started before the library changed: it lacks it
        if reusable:
            asset.build_key = reusable
            asset.build_reused = True
            verb = "would reuse" if ctx.plan else "reused"
            ctx.record(
                timer.result(
                    StepStatus.UNCHANGED,  # reusing a build changes nothing, in a plan or not
                    f"{verb} Finished Release build {reusable} of r{asset.revision}",
                    revision_after=asset.revision,
                    build_key=reusable,
                )
            )
            continue
        if ctx.plan and asset.running_build_key:
            ctx.record(
                timer.result(
                    StepStatus.PLANNED,
                    f"would wait for Release build {asset.running_build_key} of r{asset.revision}, "
                    "already running",
                    revision_after=asset.revision,
                    build_key=asset.running_build_key,
                )
            )
            continue
        if ctx.plan:
            ctx.record(
                timer.result(
                    StepStatus.PLANNED,
                    f"would start a Release build of r{asset.revision}"
                    + (
                        " (force-rebuild)"
                        if ctx.spec.force_rebuild
                        else f" ({changed} changes in this run)"
                        if changed
                        else " (none exists)"
                    ),
                    revision_after=asset.revision,
                )
            )
            continue
        to_build.append(asset)
        timers[asset.key] = timer
    if not to_build:
        return
    outcome = run_in_order(
        [a.key for a in to_build],
        {},
        lambda key: start_and_wait(ctx, next(a for a in to_build if a.key == key), timers[key]),
        max_parallel=ctx.spec.deploy.max_parallel,
        cancel=ctx.cancel,
    )
    error = outcome.first_error
    if error is not None:
        raise error
    if outcome.not_started:
        from odc_pipeline.errors import CancelledError

        raise CancelledError("cancelled before every build started")
