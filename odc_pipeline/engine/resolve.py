"""Resolution: names and selectors to keys and numbers, before anything changes.

A pipeline that discovers halfway through a fifty-asset release that one asset name is
ambiguous has already moved some assets. So every name (stage, asset), every revision
selector and every read a later stage will need (what runs where, running deployments, the
dependency graph) is resolved here first, with read-only calls; a missing permission that a
read can reveal fails the run here, before any change (exit code 3).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from odc_pipeline.engine.build import lookups_after_wide_read, unit_lookups
from odc_pipeline.engine.context import AssetState, Environment, RunContext
from odc_pipeline.engine.options import AssetSpec
from odc_pipeline.engine.publish import preflight as preflight_publish
from odc_pipeline.engine.publish import resolve_package_asset
from odc_pipeline.engine.release import resolve_release
from odc_pipeline.errors import UsageError
from odc_pipeline.platforms.base import AssetRef, RunningState

DEPLOYABLE_HINT = "a library is released by tag and bundled into the apps that use it"


def resolve_environments(ctx: RunContext) -> None:
    """The platform's stages in promotion order; the target may be named by its name or its key."""
    ctx.environments = tuple(ctx.platform.environments())
    ctx.target = find_environment(ctx, ctx.options.target or ctx.spec.target, role="target")


def find_environment(ctx: RunContext, wanted: str, *, role: str) -> Environment:
    return ctx.platform.find_environment(ctx.environments, wanted, role=role)


def resolve_assets(ctx: RunContext) -> None:
    """Asset names → keys by exact match; an ambiguous name lists its candidates.

    The platform reads them all at once first (:meth:`Platform.prefetch_assets`), then each is
    checked in file order, so the first bad name is still the one reported.
    """
    states = []
    seen: dict[str, str] = {}
    named = [s for s in ctx.spec.assets if not s.package]
    ctx.platform.prefetch_assets(
        names=[s.name for s in named if not s.key and s.name],
        keys=[s.key for s in named if s.key],
    )
    for spec in ctx.spec.assets:
        state = resolve_package_asset(ctx, spec) if spec.package else _resolve_asset(ctx, spec)
        if not state.key:  # a library its package creates: no key until it is published
            states.append(state)
            continue
        if state.key in seen:
            raise UsageError(
                f"assets {seen[state.key]!r} and {spec.label!r} are the same asset ({state.key})"
            )
        seen[state.key] = spec.label
        states.append(state)
    ctx.assets = states


def _resolve_asset(ctx: RunContext, spec: AssetSpec) -> AssetState:
    found = ctx.platform.resolve_asset(name=spec.name, key=spec.key)
    state = AssetState(spec=spec, name=found.name, key=found.key, asset_type=found.asset_type)
    return _checked(state, ctx.platform.terms.platform)


def _checked(state: AssetState, platform: str = "ODC") -> AssetState:
    """The file's optional ``type:`` hint must agree with the platform (catches a wrong asset early)."""
    hint = state.spec.asset_type
    if hint and state.asset_type and hint != state.asset_type:
        raise UsageError(
            f"{state.label} is a {state.asset_type} in {platform}, but the pipeline file says type: {hint}"
        )
    return state


def deployments_by_asset(ctx: RunContext, keys: Iterable[str], env_key: str) -> dict[str, RunningState]:
    """What runs in ``env_key``: asset key → its state there (absent: it does not run there)."""
    keys = list(keys)
    if not keys:
        return {}
    environment = next((e for e in ctx.environments if e.key == env_key), None) or Environment(
        env_key, env_key
    )
    return ctx.platform.running_all(environment, [AssetRef(key=k, name=k) for k in keys])


def resolve_revisions(ctx: RunContext) -> None:
    """Each selector → a revision number; ``from:<stage>`` also pins the build running there."""
    sources: dict[str, list[AssetState]] = {}
    for state in ctx.assets:
        if state.package is not None:
            continue  # the revision its package published (or will publish)
        selector = state.spec.revision.strip()
        if selector.startswith("from:"):
            sources.setdefault(selector[5:].strip(), []).append(state)
        else:
            state.revision = _revision_for(ctx, state, selector)
    for stage_name, states in sources.items():
        source = find_environment(ctx, stage_name, role="source")
        if source.key == ctx.target_key:
            raise UsageError(f"revision from:{stage_name} names the target stage itself")
        running = deployments_by_asset(ctx, [s.key for s in states if not s.is_library], source.key)
        for state in states:
            if state.is_library:
                # A library does not run in a stage; it travels inside the apps promoted with it.
                ctx.reporter.info(
                    f"from:{stage_name} does not apply to a library ({DEPLOYABLE_HINT})", asset=state.label
                )
                continue
            deployment = running.get(state.key)
            if deployment is None:
                raise UsageError(
                    f"{state.label} does not run in {source.name}, so there is nothing to promote"
                )
            state.revision = deployment.revision
            state.source_build_key = deployment.unit_key


def _revision_for(ctx: RunContext, state: AssetState, selector: str) -> int | None:
    return ctx.platform.resolve_revision(state.ref, selector, label=state.label).number


def resolve_target_state(ctx: RunContext) -> None:
    """What runs in the target stage now: revision, build and URL per app."""
    running = deployments_by_asset(ctx, [s.key for s in ctx.assets if not s.is_library], ctx.target_key)
    for state in ctx.assets:
        deployment = running.get(state.key)
        if deployment is not None:
            state.deployed_revision = deployment.revision
            state.deployed_build_key = deployment.unit_key
            state.url = deployment.url


