"""``/environments/...``: environments, their deployment zones, maintenance mode, running apps, tagging."""

from __future__ import annotations

from typing import TYPE_CHECKING

from odc_pipeline.lifetime_simulator.routes import views
from odc_pipeline.lifetime_simulator.routing import LifeTimeError, Request, Response, route
from odc_pipeline.swagger import LIFETIME_BASE_PATH as BASE

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.server import Context


@route("GET", BASE, "/environments/")
def list_environments(ctx: Context, req: Request) -> Response:
    state = ctx.state
    envs = sorted(
        (e for e in state.environments.values() if state.can_use(req.account, e.key)), key=lambda e: e.order
    )
    if not envs:
        return Response(204)
    return Response(200, [views.environment(state, e) for e in envs])


@route("GET", BASE, "/environments/{EnvironmentKey}/")
def get_environment(ctx: Context, req: Request) -> Response:
    env = ctx.state.environment(req.params["EnvironmentKey"], req.account)
    return Response(200, views.environment(ctx.state, env))


@route("GET", BASE, "/environments/{EnvironmentKey}/deploymentzones/")
def deployment_zones(ctx: Context, req: Request) -> Response:
    env = ctx.state.environment(req.params["EnvironmentKey"], req.account)
    return Response(200, [views.zone(z) for z in env.zones])


@route("PUT", BASE, "/environments/{EnvironmentKey}/maintenancemode")
def maintenance_mode(ctx: Context, req: Request) -> Response:
    env = ctx.state.environment(req.params["EnvironmentKey"], req.account)
    if req.body.get("IsMaintenanceModeEnabled") is None:
        raise LifeTimeError(400, "IsMaintenanceModeEnabled is required.")
    env.maintenance = bool(req.body["IsMaintenanceModeEnabled"])
    env.maintenance_reason = req.body.get("Reason") or ""
    return Response(200)


def _flags(req: Request) -> tuple[bool, bool]:
    modules = req.query.get("IncludeModules", False)
    env_status = req.query.get("IncludeEnvStatus", False)
    if modules and not env_status:
        raise LifeTimeError(400, "Request asked for Modules but not for Status.")
    return env_status, modules


@route("GET", BASE, "/environments/{EnvironmentKey}/applications/")
def running_applications(ctx: Context, req: Request) -> Response:
    state = ctx.state
    env = state.environment(req.params["EnvironmentKey"], req.account)
    env_status, modules = _flags(req)
    apps = [state.applications[k] for k in state.running[env.key]]
    if not apps:
        return Response(204)
    return Response(
        200,
        [
            views.application(state, a, env_status=env_status, modules=modules, env_keys=[env.key])
            for a in apps
        ],
    )


@route("GET", BASE, "/environments/{EnvironmentKey}/applications/{ApplicationKey}/")
def running_application(ctx: Context, req: Request) -> Response:
    state = ctx.state
    env_key, app_key = req.params["EnvironmentKey"], req.params["ApplicationKey"]
    env_status, modules = _flags(req)
    env = state.environments.get(env_key)
    app = state.applications.get(app_key)
    not_found = LifeTimeError(
        404, f"Failed to retrieve the environment with key {env_key} or the application with key {app_key}."
    )
    if env is None or app is None:
        raise not_found
    state.environment(env_key, req.account)
    if app_key not in state.running[env_key] and state.undoc.app_not_in_environment == "not_found":
        raise not_found
    return Response(
        200, views.application(state, app, env_status=env_status, modules=modules, env_keys=[env_key])
    )


@route("POST", BASE, "/environments/{EnvironmentKey}/applications/{ApplicationKey}/versions/")
def tag_version(ctx: Context, req: Request) -> Response:
    state = ctx.state
    env = state.environments.get(req.params["EnvironmentKey"])
    app = state.applications.get(req.params["ApplicationKey"])
    if env is None or app is None:
        raise LifeTimeError(404, "Environment or application not found.")
    state.environment(env.key, req.account)
    version = state.tag(
        env, app, req.body.get("Version") or "", req.body.get("ChangeLog") or "", req.account.name
    )
    return Response(201, {"ApplicationVersionKey": version.key})
