"""Asset Repository v1: assets, revisions, tags (libraries are released here, by tagging)."""

from __future__ import annotations

from typing import Any

from odc_pipeline.simulator import permissions as perm
from odc_pipeline.simulator.model import Asset, Revision
from odc_pipeline.simulator.problems import ApiProblem
from odc_pipeline.simulator.routes.common import body_dict, iso
from odc_pipeline.simulator.routing import Request, Response, check_uuid, page_with_totals, route
from odc_pipeline.simulator.server import Context

BASE = "/api/asset-repository/v1"


def revision_json(ctx: Context, asset: Asset, revision: Revision, embeds: set[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assetKey": asset.key,
        "portfolioKey": asset.portfolio_key,
        "revision": revision.number,
        "name": asset.name,
        "description": asset.description,
        "isExternal": asset.type == "ExternalLibrary",
        "tag": revision.tag,
        "modelDigest": revision.model_digest,
        "clonedFromTemplateKey": None,
        "assetType": asset.type,
        "createdBy": revision.created_by,
        "createdAt": iso(revision.created_at),
        "commitMessage": revision.commit_message,
        "taggedBy": revision.tagged_by,
        "taggedAt": iso(revision.tagged_at),
    }
    if embeds:
        embedded: dict[str, Any] = {}
        if "releaseNote" in embeds:
            url = f"{ctx.url}{BASE}/assets/{asset.key}/revisions/{revision.number}/release-notes"
            embedded["releaseNote"] = {
                "tag": revision.tag,
                "releaseNoteUrl": url if revision.release_notes else None,
            }
        if "metadata" in embeds:
            embedded["metadata"] = _metadata(asset)
        body["_embedded"] = embedded
    return body


def _metadata(asset: Asset) -> dict[str, Any]:
    return {
        "templateType": None,
        "toolVersion": "1.0.0",
        "runtime": "ODC",
        "mobileFrameworks": [] if asset.type != "MobileApplication" else ["Capacitor"],
        "assemblyVersion": None,
        "assemblyName": None,
        "urlPath": asset.url_path if asset.deployable else None,
        "isDeployable": asset.deployable,
        "isBuiltInAsset": False,
    }


def _embeds(req: Request) -> set[str]:
    allowed = {"releaseNote", "icon", "sourceCode", "signature", "metadata"}
    embeds = set(req.q_all("embed"))
    unknown = embeds - allowed
    if unknown:
        raise ApiProblem(400, f"Unknown embed value(s): {', '.join(sorted(unknown))}.")
    return embeds


def _paging(req: Request) -> tuple[int, int]:
    limit = req.q_int("limit", default=100, minimum=1, maximum=1000)
    offset = req.q_int("offset", default=0, minimum=0)
    assert limit is not None
    assert offset is not None
    return offset, limit


@route("GET", BASE, "/assets")
def list_assets(ctx: Context, req: Request) -> Response:
    assets = list(ctx.state.assets.values())
    name = (req.q("nameContains") or "").lower()
    name_or_description = (req.q("nameOrDescriptionContains") or "").lower()
    types = req.q_all("assetTypes")
    keys = [check_uuid(k, "assetKeys") for k in req.q_all("assetKeys")]
    deployable = req.q_bool("metadata.isDeployable")
    external = req.q_bool("isExternal")
    if name:
        assets = [a for a in assets if name in a.name.lower()]
    if name_or_description:
        assets = [
            a
            for a in assets
            if name_or_description in a.name.lower() or name_or_description in (a.description or "").lower()
        ]
    if types:
        assets = [a for a in assets if a.type in types]
    if keys:
        assets = [a for a in assets if a.key in keys]
    if deployable is not None:
        assets = [a for a in assets if a.deployable == deployable]
    if external is not None:
        assets = [a for a in assets if (a.type == "ExternalLibrary") == external]
    sort = req.q("sort") or "name"
    field = sort.lstrip("-")
    if field not in ("name", "createdAt"):
        raise ApiProblem(400, f"Unsupported sort {sort!r}; allowed: name, createdAt.")
    assets.sort(key=(lambda a: a.name.lower()) if field == "name" else (lambda a: a.latest.created_at))
    if sort.startswith("-"):
        assets.reverse()
    offset, limit = _paging(req)
    embeds = _embeds(req)
    page = assets[offset : offset + limit]
    results = [revision_json(ctx, a, a.latest, embeds) for a in page]
    return Response(200, {"page": page_with_totals(results, offset, limit, len(assets)), "results": results})


@route("GET", BASE, "/assets/{assetKey}")
def get_asset(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    return Response(200, revision_json(ctx, asset, asset.latest, _embeds(req)))


@route("GET", BASE, "/assets/{assetKey}/latest-revision")
def latest_revision(ctx: Context, req: Request) -> Response:
    return get_asset(ctx, req)


@route("GET", BASE, "/assets/{assetKey}/highest-tag-revision")
def highest_tag_revision(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    revision = ctx.state.highest_tagged(asset)
    if revision is None:
        raise ApiProblem(404, f"Asset {asset.key} has no tagged revision.", error_code="OS-APPS-40401")
    return Response(200, revision_json(ctx, asset, revision, _embeds(req)))


@route("GET", BASE, "/assets/{assetKey}/revisions")
def list_revisions(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    revisions = list(asset.revisions.values())
    tagged = req.q_bool("isTagged")
    if tagged is not None:
        revisions = [r for r in revisions if bool(r.tag) == tagged]
    if req.q("tag"):
        revisions = [r for r in revisions if r.tag == req.q("tag")]
    if req.q("modelDigest"):
        revisions = [r for r in revisions if r.model_digest == req.q("modelDigest")]
    if req.q("commitMessage"):
        needle = (req.q("commitMessage") or "").lower()
        revisions = [r for r in revisions if needle in (r.commit_message or "").lower()]
    sort = req.q("sort") or "revision"
    field = sort.lstrip("-")
    if field == "revision":
        revisions.sort(key=lambda r: r.number)
    elif field == "tag":
        from odc_pipeline.simulator.state import semver

        revisions.sort(key=lambda r: semver(r.tag) if r.tag else (-1, -1, -1))
    else:
        raise ApiProblem(400, f"Unsupported sort {sort!r}; allowed: revision, tag.")
    if sort.startswith("-"):
        revisions.reverse()
    offset, limit = _paging(req)
    embeds = _embeds(req)
    results = [revision_json(ctx, asset, r, embeds) for r in revisions[offset : offset + limit]]
    return Response(
        200, {"page": page_with_totals(results, offset, limit, len(revisions)), "results": results}
    )


@route("GET", BASE, "/assets/{assetKey}/revisions/{revisionNumber}")
def get_revision(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    revision = ctx.state.revision(asset.key, req.p_int("revisionNumber"))
    return Response(200, revision_json(ctx, asset, revision, _embeds(req)))


@route("PATCH", BASE, "/assets/{assetKey}/revisions/{revisionNumber}")
def patch_revision(ctx: Context, req: Request) -> Response:
    stage_keys = [s.key for s in ctx.state.stages]
    grants = ctx.state.grants[req.client_id]
    if not (grants.allows(perm.CHANGE, None, stage_keys) or grants.allows(perm.RELEASE, None, stage_keys)):
        raise ApiProblem(
            403, f"The API client needs the {perm.CHANGE} or {perm.RELEASE} permission.", title="Forbidden"
        )
    ctx.state.set_tag(req.params["assetKey"], req.p_int("revisionNumber"), body_dict(req), req.client_id)
    return Response(204)


@route("GET", BASE, "/assets/{assetKey}/revisions/{revisionNumber}/release-notes")
def release_notes(ctx: Context, req: Request) -> Response:
    revision = ctx.state.revision(req.params["assetKey"], req.p_int("revisionNumber"))
    content = f"<p>{revision.release_notes}</p>" if revision.release_notes else None
    return Response(200, {"tag": revision.tag, "content": content})


@route("GET", BASE, "/assets/{assetKey}/revisions/{revisionNumber}/metadata")
def revision_metadata(ctx: Context, req: Request) -> Response:
    asset = ctx.state.asset(req.params["assetKey"])
    ctx.state.revision(asset.key, req.p_int("revisionNumber"))
    return Response(200, _metadata(asset))


@route("POST", BASE, "/assets/search")
def search_assets(ctx: Context, req: Request) -> Response:
    body = body_dict(req)
    embeds = set(body.get("embeds") or [])
    results = []
    for item in body.get("assetVersionFilters") or []:
        key = item.get("key")
        if not key:
            raise ApiProblem(400, "assetVersionFilters[].key is mandatory.")
        asset = ctx.state.assets.get(key)
        if asset is None:
            continue
        if item.get("isHighestTag"):
            revision = ctx.state.highest_tagged(asset)
        elif item.get("revision") is not None:
            revision = asset.revisions.get(item["revision"])
        elif item.get("digest"):
            revision = next((r for r in asset.revisions.values() if r.model_digest == item["digest"]), None)
        else:
            raise ApiProblem(400, "Either digest, revision or isHighestTag is mandatory.")
        if revision is not None:
            results.append(revision_json(ctx, asset, revision, embeds))
    return Response(200, {"results": results})
