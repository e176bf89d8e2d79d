"""Deployments v1: Deploy / ApplyConfigs / Undeploy operations and their messages.

Status spellings are the deployment ones (``FinishedWithError``, singular). Messages page with
an opaque string cursor (``StringPageInfo``); while an operation runs ``finishedDateTime`` is
left out (the spec makes it non-nullable and does not say what a running one carries).
"""

from __future__ import annotations

import base64
from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import Deployment
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.routes.common import body_dict, iso, require, visible_stages
from odc_pipeline.simulator.routing import Request, Response, check_uuid, route
from odc_pipeline.simulator.server import Context

BASE = "/api/deployments/v1"
SORTS = {"CreatedAt", "UpdatedAt", "ApplicationKey", "AssetKey", "ApplicationName", "AssetName", "FinishedAt"}
STATUSES = ("Running", "FinishedWithError", "Finished")
OPERATIONS = ("Deploy", "Undeploy", "ApplyConfigs")


def deployment_json(ctx: Context, op: Deployment) -> dict[str, Any]:
    now = ctx.state.now()
    body: dict[str, Any] = {
        "key": op.key,
        "status": op.status(now),
        "startedDateTime": iso(op.accepted_at),
        "deployedBy": op.deployed_by,
        "assetKey": op.asset_key,
        "revisions": [op.revision] if op.revision is not None else [],
        "buildKey": op.build_key,
        "assetName": ctx.state.assets[op.asset_key].name,
        "operation": op.operation,
        "portfolioKey": ctx.state.portfolio_key,
    }
    if op.done(now):
        body["finishedDateTime"] = iso(op.finished_at)
    return body


@route("POST", BASE, "/deployment-operations")
def start(ctx: Context, req: Request) -> Response:
    body = body_dict(req)
    operation = body.get("operation")
    if operation is None:
        raise ApiProblem(400, "operation is mandatory.")
    if not body.get("environmentKey"):
        raise ApiProblem(400, "environmentKey is mandatory.")
    if not body.get("assetKey"):
        raise ApiProblem(400, "assetKey is mandatory.")
    stage = ctx.state.stage(body["environmentKey"])
    require(ctx, req, perm.DEPLOY, stage.key)
    op = ctx.state.start_deployment(
        operation,
        asset_key=body["assetKey"],
        environment_key=stage.key,
        revision=body.get("revision"),
        build_key=body.get("buildKey"),
        client_id=req.client_id,
    )
    return Response(201, deployment_json(ctx, op))


@route("GET", BASE, "/deployment-operations/{operationKey}")
def get(ctx: Context, req: Request) -> Response:
    op = ctx.state.deployment(req.p_uuid("operationKey"))
    require(ctx, req, perm.VIEW_STAGE, op.environment_key)
    return Response(200, deployment_json(ctx, op))


@route("GET", BASE, "/deployment-operations")
def list_operations(ctx: Context, req: Request) -> Response:
    visible = set(visible_stages(ctx, req, perm.VIEW_STAGE))
    ops = [op for op in ctx.state.deployments.values() if op.environment_key in visible]
    environment_key = req.q_uuid("environmentKey")
    asset_key = req.q_uuid("assetKey")
    status = req.q("status")
    revision = req.q_int("revision")
    operations = req.q_all("operations")
    if status is not None and status not in STATUSES:
        raise ApiProblem(400, f"The value '{status}' is not valid for status.")
    for name in operations:
        if name not in OPERATIONS:
            raise ApiProblem(400, f"The value '{name}' is not valid for operations.")
    if req.q("portfolioKey"):
        check_uuid(req.q("portfolioKey") or "", "portfolioKey")
        ops = [op for op in ops if req.q("portfolioKey") == ctx.state.portfolio_key]
    now = ctx.state.now()
    if environment_key:
        ops = [op for op in ops if op.environment_key == environment_key]
    if asset_key:
        ops = [op for op in ops if op.asset_key == asset_key]
    if status:
        ops = [op for op in ops if op.status(now) == status]
    if revision is not None:
        ops = [op for op in ops if op.revision == revision]
    if operations:
        ops = [op for op in ops if op.operation in operations]
    for spec in reversed((req.q("sort") or "-CreatedAt").split(",")):
        field = spec.strip().lstrip("-")
        if field not in SORTS:
            raise ApiProblem(400, f"Unsupported sort {spec!r}.")
        ops.sort(key=_sort_key(ctx, field), reverse=spec.strip().startswith("-"))
    limit = req.q_int("limit", default=100, minimum=1) or 100
    offset = req.q_int("offset", default=0, minimum=0) or 0
    page = ops[offset : offset + limit]
    results = [deployment_json(ctx, op) for op in page]
    next_offset = offset + limit if offset + limit < len(ops) else None
    return Response(
        200,
        {
            "page": {"count": len(results), "limit": limit, "offset": offset, "nextPageOffset": next_offset},
            "results": results,
        },
    )


def _sort_key(ctx: Context, field: str) -> Any:
    if field in ("CreatedAt", "UpdatedAt"):
        return lambda op: op.accepted_at
    if field == "FinishedAt":
        return lambda op: op.finished_at
    if field in ("ApplicationKey", "AssetKey"):
        return lambda op: op.asset_key
    return lambda op: ctx.state.assets[op.asset_key].name.lower()


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"msg:{index}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "msg":
            raise ValueError(cursor)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, f"The value '{cursor}' is not a valid offset.") from None


@route("GET", BASE, "/deployment-operations/{operationKey}/messages")
def messages(ctx: Context, req: Request) -> Response:
    op = ctx.state.deployment(req.p_uuid("operationKey"))
    require(ctx, req, perm.VIEW_STAGE, op.environment_key)
    limit = req.q_int("limit", default=100, minimum=1) or 100
    cursor = req.q("offset")
    start_index = _decode_cursor(cursor) if cursor else 0
    visible = op.visible_messages(ctx.state.now())
    page = visible[start_index : start_index + limit]
    results = []
    for message in page:
        results.append(
            {
                "timestamp": iso(op.wall(op.message_time(message))),
                "type": message.type,
                "severity": message.severity,
                "message": message.text,
                "additionalInfo": {"stepId": message.step_id, "assetKey": op.asset_key},
            }
        )
    end = start_index + len(page)
    next_cursor = _encode_cursor(end) if end < len(visible) else None
    return Response(
        200,
        {
            "page": {"count": len(results), "limit": limit, "offset": cursor, "nextPageOffset": next_cursor},
            "results": results,
        },
    )
