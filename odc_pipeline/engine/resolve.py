"""Resolution: names and selectors to keys and numbers, before anything changes.

A pipeline that discovers halfway through a fifty-asset release that one asset name is
ambiguous has already moved some assets. So every name (stage, asset), every revision
selector and every read a later stage will need (what runs where, running deployments, the
dependency graph) is resolved here first, with read-only calls; a missing permission that a
read can reveal fails the run here, before any change (exit code 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from odc_pipeline.engine.context import AssetState, Environment, RunContext
from odc_pipeline.engine.options import AssetSpec
from odc_pipeline.engine.publish import preflight as preflight_publish
from odc_pipeline.engine.publish import resolve_package_asset
from odc_pipeline.engine.release import resolve_release
from odc_pipeline.errors import UsageError

DEPLOYABLE_HINT = "a library is released by tag and bundled into the apps that use it"


def resolve_environments(ctx: RunContext) -> None:
    """Portfolio v2 stages; the target may be named by its name or its key."""
    envs = [
        Environment(key=str(e.key), name=str(e.name or ""), order=int(getattr(e, "order", 0) or 0))
        for e in ctx.client.portfolio.environments()
    ]
    ctx.environments = tuple(sorted(envs, key=lambda e: e.order))
    ctx.target = find_environment(ctx, ctx.options.target or ctx.spec.target, role="target")


def find_environment(ctx: RunContext, wanted: str, *, role: str) -> Environment:
    if not wanted:
        raise UsageError("no target stage: set `target:` in the pipeline file or pass --target")
    for env in ctx.environments:
        if wanted in (env.name, env.key):
            return env
    folded = [e for e in ctx.environments if e.name.lower() == wanted.lower()]
    hint = f" (did you mean {folded[0].name!r}?)" if folded else ""
    visible = ", ".join(e.name for e in ctx.environments) or "none"
    raise UsageError(
        f"{role} stage {wanted!r} not found{hint}; stages visible to this API client: {visible}. "
        "A stage the client lacks the 'Stage > View stage' permission for is not listed."
    )


def resolve_assets(ctx: RunContext) -> None:
    """Asset names → keys by exact match; an ambiguous name lists its candidates."""
    states = []
    seen: dict[str, str] = {}
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
    if spec.key:
        found = ctx.client.assets.get(spec.key)
        return _checked(
            AssetState(spec=spec, name=str(found.name), key=str(found.asset_key), asset_type=_type(found))
        )
    name = spec.name or ""
    matches = list(ctx.client.assets.find_by_name(name))
    exact = [m for m in matches if m.name == name]
    if not exact:
        near = sorted({str(m.name) for m in matches})
        hint = f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
        raise UsageError(
            f"asset {name!r} not found{hint}; names match exactly, including case and spaces. "
            "Check the name in the ODC Portal, or give its key"
        )
    if len(exact) > 1:
        candidates = "; ".join(f"{m.asset_key} ({_type(m) or 'unknown type'})" for m in exact)
        raise UsageError(f"asset name {name!r} is ambiguous: {candidates}. Use `key:` to pick one")
    found = exact[0]
    return _checked(
        AssetState(spec=spec, name=str(found.name), key=str(found.asset_key), asset_type=_type(found))
    )


def _checked(state: AssetState) -> AssetState:
    """The file's optional ``type:`` hint must agree with ODC (catches a wrong asset early)."""
    hint = state.spec.asset_type
    if hint and state.asset_type and hint != state.asset_type:
        raise UsageError(
            f"{state.label} is a {state.asset_type} in ODC, but the pipeline file says type: {hint}"
        )
    return state


def _type(asset: Any) -> str:
    return str(getattr(asset, "asset_type", "") or "")


def deployments_by_asset(ctx: RunContext, keys: Iterable[str], env_key: str) -> dict[str, Any]:
    """Portfolio deployed-assets: asset key → its Deployment entry in ``env_key`` (if any)."""
    keys = list(keys)
    if not keys:
        return {}
    found: dict[str, Any] = {}
    for deployed in ctx.client.portfolio.deployed_assets(asset_keys=keys, environment_keys=[env_key]):
        for deployment in getattr(deployed, "deployments", None) or ():
            if str(deployment.environment_key) == env_key and str(deployed.key) not in found:
                found[str(deployed.key)] = deployment
    return found


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
            state.revision = int(deployment.revision)
            state.source_build_key = str(deployment.build_key) if deployment.build_key else None


def _revision_for(ctx: RunContext, state: AssetState, selector: str) -> int:
    assets = ctx.client.assets
    if selector in {"", "latest"}:
        return int(assets.latest_revision(state.key).revision)
    if selector.isdigit():
        number = int(selector)
        assets.get_revision(state.key, number)  # a revision that does not exist fails here, not at build
        return number
    if selector == "highest-tag":
        found = assets.highest_tag_revision(state.key)
        if found is None:
            raise UsageError(f"{state.label} has no tagged revision (revision: highest-tag)")
        return int(found.revision)
    if selector.startswith("tag:"):
        tag = selector[4:].strip()
        for revision in assets.list_revisions(state.key, is_tagged=True):
            if str(getattr(revision, "tag", "") or "") == tag:
                return int(revision.revision)
        raise UsageError(f"{state.label} has no revision tagged {tag!r}")
    raise UsageError(
        f"{state.label}: unknown revision selector {selector!r} "
        "(use latest, a number, tag:X.Y.Z, highest-tag or from:<stage>)"
    )


