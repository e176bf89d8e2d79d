"""Helpers every domain's handlers share: permission checks and date formatting."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from odc_pipeline.simulator.problems import ApiProblem

if TYPE_CHECKING:
    from odc_pipeline.simulator.routing import Request
    from odc_pipeline.simulator.server import Context


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def require(ctx: Context, req: Request, permission: str, stage_key: str | None = None) -> None:
    """403 unless the calling API client holds ``permission`` (in ``stage_key``, or in any stage)."""
    state = ctx.state
    stage_keys = [s.key for s in state.stages]
    if not state.grants[req.client_id].allows(permission, stage_key, stage_keys):
        where = f" in stage {state.stage(stage_key).name}" if stage_key else ""
        raise ApiProblem(403, f"The API client needs the {permission} permission{where}.", title="Forbidden")


def visible_stages(ctx: Context, req: Request, permission: str) -> list[str]:
    grants = ctx.state.grants[req.client_id]
    return [s.key for s in ctx.state.stages if permission in grants.in_stage(s.key)]


def require_any(ctx: Context, req: Request) -> None:
    stage_keys = [s.key for s in ctx.state.stages]
    if not ctx.state.grants[req.client_id].has_any(stage_keys):
        raise ApiProblem(403, "The API client must have at least one permission.", title="Forbidden")


def body_dict(req: Request) -> dict[str, Any]:
    if req.body is None:
        return {}
    if not isinstance(req.body, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    return req.body
