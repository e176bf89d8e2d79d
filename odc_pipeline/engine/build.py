"""build: make sure each app has a Finished Release build of the revision it deploys.

Only Release builds deploy, ``POST /build-operations`` defaults to Debug, and a revision
published from Studio often has only a Debug build. Rebuilding what exists wastes minutes and
a slot of the 10-per-minute POST limit, so an existing Finished Release build is reused (the
one already running in the target, or the one ``from:<stage>`` pinned, when they qualify);
otherwise a Release build is started and waited for. All look-ups happen before the first
build starts, so a missing permission stops the run before it changes anything.
"""

from __future__ import annotations

import threading

from odc_pipeline.api.errors import OutcomeUnknownError
from odc_pipeline.engine.context import AssetState, RunContext, StepTimer, outcome_unknown, unfinished_status
from odc_pipeline.engine.scheduler import run_in_order
from odc_pipeline.errors import CancelledError, OdcPipelineError, OperationFailedError
from odc_pipeline.platforms.base import AssetRef, ResolvedRevision, RunningState, UnitRequest
from odc_pipeline.report import StepResult, StepStatus

STAGE = "build"
# Look-ups in flight at once before the decisions: each is a round trip (0.1-0.3 s on a
# tenant), and the domain's rate limiter still spaces them within its budget.
LOOKUP_READERS = 8


def find_reusable(ctx: RunContext, asset: AssetState, *, to_produce: bool = False) -> str | None:
    """The key of a finished deployable unit (ODC: Release build) of the asset's revision.

    ``to_produce``: a unit is produced whatever is found (see :meth:`Platform.find_unit`).
    """
    running = None
    if asset.deployed_revision is not None:
        running = RunningState(
            asset.key, ctx.target_key, revision=asset.deployed_revision, unit_key=asset.deployed_build_key
        )
    search = ctx.platform.find_unit(
        asset.ref, asset.revision_ref, pinned=asset.source_build_key, running=running, to_produce=to_produce
    )
    if search.known_keys is not None:
        asset.known_build_keys = search.known_keys  # tells our build apart later
        # A unit of this revision already being produced (say, one a cancelled run started):
        # the build stage waits for it rather than starting a second one.
        asset.running_build_key = search.running_key
    return search.unit.key if search.unit is not None else None


def changed_library(ctx: RunContext, asset: AssetState) -> str | None:
    """A library this app uses that the run published or released: an older build lacks it.

    A Release build compiles in each library's released revision as of the build, so reusing
    a build made before the release would deploy the old library.
    """
    for producer in ctx.assets:
        if producer.key in asset.producers and producer.is_library and producer.library_changed:
            return producer.label
    return None


def _start(ctx: RunContext, asset: AssetState, request: UnitRequest, timer: StepTimer) -> str:
    """Start producing the unit; a lost answer is looked up, never sent twice."""
    try:
        return ctx.platform.start_unit(ctx, request)
    except OutcomeUnknownError as exc:
        error = outcome_unknown(asset, f"{ctx.platform.terms.unit} of r{asset.revision}", exc)
        ctx.record(timer.result(StepStatus.FAILED, str(error), revision_after=asset.revision))
        raise error from None


def start_and_wait(ctx: RunContext, asset: AssetState, timer: StepTimer) -> StepResult:
    """Start a Release build of the asset's revision (or wait for the running one) until it ends."""
    assert asset.revision is not None
    platform = ctx.platform
    request = UnitRequest(
        asset=asset.ref,
        revision=asset.revision_ref,
        target=ctx.target,
        known_keys=asset.known_build_keys,
        attach_to=asset.running_build_key,
    )
    if asset.running_build_key:
        key = asset.running_build_key
        verb = "waiting for the running"
    else:
        key = _start(ctx, asset, request, timer)
        asset.running_build_key = key  # until it ends: a run that stops now names it per asset
        verb = "started"
    unit = platform.terms.unit
    what = f"{unit} of {asset.label} r{asset.revision} ({key})"
    try:
        with ctx.tracking(key, what):
            ctx.reporter.info(f"{verb} {what}", asset=asset.label)
            outcome = platform.wait_unit(ctx, request, key, what=what, stage=STAGE)
    except OdcPipelineError as exc:
        ctx.record(
            timer.result(
                unfinished_status(exc),
                f"{unit} {key} of r{asset.revision} still running in {platform.terms.platform} ({exc})",
                revision_after=asset.revision,
                build_key=key,
                operation_key=key,
            )
        )
        raise
    status = outcome.status
    if not outcome.succeeded:
        messages = list(outcome.messages)
        ctx.record(
            timer.result(
                StepStatus.FAILED,
                f"{unit} of r{asset.revision} ended {status}",
                revision_after=asset.revision,
                build_key=key,
                messages=messages,
            )
        )
        first = next((m.text for m in messages if m.severity == "error"), "")
        detail = f": {first}" if first else " (see the build log in the run report)"
        raise OperationFailedError(f"{asset.label}: {unit} {key} of r{asset.revision} ended {status}{detail}")
    asset.build_key = key
    asset.build_reused = False
    return ctx.record(
        timer.result(
            StepStatus.SUCCEEDED,
            f"built r{asset.revision} ({unit} {key})",
            revision_after=asset.revision,
            build_key=key,
        )
    )