def resolve_dependencies(ctx: RunContext) -> None:
    """Producers of each app among the assets of this run (Dependency Management API)."""
    members = {s.key for s in ctx.assets}
    apps = [s for s in ctx.assets if not s.is_library and s.revision is not None]
    with units_read_alongside(ctx):
        graph = ctx.platform.producers_all([(s.ref, s.revision_ref) for s in apps])
    for state in apps:
        producers = graph.get(state.key, [])
        state.producers = tuple(dict.fromkeys(k for k in producers if k in members and k != state.key))


@contextmanager
def units_read_alongside(ctx: RunContext) -> Iterator[None]:
    """In a plan, read what the build stage will look up while the producers are read.

    Producers (Dependency Management) and build look-ups (Build Operations) are one call per
    app each, in two API domains with a budget of 100 a minute each: read one after the other,
    200 apps wait out both budgets (about two minutes); side by side, one. Only a plan does
    this, because it changes nothing between now and its build stage; a run reads builds
    right before it may start one. Apps whose build ``from:`` pinned are left out (their
    search reads that build first).
    """
    from odc_pipeline.engine.options import selected_stages

    stages = selected_stages(ctx.spec, ctx.options)
    items = unit_lookups(ctx)
    if not ctx.plan or not items or not {"build", "deploy"} & set(stages):
        yield
        return
    stop = threading.Event()
    platform = ctx.platform

    def read() -> None:
        platform.prefetch_units(lookups_after_wide_read(ctx), stop=stop)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield
    except BaseException:
        stop.set()  # the run ends here: no reads for a build stage that will not come
        raise
    finally:
        reader.join()


def preflight(ctx: RunContext) -> None:
    """Ask with the permission each selected later stage needs, so a 403 comes now.

    The API has no "check my permissions" call, so each permission is probed with a call that
    needs it and changes nothing (see README, "Permissions are checked before the first
    change"); the platform knows which calls those are (:meth:`Platform.permission_probes`:
    on ODC reads for Open (builds), View stage (deployments) and code quality). For Deploy
    assets, :meth:`Platform.probe_deploy` (ODC: a deployment impact analysis of an app this run
    will deploy), sent only when the run will deploy something (a re-run that changes nothing
    sends no POST). Edit configurations is probed by the configure stage once it knows a value
    will change (:func:`check_edit_configurations`), still before any build, PATCH or deploy.
    """
    from odc_pipeline.engine.options import selected_stages

    stages = selected_stages(ctx.spec, ctx.options)
    apps = [a for a in ctx.assets if not a.is_library and a.revision is not None]
    assert ctx.target is not None, "resolve_environments runs first"
    probes = ctx.platform.permission_probes(
        ctx.target,
        stages=stages,
        apps=[(a.ref, a.revision_ref) for a in apps],
        code_quality=ctx.spec.verify.code_quality is not None,
    )
    deploying = [a for a in apps if ctx.force or a.deployed_revision != a.revision]
    if deploying and "deploy" in stages and not ctx.plan:
        probes.append(("deploy", lambda: probe_deploy_assets(ctx, deploying[0])))
    for stage, probe in probes:
        probe_permission(stage, probe)


def probe_deploy_assets(ctx: RunContext, asset: AssetState) -> None:
    """The target's deploy permission, asked with a call that needs it and changes nothing.

    On ODC that is the deployment impact analysis the impact-analysis stage would start for
    this asset, so that stage reads it (``probe_analysis_key``) instead of starting another.
    """
    assert ctx.target is not None, "resolve_environments runs first"
    started = ctx.platform.probe_deploy(ctx, ctx.target, asset.ref, asset.revision_ref)
    if started is not None:
        asset.probe_analysis_key = started


def probe_permission(stage: str, probe: Callable[[], object]) -> None:
    """Run ``probe``; a 403 becomes the error that names the stage that cannot run."""
    from odc_pipeline.api.errors import PermissionDeniedError

    try:
        probe()
    except PermissionDeniedError as exc:
        raise PermissionDeniedError(
            f"the {stage} stage cannot run with this API client: {exc}",
            permissions=exc.permissions,
            status=exc.status,
            problem=exc.problem,
            method=exc.method,
            path=exc.path,
        ) from None


def check_edit_configurations(ctx: RunContext, assets: list[AssetState]) -> None:
    """Probe Edit configurations once when some asset's values will be PATCHed (configure stage)."""
    if assets and not ctx.plan:
        assert ctx.target is not None, "resolve_environments runs first"
        target, first = ctx.target, assets[0]
        probe_permission("configure", lambda: ctx.platform.probe_configuration_write(target, first.ref))


def resolve(ctx: RunContext) -> None:
    """All of resolution, in the order that fails fastest on the cheapest mistake."""
    resolve_environments(ctx)
    resolve_assets(ctx)
    resolve_revisions(ctx)
    if ctx.options.approved is not None:
        from odc_pipeline.engine import approved

        approved.pin_revisions(ctx)  # exactly the revisions the reviewer approved
    resolve_target_state(ctx)
    resolve_dependencies(ctx)
    resolve_release(ctx)
    if ctx.options.approved is not None:
        approved.check_unmoved(ctx)  # read-only, before the permission probes and any change
    preflight(ctx)
    preflight_publish(ctx)
