"""``/applications/...``: applications with their status per environment, versions, configurations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from odc_pipeline.lifetime_simulator.routes import views
from odc_pipeline.lifetime_simulator.routes.environments import _flags
from odc_pipeline.lifetime_simulator.routing import LifeTimeError, Request, Response, route
from odc_pipeline.swagger import LIFETIME_BASE_PATH as BASE

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.server import Context

DEFAULT_MAX_VERSIONS = 5


def _visible_envs(ctx: Context, req: Request) -> list[str]:
    state = ctx.state
    envs = sorted(state.environments.values(), key=lambda e: e.order)
    return [e.key for e in envs if state.can_use(req.account, e.key)]


@route("GET", BASE, "/applications/")
def list_applications(ctx: Context, req: Request) -> Response:
    env_status, modules = _flags(req)
    state = ctx.state
    envs = _visible_envs(ctx, req)
    if not state.applications:
        return Response(204)
    body = [
        views.application(state, app, env_status=env_status, modules=modules, env_keys=envs)
        for app in state.applications.values()
    ]
    return Response(200, body)


@route("GET", BASE, "/applications/{ApplicationKey}/")
def get_application(ctx: Context, req: Request) -> Response:
    env_status, modules = _flags(req)
    app = ctx.state.application(req.params["ApplicationKey"])
    envs = _visible_envs(ctx, req)
    return Response(
        200, views.application(ctx.state, app, env_status=env_status, modules=modules, env_keys=envs)
    )


@route("GET", BASE, "/applications/{ApplicationKey}/versions/")
def list_versions(ctx: Context, req: Request) -> Response:
    app = ctx.state.application(req.params["ApplicationKey"])
    limit = req.query.get("MaximumVersionsToReturn", DEFAULT_MAX_VERSIONS)
    if limit < 0:
        raise LifeTimeError(400, "MaximumVersionsToReturn must not be less than 0.")
    text = req.query.get("ChangeLogFilter", "")
    versions = [v for v in app.versions.values() if text.lower() in v.change_log.lower()]
    versions.sort(key=lambda v: v.created_on, reverse=True)
    return Response(200, [views.version(ctx.state, v, modules=False) for v in versions[:limit]])


@route("GET", BASE, "/applications/{ApplicationKey}/versions/{VersionKey}/")
def get_version(ctx: Context, req: Request) -> Response:
    app = ctx.state.application(req.params["ApplicationKey"])
    version = ctx.state.version(app, req.params["VersionKey"])
    return Response(200, views.version(ctx.state, version, modules=req.query["IncludeModules"]))


@route("DELETE", BASE, "/applications/{ApplicationKey}/versions/{VersionKey}/")
def delete_version(ctx: Context, req: Request) -> Response:
    app = ctx.state.application(req.params["ApplicationKey"])
    version = ctx.state.version(app, req.params["VersionKey"])
    if ctx.state.in_use(version):
        raise LifeTimeError(400, "Running versions, or versions used in Deployments cannot be deleted.")
    del app.versions[version.key]
    return Response(204)


@route("GET", BASE, "/applications/{ApplicationKey}/configurations/")
def get_configurations(ctx: Context, req: Request) -> Response:
    app = ctx.state.application(req.params["ApplicationKey"])
    configurations = [
        {
            "environmentKey": key,
            "isBlocked": key in app.blocked_in,
            "isBlockedChangeReason": app.blocked_in.get(key, ""),
        }
        for key in _visible_envs(ctx, req)
    ]
    return Response(200, {"configurations": configurations})


@route("PUT", BASE, "/applications/{ApplicationKey}/configurations/")
def put_configurations(ctx: Context, req: Request) -> Response:
    state = ctx.state
    app = state.application(req.params["ApplicationKey"])
    changes = req.body.get("configurations") or []
    for item in changes:
        key = item.get("environmentKey") or ""
        if key not in state.environments:
            raise LifeTimeError(404, f"Environment with key {key} not found.")
        state.environment(key, req.account)
    for item in changes:
        key = item["environmentKey"]
        if item.get("isBlocked"):
            app.blocked_in[key] = item.get("isBlockedChangeReason") or ""
        else:
            app.blocked_in.pop(key, None)
    return Response(204)
