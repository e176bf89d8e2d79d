"""``/modules/...``: modules with their status per environment, and their versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from odc_pipeline.lifetime_simulator.routes import views
from odc_pipeline.lifetime_simulator.routing import LifeTimeError, Request, Response, route
from odc_pipeline.swagger import LIFETIME_BASE_PATH as BASE

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.model import Application, Module
    from odc_pipeline.lifetime_simulator.server import Context

DEFAULT_MAX_VERSIONS = 5


def _modules(ctx: Context) -> list[tuple[Application, Module]]:
    return [(app, m) for app in ctx.state.applications.values() for m in app.modules]


def _find(ctx: Context, key: str) -> tuple[Application, Module]:
    found = next(((a, m) for a, m in _modules(ctx) if m.key == key), None)
    if found is None:
        raise LifeTimeError(404, f"Failed to retrieve the module with key: {key}.")
    return found


def _module(ctx: Context, req: Request, app: Application, module: Module) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Key": module.key,
        "Name": module.name,
        "Description": module.description,
        "Kind": module.kind,
    }
    if req.query.get("IncludeEnvStatus", False):
        statuses = []
        for env in sorted(ctx.state.environments.values(), key=lambda e: e.order):
            status = views.app_status(ctx.state, app, env.key, modules=True)
            if status is not None and ctx.state.can_use(req.account, env.key):
                statuses += [
                    s for s in status["ModuleStatusInEnvs"] if s["ModuleVersionKey"] in _keys(app, module)
                ]
        body["ModuleStatusInEnv"] = statuses
    return body


def _keys(app: Application, module: Module) -> set[str]:
    return {v.module_versions[module.key] for v in app.versions.values() if module.key in v.module_versions}


@route("GET", BASE, "/modules/")
def list_modules(ctx: Context, req: Request) -> Response:
    modules = _modules(ctx)
    if not modules:
        return Response(204)
    return Response(200, [_module(ctx, req, a, m) for a, m in modules])


@route("GET", BASE, "/modules/{ModuleKey}/")
def get_module(ctx: Context, req: Request) -> Response:
    app, module = _find(ctx, req.params["ModuleKey"])
    return Response(200, _module(ctx, req, app, module))


def _versions(app: Application, module: Module) -> list[dict[str, Any]]:
    out = []
    for version in sorted(app.versions.values(), key=lambda v: v.created_on, reverse=True):
        key = version.module_versions.get(module.key)
        if key is None:
            continue
        out.append(
            {
                "Key": key,
                "ModuleKey": module.key,
                "CreatedOn": views.instant(version.created_on),
                "CreatedBy": version.created_by,
                "CreatedByUsername": version.created_by,
                "GeneralHash": key.replace("-", "")[:20],
                "DirectUpgradeFromHash": "",
            }
        )
    return out


@route("GET", BASE, "/modules/{ModuleKey}/versions/")
def list_module_versions(ctx: Context, req: Request) -> Response:
    app, module = _find(ctx, req.params["ModuleKey"])
    limit = req.query.get("MaximumVersionsToReturn", DEFAULT_MAX_VERSIONS)
    if limit < 0:
        raise LifeTimeError(400, "MaximumVersionsToReturn must not be less than 0.")
    return Response(200, _versions(app, module)[:limit])


@route("GET", BASE, "/modules/{ModuleKey}/versions/{ModuleVersionKey}/")
def get_module_version(ctx: Context, req: Request) -> Response:
    app, module = _find(ctx, req.params["ModuleKey"])
    found = next((v for v in _versions(app, module) if v["Key"] == req.params["ModuleVersionKey"]), None)
    if found is None:
        raise LifeTimeError(
            404, f"Failed to retrieve the module version with key: {req.params['ModuleVersionKey']}."
        )
    return Response(200, found)