def resolve_target_state(ctx: RunContext) -> None:
    """What runs in the target stage now: revision, build and URL per app."""
    running = deployments_by_asset(ctx, [s.key for s in ctx.assets if not s.is_library], ctx.target_key)
    for state in ctx.assets:
        deployment = running.get(state.key)
        if deployment is not None:
            state.deployed_revision = int(deployment.revision) if deployment.revision is not None else None
            state.deployed_build_key = str(deployment.build_key) if deployment.build_key else None
            state.url = getattr(deployment, "url", None)


def resolve_dependencies(ctx: RunContext) -> None:
    """Producers of each app among the assets of this run (Dependency Management API)."""
    members = {s.key for s in ctx.assets}
    for state in ctx.assets:
        if state.is_library or state.revision is None:
            continue
        producers = ctx.client.dependencies.producers(state.key, state.revision)
        state.producers = tuple(
            dict.fromkeys(str(p.key) for p in producers if str(p.key) in members and str(p.key) != state.key)
        )


def preflight(ctx: RunContext) -> None:
    """Ask with the permission each selected later stage needs, so a 403 comes now.

    The API has no "check my permissions" call, so each permission is probed with a call that
    needs it and changes nothing (see README, "Permissions are checked before the first
    change"): reads for Open (builds), View stage (deployments) and code quality; for Deploy
    assets, a deployment impact analysis of an app this run will deploy, sent only when the
    run will deploy something (a re-run that changes nothing sends no POST). Edit
    configurations is probed by the configure stage once it knows a value will change
    (:func:`probe_edit_configurations`), still before any build, PATCH or deploy.
    """
    from odc_pipeline.engine.options import selected_stages

    stages = selected_stages(ctx.spec, ctx.options)
    apps = [a for a in ctx.assets if not a.is_library and a.revision is not None]
    probes: list[tuple[str, Any]] = []
    if apps and ("build" in stages or "deploy" in stages):
        probes.append(("build", lambda: ctx.client.builds.list(apps[0].key, revision=apps[0].revision)))
    if "deploy" in stages or "configure" in stages:
        probes.append(
            ("deploy", lambda: list(ctx.client.deployments.list(environment_key=ctx.target_key, limit=1)))
        )
    if apps and "verify" in stages and ctx.spec.verify.code_quality is not None:
        probes.append(("verify", lambda: ctx.client.code_quality.get_summary(apps[0].key, apps[0].revision)))
    deploying = [a for a in apps if ctx.force or a.deployed_revision != a.revision]
    if deploying and "deploy" in stages and not ctx.plan:
        probes.append(("deploy", lambda: probe_deploy_assets(ctx, deploying[0])))
    for stage, probe in probes:
        probe_permission(stage, probe)


def probe_deploy_assets(ctx: RunContext, asset: AssetState) -> None:
    """``Release management > Deploy assets`` in the target, asked with a call that needs it.

    A deployment impact analysis (``POST /deployment-analyses``) needs exactly that permission
    (spec ``x-os-permissions``) and changes nothing in the stage. It is the analysis the
    impact-analysis stage would start for this asset, so that stage reads it instead.
    """
    from odc_pipeline.api.errors import ApiError, PermissionDeniedError
    from odc_pipeline.engine.recovery import resend_is_safe

    assert asset.revision is not None
    try:
        asset.probe_analysis_key = ctx.client.dependencies.start_deployment_analysis(
            asset.key, asset.revision, ctx.target_key, find_again=resend_is_safe
        )
    except PermissionDeniedError:
        raise
    except ApiError as exc:  # analyses unavailable (404) or refused: the permission check passed
        if exc.status is None or exc.status >= 500:
            return  # no answer about the permission: the impact stage or the deploy will ask again


def probe_edit_configurations(ctx: RunContext, asset: AssetState) -> None:
    """``Configuration management > Edit configurations`` in the target, before any change.

    An empty PATCH (``{}``: no setting, timer or integration) needs that permission and names
    nothing to change. UNDOC whether ODC records anything for it; README names the decision.
    Any answer but 403 means the permission is there (an ASP.NET server authorizes before it
    validates the body).
    """
    from odc_pipeline.api.errors import ApiError, PermissionDeniedError

    try:
        ctx.client.configurations.patch(
            ctx.target_key, asset.key, _empty_patch(), agent=asset.asset_type == "Agent"
        )
    except PermissionDeniedError:
        raise
    except ApiError as exc:  # 400 for an empty patch still says the permission was granted
        if exc.status is None or exc.status >= 500:
            raise


def _empty_patch() -> Any:
    from odc_pipeline.api.models import AssetConfigPatch

    return AssetConfigPatch()


def probe_permission(stage: str, probe: Any) -> None:
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
        probe_permission("configure", lambda: probe_edit_configurations(ctx, assets[0]))


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