def prepare_builds(ctx: RunContext) -> list[AssetState]:
    """Decide for every asset before any build starts: skip, reuse, plan, or build.

    Every look-up happens here, so a missing permission stops the run before it changes
    anything. Records the steps of the assets that need no build; returns the ones that do.
    """
    to_build: list[AssetState] = []
    read_ahead(ctx)
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
        rebuild = bool(ctx.spec.force_rebuild or changed)
        # also notes a Release build already running
        reusable = find_reusable(ctx, asset, to_produce=rebuild)
        if rebuild:
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
                    f"{verb} Finished {ctx.platform.terms.unit} {reusable} of r{asset.revision}",
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
                    f"would start a {ctx.platform.terms.unit} of r{asset.revision}"
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
    return to_build


def unit_lookups(ctx: RunContext) -> list[tuple[AssetRef, ResolvedRevision]]:
    """The revisions whose deployable units the decisions look up: every app's, except one
    whose build ``from:`` pinned (its search reads that build first)."""
    return [
        (a.ref, a.revision_ref)
        for a in ctx.assets
        if not a.is_library and a.revision is not None and not a.source_build_key
    ]


def lookups_after_wide_read(ctx: RunContext) -> list[tuple[AssetRef, ResolvedRevision]]:
    """Settle what one wide read can of :func:`unit_lookups` and return the rest.

    Apps that build whatever is found (force-rebuild, a changed library) are left out of the
    wide read: their search needs the revision's full list anyway.
    """
    items = unit_lookups(ctx)
    rebuilt = {a.key for a in ctx.assets if ctx.spec.force_rebuild or changed_library(ctx, a)}
    rest = ctx.platform.sight_units([i for i in items if i[0].key not in rebuilt])
    return [i for i in items if i[0].key in rebuilt] + rest


def read_ahead(ctx: RunContext) -> None:
    """Read what the decisions below look up for every app: one wide read, then the rest
    several at a time.

    One after another, 50 apps' look-ups keep the whole release waiting for 50 round trips
    before its first analysis can start; at 200 apps they are two minutes of the domain's
    budget, which one wide read (:meth:`Platform.sight_units`) spares where the platform has
    one. Apps that build whatever is found skip it (their search needs the full list). The
    platform keeps what it read for :meth:`Platform.find_unit` (:meth:`Platform.prefetch_units`,
    quiet on errors: the search then reads again and reports as it always did), and a cancel
    stops the readers.
    """
    items = lookups_after_wide_read(ctx)
    if len(items) < 2:
        return
    readers = [
        threading.Thread(
            target=ctx.platform.prefetch_units,
            args=(items[i::LOOKUP_READERS],),
            kwargs={"stop": ctx.cancel},
            name=f"build-lookups-{i}",
            daemon=True,
        )
        for i in range(min(LOOKUP_READERS, len(items)))
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()


def build_one(ctx: RunContext, asset: AssetState) -> StepResult:
    """One asset's build step, timed from when it starts (the flow starts each on its own)."""
    return start_and_wait(ctx, asset, StepTimer(ctx, asset, STAGE))


def run_build(ctx: RunContext) -> None:
    """The build stage for every asset of the run, as one step of the pipeline."""
    to_build = prepare_builds(ctx)
    if not to_build:
        return
    by_key = {a.key: a for a in to_build}
    outcome = run_in_order(
        list(by_key),
        {},
        lambda key: build_one(ctx, by_key[key]),
        max_parallel=ctx.max_parallel,
        cancel=ctx.cancel,
    )
    error = outcome.first_error
    if error is not None:
        raise error
    if outcome.not_started:
        raise CancelledError("cancelled before every build started")
