"""Portfolio v2: stages (environments) and what each stage runs (deployed-assets).

Both only show stages the API client may view. ``environmentKey`` and ``key`` on
deployed-assets are comma-separated strings in this spec (not arrays).
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.routes.common import iso, require_any, visible_stages
from odc_pipeline.simulator.routing import Request, Response, check_uuid, page_with_totals, route
from odc_pipeline.simulator.server import Context

BASE = "/api/portfolios/v2"
DEPLOYED_TYPES = {"WebApplication", "MobileApplication", "Workflow", "Agent"}


@route("GET", BASE, "/environments")
def environments(ctx: Context, req: Request) -> Response:
    portfolio = req.q_uuid("portfolioKey")
    visible = set(visible_stages(ctx, req, perm.VIEW_STAGE))
    results = []
    if portfolio in (None, ctx.state.portfolio_key):
        for stage in ctx.state.stages:
            if stage.key not in visible:
                continue
            results.append(
                {
                    "key": stage.key,
                    "name": stage.name,
                    "builtinDomain": stage.domain,
                    "defaultDomain": stage.domain,
                    "purpose": stage.purpose,
                    "order": stage.order,
                    "region": stage.region,
                    "hosting": "oscloud",
                    "status": None,
                    "portfolioKey": ctx.state.portfolio_key,
                }
            )
    return Response(200, {"results": results})


def _csv(req: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in req.query.get(name, []):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return [check_uuid(v, name) for v in values]


@route("GET", BASE, "/deployed-assets")
def deployed_assets(ctx: Context, req: Request) -> Response:
    require_any(ctx, req)
    state = ctx.state
    visible = set(visible_stages(ctx, req, perm.VIEW_STAGE))
    wanted_stages = set(_csv(req, "environmentKey")) or visible
    keys = set(_csv(req, "key"))
    types = set(req.q_all("type"))
    unknown = types - DEPLOYED_TYPES
    if unknown:
        raise ApiProblem(400, f"The value(s) {', '.join(sorted(unknown))} are not valid for type.")
    name = (req.q("nameContains") or "").lower()
    portfolio = req.q_uuid("portfolioKey")
    items: list[dict[str, Any]] = []
    for asset in sorted(state.assets.values(), key=lambda a: a.name.lower()):
        if portfolio not in (None, state.portfolio_key) or not asset.deployable:
            continue
        if (
            (keys and asset.key not in keys)
            or (types and asset.type not in types)
            or name not in asset.name.lower()
        ):
            continue
        deployments = []
        for stage in state.stages:
            if stage.key not in visible or stage.key not in wanted_stages:
                continue
            running = state.running[stage.key].get(asset.key)
            if running is None:
                continue
            revision = asset.revisions[running.revision]
            deployments.append(
                {
                    "environmentKey": stage.key,
                    "name": asset.name,
                    "revision": running.revision,
                    "buildKey": running.build_key,
                    "deploymentKey": running.deployment_key,
                    "deploymentDateTime": iso(running.deployed_at),
                    "description": asset.description,
                    "iconUrl": None,
                    "deploymentUserId": running.deployed_by,
                    "url": f"{ctx.url}/_simulator/sites/{stage.domain}/{asset.url_path}",
                    "tag": revision.tag,
                    "taggingUserKey": revision.tagged_by,
                    "taggingDateTime": iso(revision.tagged_at),
                    "portfolioKey": state.portfolio_key,
                }
            )
        if not deployments:
            continue
        deployments.sort(key=lambda d: d["deploymentDateTime"], reverse=True)
        items.append({"type": asset.type, "key": asset.key, "isBuiltIn": False, "deployments": deployments})
    limit = req.q_int("limit", default=100, minimum=1) or 100
    offset = req.q_int("offset", default=0, minimum=0) or 0
    page = items[offset : offset + limit]
    return Response(200, {"page": page_with_totals(page, offset, limit, len(items)), "results": page})
