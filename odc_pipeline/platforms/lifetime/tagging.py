"""The build stage on LifeTime: the deployable unit is an application version (a tag).

A selected tag is reused as it is. ``modified`` code is tagged in the source environment with
the file's ``version`` or one computed from the application's highest version (``bump``),
then waited for: LifeTime says a new version "will require some processing time before it
becomes available" (swagger) and refuses plans with it meanwhile. The tag POST is looked up by
its version label when its answer is lost (the client's tag finder), never sent twice.
"""

from __future__ import annotations

import re

from odc_pipeline.api.errors import NotFoundError
from odc_pipeline.errors import UsageError
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.platforms.base import (
    AssetRef,
    DeployableUnit,
    ResolvedRevision,
    RunningState,
    RunServices,
    UnitOutcome,
    UnitRequest,
    UnitSearch,
)
from odc_pipeline.report import Message

_NUMBERS = re.compile(r"^[0-9]+(\.[0-9]+){0,3}$")


def _parts(version: str | None) -> tuple[int, ...] | None:
    if version is None or not _NUMBERS.match(version.strip()):
        return None
    return tuple(int(p) for p in version.strip().split("."))


def highest_version(labels: list[str | None]) -> tuple[int, ...]:
    """The highest numeric version label (labels that are not numbers do not count)."""
    numbers = [p for p in (_parts(label) for label in labels) if p is not None]
    return max(numbers, default=(0, 0, 0))


def next_version(labels: list[str | None], bump: str) -> str:
    """``bump`` (patch | minor | major) above the highest label, as Major.Minor.Patch."""
    major, minor, patch = (*highest_version(labels), 0, 0, 0)[:3]
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def find_unit(revision: ResolvedRevision, asset: AssetRef, client: LifetimeClient) -> UnitSearch:
    if revision.unit_key and not revision.needs_unit:
        return UnitSearch(
            unit=DeployableUnit(
                asset_key=asset.key, key=revision.unit_key, version=revision.version, reused=True
            )
        )
    versions = client.versions.list(asset.key, max_versions=100)
    return UnitSearch(unit=None, known_keys=tuple(v.key for v in versions if v.key))


def version_for(client: LifetimeClient, asset: AssetRef, *, version: str | None, bump: str) -> str:
    """The label a new tag gets; a given one must be new and higher than every existing one."""
    labels = [v.version for v in client.versions.list(asset.key, max_versions=100)]
    if version is None:
        return next_version(labels, bump)
    if version in labels:
        raise UsageError(f"{asset.name} already has a version {version}; give a new one or use bump")
    given = _parts(version)
    if given is not None and given <= highest_version(labels):
        highest = ".".join(map(str, highest_version(labels)))
        raise UsageError(
            f"version {version} of {asset.name} is not higher than its highest version {highest}"
        )
    return version


def start_tag(client: LifetimeClient, request: UnitRequest, *, bump: str) -> str:
    """Tag what runs in the source environment; returns the new version's key."""
    source = request.revision.source
    if source is None:
        raise UsageError(f"{request.asset.name}: tagging needs the source environment (source:)")
    version = version_for(client, request.asset, version=request.version, bump=bump)
    return client.versions.tag(source.key, request.asset.key, version=version, change_log=request.change_log)


def wait_tag(
    client: LifetimeClient, run: RunServices, request: UnitRequest, key: str, *, what: str, stage: str
) -> UnitOutcome:
    """Poll the new version until LifeTime serves it (processing time, swagger)."""
    asset = request.asset

    def fetch() -> object:
        try:
            return client.versions.get(asset.key, key)
        except NotFoundError:
            return None  # LifeTime may hide a version while it is processed (UNDOC, notes §5.12)

    found = run.wait(
        fetch,
        lambda item: item is not None,
        what=what,
        describe=lambda item: "usable" if item is not None else "processing",
        stage=stage,
    )
    label = getattr(found, "version", None) or request.version or ""
    where = request.revision.source.name if request.revision.source else "the source environment"
    return UnitOutcome(
        asset_key=asset.key,
        key=key,
        succeeded=True,
        status="tagged",
        messages=(Message("info", f"tagged {asset.name} {label} in {where}", "lifetime"),),
    )


def unit_for_running(state: RunningState | None, asset: AssetRef) -> DeployableUnit | None:
    if state is None or not state.unit_key:
        return None
    return DeployableUnit(asset_key=asset.key, key=state.unit_key, version=state.version, reused=True)
