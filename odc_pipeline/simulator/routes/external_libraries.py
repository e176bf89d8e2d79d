"""External Library Generation v1: upload URLs, generation operations.

The pre-signed storage URLs point at the simulator's object store (``objectstore``: signed,
expiring, no bearer token). A successful generation creates (or adds a revision to) an
``ExternalLibrary`` asset named after the file (the real platform reads the name from the
assembly) and, with the tenant's ``external_libraries.review: required`` (default), stops at
``ReadyForReview`` until that revision is released by tagging; with ``review: none`` it goes on
to ``Completed``. Which of the two a real tenant does is UNDOC (odc-api-notes §3.7), so both
can be rehearsed.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import LibraryGeneration
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.routes.common import body_dict, iso, require, require_any
from odc_pipeline.simulator.routing import Request, Response, route
from odc_pipeline.simulator.server import Context
from odc_pipeline.simulator.state import library_name

BASE = "/api/external-libraries/v1"


@route("GET", BASE, "/uploads")
def uploads(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.CREATE)
    _, upload_url, download_url = ctx.state.objects.presign(ctx.url, ctx.state.now())
    return Response(200, {"uploadUrl": upload_url, "downloadUrl": download_url})


@route("POST", BASE, "/generation-operations")
def start(ctx: Context, req: Request) -> Response:
    body = body_dict(req)
    if not body.get("fileName") or not body.get("highCodeBinaryUri"):
        raise ApiProblem(400, "fileName and highCodeBinaryUri are required.")
    library = library_name(body["fileName"])
    existing = any(a.type == "ExternalLibrary" and a.name == library for a in ctx.state.assets.values())
    require(ctx, req, perm.CHANGE if existing else perm.CREATE)
    generation = ctx.state.start_library_generation(body["fileName"], body["highCodeBinaryUri"])
    return Response(201, {"operationKey": generation.key})


def generation_json(ctx: Context, op: LibraryGeneration) -> dict[str, Any]:
    now = ctx.state.now()
    if op.done(now) and not op.finished_applied:
        ctx.state.advance()  # finished since this request's advance(): apply it before answering
    tagged = False
    if op.library_key and op.revision:
        tagged = bool(ctx.state.assets[op.library_key].revisions[op.revision].tag)
    status = op.status(now, tagged)
    ready = status in ("ReadyForReview", "Completed")
    return {
        "key": op.key,
        "filename": op.file_name,
        "createdAt": iso(op.started_at),
        "libraryKey": op.library_key if ready else None,
        "libraryName": op.library_name if ready else None,
        "libraryDescription": None,
        "libraryIconUri": None,
        "libraryUri": None,
        "isNewLibrary": op.is_new_library if ready else None,
        "status": status,
    }


@route("GET", BASE, "/generation-operations/{operationKey}")
def get(ctx: Context, req: Request) -> Response:
    require_any(ctx, req)
    op = ctx.state.library_generations.get(req.params["operationKey"])
    if op is None:
        raise ApiProblem(404, "Generation operation not found.", no_body=True)  # the spec declares no body
    return Response(200, generation_json(ctx, op))


@route("GET", BASE, "/generation-operations/{operationKey}/log-messages")
def log_messages(ctx: Context, req: Request) -> Response:
    op = ctx.state.library_generations.get(req.params["operationKey"])
    if op is None:
        raise ApiProblem(404, "Generation operation not found.")
    require(ctx, req, perm.CHANGE if op.library_key and not op.is_new_library else perm.CREATE)
    finished = iso(op.finished_at) if op.done(ctx.state.now()) else None
    return Response(
        200,
        {
            "validationMessages": ctx.state.generation_messages(op),
            "finishedAt": finished or iso(op.started_at),
        },
    )


@route("GET", BASE, "/generation-operations")
def list_operations(ctx: Context, req: Request) -> Response:
    require_any(ctx, req)
    ops = sorted(ctx.state.library_generations.values(), key=lambda o: o.started_at, reverse=True)
    return Response(200, {"results": [generation_json(ctx, op) for op in ops]})
