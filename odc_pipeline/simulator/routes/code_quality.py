"""Code Quality v1: per-revision summaries (404 until analysed) and ad-hoc analyses.

``POST /code-analyses`` answers **200** (not 201). The analysis ``status`` is a free string in
the spec; the simulator says ``Queued`` then ``Running`` before a documented terminal value
(``Completed``, ``Failed``, ``Timeout``), so clients must treat unknown strings as in progress.
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import CodeAnalysis, Revision
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.routes.common import body_dict, require
from odc_pipeline.simulator.routing import Request, Response, route
from odc_pipeline.simulator.server import Context
from odc_pipeline.simulator.tenant import Quality

BASE = "/api/code-quality/v1"
CATEGORIES = ("security", "performance", "architecture", "maintainability")
SEVERITIES = (
    ("low", "lowSeverity"),
    ("medium", "mediumSeverity"),
    ("high", "highSeverity"),
    ("critical", "criticalSeverity"),
)


def _summary(quality: Quality) -> dict[str, Any]:
    categories = {}
    for category in CATEGORIES:
        counts = getattr(quality, category)
        categories[category] = {field: counts.get(level, 0) for level, field in SEVERITIES}
    return {"categories": categories}


def _quality(revision: Revision) -> Quality:
    return revision.quality or Quality()


@route("GET", BASE, "/assets/{assetKey}/revisions/{revision}/analysis-summary")
def summary(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.VIEW_QUALITY)
    revision = ctx.state.revision(req.params["assetKey"], req.p_int("revision"))
    if revision.quality_analysed_at is None:
        raise ApiProblem(404, "The asset revision was not analysed yet.", error_code="OS-AIMS-40412")
    quality = _quality(revision)
    return Response(
        200,
        {
            "assetKey": req.params["assetKey"],
            "assetRevision": revision.number,
            "analysisDate": revision.quality_analysed_at.date().isoformat(),
            "qualityScore": quality.score,
            "summary": _summary(quality),
        },
    )


@route("POST", BASE, "/code-analyses")
def start(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.MANAGE_QUALITY)
    body = body_dict(req)
    analysis = ctx.state.start_code_analysis(body["assetKey"], body["assetRevision"])
    return Response(200, {"analysisKey": analysis.key, "status": analysis.status(ctx.state.now())})


def _findings(analysis: CodeAnalysis, quality: Quality) -> list[dict[str, Any]]:
    findings = []
    for category in CATEGORIES:
        for level, _ in SEVERITIES:
            for index in range(getattr(quality, category).get(level, 0)):
                findings.append(
                    {
                        "id": None,
                        "patternId": f"{category}-{level}-{index + 1}",
                        "elementName": f"{category.title()}Element{index + 1}",
                        "elementType": "ServerAction",
                        "status": "Open",
                        "severity": level.title(),
                        "assetKey": analysis.asset_key,
                        "assetRevision": analysis.revision,
                        "category": category,
                    }
                )
    return findings


@route("GET", BASE, "/code-analyses/{analysisKey}")
def get(ctx: Context, req: Request) -> Response:
    require(ctx, req, perm.VIEW_QUALITY)
    analysis = ctx.state.code_analyses.get(req.params["analysisKey"])
    if analysis is None:
        raise ApiProblem(404, f"Code analysis {req.params['analysisKey']} was not found.")
    status = analysis.status(ctx.state.now())
    quality = _quality(ctx.state.revision(analysis.asset_key, analysis.revision))
    body: dict[str, Any] = {"analysisKey": analysis.key, "status": status, "qualityScore": 0.0}
    if status == "Completed":
        findings = _findings(analysis, quality)
        offset = req.q_int("Offset", default=0, minimum=0) or 0
        limit = req.q_int("Limit", default=len(findings) or 1, minimum=1) or 1
        body.update(
            findings=findings[offset : offset + limit], qualityScore=quality.score, summary=_summary(quality)
        )
    return Response(200, body)
