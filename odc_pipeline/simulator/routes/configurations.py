"""Asset Configurations v1: deployed/revision configurations and pending PATCHes per stage.

Applications and agents have separate endpoints; asking the application endpoint about an
agent (or the reverse) is a 404, as the real tenant keeps them apart.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import Asset, Stage
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.routes.common import body_dict, iso, require
from odc_pipeline.simulator.routing import Request, Response, route
from odc_pipeline.simulator.server import Context

BASE = "/api/asset-configurations/v1"
FIELDS = {"systemConfigurations", "settings", "timers", "integrations", "libraries"}


def _asset(ctx: Context, req: Request, param: str, agent: bool) -> Asset:
    asset = ctx.state.assets.get(req.params[param])
    if asset is None or not asset.deployable or (asset.type == "Agent") != agent:
        kind = "Agent" if agent else "Application"
        raise ApiProblem(404, f"{kind} {req.params[param]} was not found.")
    return asset


def _fields(req: Request) -> set[str] | None:
    raw = req.q("fields")
    if not raw:
        return None
    fields = {f.strip() for f in raw.split(",") if f.strip()}
    unknown = fields - FIELDS
    if unknown:
        raise ApiProblem(
            400, f"Unknown fields: {', '.join(sorted(unknown))}. Allowed: {', '.join(sorted(FIELDS))}."
        )
    return fields


def _target(ctx: Context, req: Request, param: str, agent: bool, permission: str) -> tuple[Stage, Asset]:
    """The stage and application/agent a request names, once ``permission`` is checked there."""
    stage = ctx.state.stage(req.params["environmentKey"])
    require(ctx, req, permission, stage.key)
    return stage, _asset(ctx, req, param, agent)


def _result(
    ctx: Context, req: Request, stage: Stage, asset: Asset, revision: int, *, agent: bool
) -> dict[str, Any]:
    running = ctx.state.running[stage.key].get(asset.key)
    fields = _fields(req)
    sections = ctx.state.configs[asset.key].render(stage.key, stage.name, revision, fields)
    if agent:
        sections.pop("systemConfigurations", None)
    return {
        "key": asset.key,
        "name": asset.name,
        "revisionBaseline": revision,
        "revisionDeployed": running.revision if running else None,
        **sections,
        "deployedAt": iso(running.deployed_at) if running else None,
    }


def _deployed(ctx: Context, req: Request, param: str, agent: bool) -> Response:
    stage, asset = _target(ctx, req, param, agent, perm.VIEW_CONFIG)
    running = ctx.state.running[stage.key].get(asset.key)
    if running is None:
        raise ApiProblem(404, f"{asset.name} is not deployed in {stage.name}.")
    return Response(200, _result(ctx, req, stage, asset, running.revision, agent=agent))


def _for_revision(ctx: Context, req: Request, param: str, agent: bool) -> Response:
    stage, asset = _target(ctx, req, param, agent, perm.VIEW_CONFIG)
    revision = req.p_int("baselineRevision")
    ctx.state.revision(asset.key, revision)
    return Response(200, _result(ctx, req, stage, asset, revision, agent=agent))


def _patch(ctx: Context, req: Request, param: str, agent: bool) -> Response:
    stage, asset = _target(ctx, req, param, agent, perm.EDIT_CONFIG)
    body = body_dict(req)
    running = ctx.state.running[stage.key].get(asset.key)
    revision = body.get("revisionBaseline")
    if revision is None:
        revision = running.revision if running else max(asset.revisions)
    ctx.state.revision(asset.key, revision)
    ctx.state.configs[asset.key].patch(stage.key, stage.name, revision, body, ctx.clock.now())
    return Response(204)


@route(
    "GET",
    BASE,
    "/environments/{environmentKey}/applications/{applicationKey}/revisions/deployed/configurations",
)
def app_deployed(ctx: Context, req: Request) -> Response:
    return _deployed(ctx, req, "applicationKey", agent=False)


@route(
    "GET",
    BASE,
    "/environments/{environmentKey}/applications/{applicationKey}/revisions/{baselineRevision}/configurations",
)
def app_revision(ctx: Context, req: Request) -> Response:
    return _for_revision(ctx, req, "applicationKey", agent=False)


@route("PATCH", BASE, "/environments/{environmentKey}/applications/{applicationKey}/configurations")
def app_patch(ctx: Context, req: Request) -> Response:
    return _patch(ctx, req, "applicationKey", agent=False)


@route("GET", BASE, "/environments/{environmentKey}/agents/{agentKey}/revisions/deployed/configurations")
def agent_deployed(ctx: Context, req: Request) -> Response:
    return _deployed(ctx, req, "agentKey", agent=True)


@route(
    "GET",
    BASE,
    "/environments/{environmentKey}/agents/{agentKey}/revisions/{baselineRevision}/configurations",
)
def agent_revision(ctx: Context, req: Request) -> Response:
    return _for_revision(ctx, req, "agentKey", agent=True)


@route("PATCH", BASE, "/environments/{environmentKey}/agents/{agentKey}/configurations")
def agent_patch(ctx: Context, req: Request) -> Response:
    return _patch(ctx, req, "agentKey", agent=True)


@route("GET", BASE, "/environments/{environmentKey}/default-system-configurations")
def system_get(ctx: Context, req: Request) -> Response:
    stage = ctx.state.stage(req.params["environmentKey"])
    require(ctx, req, perm.VIEW_CONFIG, stage.key)
    configs = ctx.state.system_configs[stage.key]
    rendered = configs.render(stage.key, stage.name, 1, {"systemConfigurations"})
    return Response(200, {"systemConfigurations": rendered["systemConfigurations"]})


@route("PATCH", BASE, "/environments/{environmentKey}/default-system-configurations")
def system_patch(ctx: Context, req: Request) -> Response:
    stage = ctx.state.stage(req.params["environmentKey"])
    require(ctx, req, perm.EDIT_CONFIG, stage.key)
    configs = ctx.state.system_configs[stage.key]
    configs.patch(stage.key, stage.name, 1, body_dict(req), ctx.clock.now())
    configs.apply(stage.key)  # environment defaults take effect without a deployment
    return Response(204)
