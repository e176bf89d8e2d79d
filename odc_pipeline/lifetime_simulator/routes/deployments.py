"""``/deployments/...``: plans (create, list, read with conflicts, update, delete), commands, status."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

from odc_pipeline.lifetime_simulator import plans
from odc_pipeline.lifetime_simulator.routes import views
from odc_pipeline.lifetime_simulator.routing import LifeTimeError, Request, Response, route
from odc_pipeline.lifetime_simulator.state import COMMANDS
from odc_pipeline.swagger import LIFETIME_BASE_PATH as BASE

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.server import Context


@route("POST", BASE, "/deployments/")
def create(ctx: Context, req: Request) -> Response:
    plan = ctx.state.create_plan(req.body, req.account)
    undoc = ctx.state.undoc
    key = json.dumps(plan.key) if undoc.deployment_key_format == "json" else plan.key
    return Response(undoc.deployment_created_status, key, text=True)


@route("GET", BASE, "/deployments/")
def list_plans(ctx: Context, req: Request) -> Response:
    state = ctx.state
    today = state.clock.now().date()
    low = req.query.get("MinDate", today - timedelta(days=7))
    high = req.query.get("MaxDate", today)
    if low > high:
        raise LifeTimeError(400, f"Invalid request for list of deployments created between {low} and {high}.")
    target = req.query.get("TargetEnvironmentKey", "")
    found = [
        p
        for p in state.plans.values()
        if low <= p.created_at.date() <= high
        and (not target or p.target_key == target)
        and state.can_use(req.account, p.target_key)
    ]
    if not found:
        return Response(204)
    found.sort(key=lambda p: p.created_at, reverse=True)
    return Response(200, [views.deployment(state, p) for p in found])


@route("GET", BASE, "/deployments/{DeploymentKey}/")
def get_plan(ctx: Context, req: Request) -> Response:
    state = ctx.state
    plan = state.plan(req.params["DeploymentKey"], req.account)
    findings = state.findings(plan) if plan.started_t is None else []
    redeploy = (
        plan.redeploy_keys
        if plan.started_t is not None
        else [f.redeploy_key for f in findings if f.redeploy_key]
    )
    body = {
        "Deployment": views.deployment(state, plan),
        "ApplicationsToDeploy": [],
        "ApplicationsToRedeploy": list(dict.fromkeys(k for k in redeploy if k)),
        "ApplicationConflicts": [f.as_json("Deploy") for f in findings],
        "ModulesToDelete": [],
    }
    return Response(200, body)


@route("PUT", BASE, "/deployments/{DeploymentKey}/")
def update_plan(ctx: Context, req: Request) -> Response:
    state = ctx.state
    plan = state.plan(req.params["DeploymentKey"], req.account)
    if state.status(plan).status != plans.SAVED:
        raise LifeTimeError(400, f"Deployment with key {plan.key} can only be changed while saved.")
    source, target, operations = state.operations(req.body, req.account)
    plan.source_key, plan.target_key, plan.operations = source.key, target.key, operations
    plan.notes = req.body["Notes"] or ""
    plan.saved_at = state.clock.now()
    return Response(200, views.deployment_data(state, plan))


@route("DELETE", BASE, "/deployments/{DeploymentKey}/")
def delete_plan(ctx: Context, req: Request) -> Response:
    state = ctx.state
    plan = state.plan(req.params["DeploymentKey"], req.account)
    if state.status(plan).status != plans.SAVED:
        raise LifeTimeError(400, f"Deployment with key {plan.key} cannot be deleted")
    del state.plans[plan.key]
    return Response(204)


@route("POST", BASE, "/deployments/{DeploymentKey}/{Command}/")
def command(ctx: Context, req: Request) -> Response:
    state = ctx.state
    key, name = req.params["DeploymentKey"], req.params["Command"]
    if key not in state.plans or name not in COMMANDS:
        raise LifeTimeError(404, f"Deployment with key {key} not found, or command {name} not found.")
    plan = state.plan(key, req.account)
    state.command(plan, name, redeploy_outdated=req.query.get("RedeployOutdated", False), account=req.account)
    return Response(202)


@route("GET", BASE, "/deployments/{DeploymentKey}/status/")
def status(ctx: Context, req: Request) -> Response:
    state = ctx.state
    plan = state.plan(req.params["DeploymentKey"], req.account)
    return Response(200, views.status(state, plan, state.segments(plan)))
