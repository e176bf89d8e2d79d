"""Dependency Management v1: deployment impact analyses, consumers and producers.

This spec's ProblemDetails has no ``traceId``/``errorCode``; :mod:`problems` leaves them out.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import Asset
from odc_pipeline.simulator.problems import ApiProblem, problem_body
from odc_pipeline.simulator.routes.common import body_dict, iso, require
from odc_pipeline.simulator.routing import Request, Response, route
from odc_pipeline.simulator.server import Context

BASE = "/api/dependency-management/v1"


@route("POST", BASE, "/deployment-analyses")
def start_analysis(ctx: Context, req: Request) -> Response:
    body = body_dict(req)
    environment_key = body.get("environmentKey")
    asset_key = body.get("assetKey")
    if not environment_key or not asset_key or "revision" not in body:
        raise ApiProblem(400, "assetKey, revision and environmentKey are required.")
    ctx.state.stage(environment_key)
    require(ctx, req, perm.DEPLOY, environment_key)
    analysis = ctx.state.start_analysis(asset_key, body["revision"], environment_key)
    return Response(201, {"analysisKey": analysis.key})


@route("GET", BASE, "/deployment-analyses/{analysisKey}")
def get_analysis(ctx: Context, req: Request) -> Response:
    analysis = ctx.state.analysis(req.params["analysisKey"])
    status = analysis.process_status(ctx.state.now())
    error = None
    if status == "Failed":
        detail = analysis.message or "The deployment analysis could not be completed."
        error = problem_body(
            500, detail, base_path=BASE, instance=f"{BASE}/deployment-analyses/{analysis.key}"
        )
    return Response(
        200,
        {
            "analysisKey": analysis.key,
            "type": "Deployment",
            "processStatus": status,
            "error": error,
            "report": analysis.report if status == "Finished" else None,
            "environmentKey": analysis.environment_key,
            "startedAt": iso(analysis.started_at),
            "assetKey": analysis.asset_key,
        },
    )


def _dependency(asset: Asset, revision: int) -> dict[str, Any]:
    rev = asset.revisions[revision]
    return {
        "key": asset.key,
        "portfolioKey": asset.portfolio_key,
        "revision": revision,
        "name": asset.name,
        "description": asset.description,
        "type": asset.type,
        "signatureDigest": None,
        "compatibilitySignatureDigest": None,
        "modelDigest": rev.model_digest,
    }


def _environment(ctx: Context, req: Request) -> str:
    key = req.q("environmentKey")
    if key:
        return ctx.state.stage(key).key
    return ctx.state.stages[0].key  # the publishing environment (1CP)


def _consumers(ctx: Context, req: Request, asset: Asset) -> list[dict[str, Any]]:
    stage_key = _environment(ctx, req)
    running = ctx.state.running[stage_key]
    results = []
    for other in ctx.state.assets.values():
        if other.key == asset.key:
            continue
        if other.deployable:
            entry = running.get(other.key)
            revision = entry.revision if entry else None
        else:
            revision = max(other.revisions)
        if revision is not None and asset.key in other.producers_of(revision):
            results.append(_dependency(other, revision))
    return _sorted(req, results)


def _sorted(req: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sort = req.q("sort") or "name"
    if sort.lstrip("-") != "name":
        raise ApiProblem(400, f"Unsupported sort {sort!r}; allowed: name.")
    return sorted(items, key=lambda d: d["name"], reverse=sort.startswith("-"))


@route("GET", BASE, "/assets/{assetKey}/consumers")
def consumers(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    return Response(200, {"results": _consumers(ctx, req, asset)})


@route("GET", BASE, "/assets/{assetKey}/revisions/{revisionNumber}/consumers")
def revision_consumers(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    ctx.state.revision(asset.key, req.p_int("revisionNumber"))
    return Response(200, {"results": _consumers(ctx, req, asset)})


@route("GET", BASE, "/assets/{assetKey}/revisions/{revisionNumber}/producers")
def producers(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    number = req.p_int("revisionNumber")
    ctx.state.revision(asset.key, number)
    max_depth = req.q_int("maxDepth", default=0, minimum=0) or 0
    type_filter = req.q("producerTypeFilter") or "All"
    if type_filter not in ("Deployable", "Libraries", "All"):
        raise ApiProblem(400, "producerTypeFilter must be Deployable, Libraries or All.")
    stage_key = _environment(ctx, req)
    running = ctx.state.running[stage_key]
    found: dict[str, dict[str, Any]] = {}
    frontier = [(asset, number, 0)]
    while frontier:
        current, current_revision, depth = frontier.pop(0)
        if max_depth and depth >= max_depth:
            continue
        for producer_key in current.producers_of(current_revision):
            producer = ctx.state.assets.get(producer_key)
            if producer is None or producer_key in found:
                continue
            if producer.deployable:
                entry = running.get(producer_key)
                if entry is None:
                    continue
                revision = entry.revision
            else:
                revision = max(producer.revisions)
            item = _dependency(producer, revision)
            item["isDirectProducer"] = depth == 0
            listed = ctx.state.tenant.dependency_graph.producer_references == "listed"
            item["producers"] = producer.producers_of(revision) if listed else None
            found[producer_key] = item
            frontier.append((producer, revision, depth + 1))
    results = [
        item
        for item in found.values()
        if type_filter == "All" or (type_filter == "Deployable") == ctx.state.assets[item["key"]].deployable
    ]
    return Response(200, {"results": _sorted(req, results)})
