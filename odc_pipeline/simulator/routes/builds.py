"""Build Operations v1 (``/api/builds/v1``): Release/Debug builds, logs, generated code.

A POST without ``buildType`` makes a **Debug** build (the spec's default), which the
deployments API then refuses to deploy: the gotcha every pipeline must handle.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import Build
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.routes.common import body_dict, iso, require
from odc_pipeline.simulator.routing import Request, Response, check_uuid, route
from odc_pipeline.simulator.server import Context

BASE = "/api/builds/v1"


def build_json(ctx: Context, build: Build) -> dict[str, Any]:
    now = ctx.state.now()
    status = build.status(now)
    started = None if status == "Pending" else build.wall(build.t0 + build.duration * 0.1)
    return {
        "buildKey": build.key,
        "assetKey": build.asset_key,
        "assetRevision": build.revision,
        "buildType": build.build_type,
        "startedDateTime": iso(started),
        "finishedDateTime": iso(build.finished_at) if build.done(now) else None,
        "builtBy": build.built_by,
        "status": status,
        "securityAudit": {"vulnerabilities": []} if build.done(now) and build.succeeds else None,
    }


@route("POST", BASE, "/build-operations")
def start_build(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.OPEN)
    body = body_dict(req)
    if "assetKey" not in body or "assetRevision" not in body:
        raise ApiProblem(400, "assetKey and assetRevision are required.")
    build_type = body.get("buildType", "Debug")
    build = ctx.state.start_build(body["assetKey"], body["assetRevision"], build_type, req.client_id)
    return Response(201, {"buildKey": build.key, "isSuccessful": True})


@route("GET", BASE, "/build-operations/{operationKey}")
def get_build(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.OPEN)
    return Response(200, build_json(ctx, ctx.state.build(req.params["operationKey"])))


@route("GET", BASE, "/build-operations")
def list_builds(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.OPEN)
    asset_key = req.q("assetKey")
    revision = req.q_int("assetRevision")
    build_type = req.q("byBuildType")
    if build_type is not None and build_type not in ("Debug", "Release"):
        raise ApiProblem(400, "BuildType is invalid.")
    builds = list(ctx.state.builds.values())
    listing = ctx.state.tenant.build_listing
    if not asset_key and listing.without_asset_key == "rejected":
        raise ApiProblem(400, "The assetKey field is required.")
    if not asset_key and listing.without_asset_key == "not-found":
        raise ApiProblem(404, "Couldn't find asset key or revision.")
    if not asset_key and listing.without_asset_key == "empty":
        return Response(200, {"builds": []})
    if asset_key:
        check_uuid(asset_key, "assetKey")
        if asset_key not in ctx.state.assets:
            raise ApiProblem(404, "Couldn't find asset key or revision.")
        builds = [b for b in builds if b.asset_key == asset_key]
        if revision is not None and revision not in ctx.state.assets[asset_key].revisions:
            raise ApiProblem(404, "Couldn't find asset key or revision.")
    if revision is not None:
        builds = [b for b in builds if b.revision == revision]
    if build_type:
        builds = [b for b in builds if b.build_type == build_type]
    builds.sort(key=lambda b: b.started_at)
    if not asset_key and listing.without_asset_key == "capped":
        builds = builds[: listing.cap]
    return Response(200, {"builds": [build_json(ctx, b) for b in builds]})


@route("GET", BASE, "/build-operations/{operationKey}/log-messages")
def build_log(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.OPEN)
    build = ctx.state.build(req.params["operationKey"])
    return Response(200, {"results": ctx.state.build_messages(build)})


@route("POST", BASE, "/build-operations/{operationKey}/generated-code")
def start_generated_code(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.OPEN)
    ctx.state.start_generated_code(ctx.state.build(req.params["operationKey"]))
    return Response(201, {"isSuccessful": True})


@route("GET", BASE, "/build-operations/{operationKey}/generated-code")
def get_generated_code(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.OPEN)
    build = ctx.state.build(req.params["operationKey"])
    package = build.generated_code
    if package is None:
        raise ApiProblem(404, "Couldn't find generated code package for the given build.")
    now = ctx.state.now()
    op = package.op
    if not op.done(now):
        status = "NotStarted" if now < op.t0 + op.duration * 0.1 else "Running"
        return Response(200, {"status": status, "uri": None, "errors": []})
    if op.succeeds:
        return Response(200, {"status": "Finished", "uri": f"{ctx.url}{package.uri}", "errors": []})
    error = {
        "timestamp": iso(op.finished_at),
        "severity": "Error",
        "message": op.message or "Packaging failed.",
    }
    return Response(200, {"status": "Failed", "uri": None, "errors": [error]})
