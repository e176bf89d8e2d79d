"""Asset Configurations v1: deployed/revision configurations and pending PATCHes per stage.

Applications and agents have separate endpoints; asking the application endpoint about an
agent (or the reverse) is a 404, as the real tenant keeps them apart.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import Asset
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


def _result(
    ctx: Context, req: Request, asset: Asset, stage_key: str, revision: int, *, agent: bool
) -> dict[str, Any]:
    stage = ctx.state.stage(stage_key)
    running = ctx.state.running[stage_key].get(asset.key)
    fields = _fields(req)
    sections = ctx.state.configs[asset.key].render(stage_key, stage.name, revision, fields)
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
    stage_key = ctx.state.stage(req.params["environmentKey"]).key
    require(ctx, req, perm.VIEW_CONFIG, stage_key)
    asset = _asset(ctx, req, param, agent)
    running = ctx.state.running[stage_key].get(asset.key)
    if running is None:
        raise ApiProblem(404, f"{asset.name} is not deployed in {ctx.state.stage(stage_key).name}.")
    return Response(200, _result(ctx, req, asset, stage_key, running.revision, agent=agent))


def _for_revision(ctx: Context, req: Request, param: str, agent: bool) -> Response:
    stage_key = ctx.state.stage(req.params["environmentKey"]).key
    require(ctx, req, perm.VIEW_CONFIG, stage_key)
    asset = _asset(ctx, req, param, agent)
    revision = req.p_int("baselineRevision")
    ctx.state.revision(asset.key, revision)
    return Response(200, _result(ctx, req, asset, stage_key, revision, agent=agent))


def _patch(ctx: Context, req: Request, param: str, agent: bool) -> Response:
    stage = ctx.state.stage(req.params["environmentKey"])
    require(ctx, req, perm.EDIT_CONFIG, stage.key)
    asset = _asset(ctx, req, param, agent)
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
