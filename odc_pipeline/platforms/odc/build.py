"""ODC build: the deployable unit is a Finished *Release* build of the revision.

Only Release builds deploy, ``POST /build-operations`` defaults to Debug, and a revision
published from Studio often has only a Debug build. Rebuilding what exists wastes minutes and
a slot of the 10-per-minute POST limit, so an existing Finished Release build is reused (the
one ``from:<stage>`` pinned, else the one running in the target, else the newest).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from odc_pipeline.errors import OperationFailedError
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
from odc_pipeline.platforms.odc.recovery import build_finder
from odc_pipeline.report import Message

IN_PROGRESS = frozenset({"Pending", "Running"})
FINISHED = "Finished"
FAILED = "FinishedWithErrors"
MAX_LOG_LINES = 40


def status(build: Any) -> str:
    return str(getattr(build, "status", "") or "")


def is_release(build: Any) -> bool:
    return str(getattr(build, "build_type", "") or "") == "Release"


def find_unit(
    client: Any,
    asset: AssetRef,
    revision: ResolvedRevision,
    *,
    pinned: str | None = None,
    running: RunningState | None = None,
    release_builds: Callable[[], list[Any]] | None = None,
    sighted: Sequence[Any] = (),
) -> UnitSearch:
    """A Finished Release build of the revision, and the revision's Release builds seen.

    ``release_builds`` lists them (the platform's, which may hold the permission probe's
    answer); by default they are read here. ``sighted`` are builds a tenant-wide listing
    showed, which may not be all: one is reused only where the full list would pick it too
    (the one running in the target, when the target runs this revision); otherwise the
    revision's own list is read.
    """
    builds = client.builds
    number = revision.number
    if pinned:
        build = builds.get(pinned)
        if status(build) == FINISHED and is_release(build) and int(build.asset_revision) == number:
            return UnitSearch(unit=_unit(asset, build, number))
    sighting = _pick(sighted, number, running, complete=False)
    if sighting is not None:
        return UnitSearch(unit=_unit(asset, sighting, number))
    if release_builds is not None:
        listed = release_builds()
    else:
        listed = list(builds.list(asset.key, revision=number, build_type="Release"))
    known = tuple(str(b.build_key) for b in listed)  # tells our build apart later
    in_progress = [b for b in listed if status(b) in IN_PROGRESS and is_release(b)]
    # a Release build of this revision already in progress (say, one a cancelled run started)
    producing = str(in_progress[0].build_key) if in_progress else None
    chosen = _pick(listed, number, running, complete=True)
    unit = _unit(asset, chosen, number) if chosen is not None else None
    return UnitSearch(unit=unit, known_keys=known, running_key=producing)


def _pick(
    builds: Sequence[Any], number: int | None, running: RunningState | None, *, complete: bool
) -> Any | None:
    """The Finished Release build of the revision to reuse: the one the target runs, when it
    runs this revision, else the newest.

    From a list that may not be ``complete`` (a sighting) only a pick the full list would
    make too: where the target runs this revision, its build or nothing (a listing that does
    not show it says nothing about it).
    """
    candidates = [
        b for b in builds if status(b) == FINISHED and is_release(b) and int(b.asset_revision) == number
    ]
    if running is not None and running.revision == number:
        own = next((b for b in candidates if str(b.build_key) == running.unit_key), None)
        if own is not None or not complete:
            return own
    candidates.sort(key=lambda b: str(getattr(b, "finished_date_time", "") or ""), reverse=True)
    return candidates[0] if candidates else None


def _unit(asset: AssetRef, build: Any, number: int | None) -> DeployableUnit:
    return DeployableUnit(asset_key=asset.key, key=str(build.build_key), revision=number, reused=True)


def start(client: Any, request: UnitRequest) -> str:
    """POST a Release build; a lost answer is looked up (``build_finder``), never sent twice."""
    asset, number = request.asset, request.revision.number
    assert number is not None
    finder = build_finder(client, asset_key=asset.key, revision=number, known=request.known_keys)
    started = client.builds.start(asset.key, number, build_type="Release", find_again=finder)
    if getattr(started, "is_successful", True) is False:
        raise OperationFailedError(f"{asset.name}: ODC refused to start a Release build of r{number}")
    return str(started.build_key)


def wait(
    client: Any, run: RunServices, request: UnitRequest, key: str, *, what: str, stage: str
) -> UnitOutcome:
    build = run.wait(
        lambda: client.builds.get(key),
        lambda b: status(b) not in IN_PROGRESS,
        what=what,
        describe=status,
        stage=stage,
        hint=history_hint(client, run, request.asset),
    )
    final = status(build)
    succeeded = final == FINISHED
    messages = () if succeeded else tuple(log_messages(client, key))
    return UnitOutcome(
        asset_key=request.asset.key, key=key, succeeded=succeeded, status=final, messages=messages
    )


def log_messages(client: Any, build_key: str) -> list[Message]:
    """The build's log, errors first, for a failure message the user can act on."""
    try:
        entries = list(client.builds.log_messages(build_key))
    except Exception as exc:  # explaining a failure must never hide it
        return [Message("warning", f"could not read the log of build {build_key}: {exc}", "engine")]
    ranked = sorted(entries, key=lambda e: 0 if str(getattr(e, "severity", "")).lower() == "error" else 1)
    messages = []
    for entry in ranked[:MAX_LOG_LINES]:
        severity = str(getattr(entry, "severity", "") or "info").lower()
        messages.append(
            Message(
                severity if severity in {"error", "warning"} else "info",
                str(entry.message or ""),
                "build-log",
            )
        )
    return messages


def history_hint(client: Any, run: RunServices, asset: AssetRef) -> Any:
    """How long the asset's recent Finished Release builds took (one GET, ``builds.list``).

    Builds do not depend on the stage, so every revision's Release builds count. The list's
    order is undocumented, so it is sorted newest first here (the hint reads the most recent).
    """

    def read() -> list[Any]:
        builds = [b for b in client.builds.list(asset.key, build_type="Release") if is_release(b)]
        return sorted(builds, key=_started_key, reverse=True)

    return run.history_hint(("builds", "Release", asset.key), read)


def _started_key(build: Any) -> str:
    started = getattr(build, "started_date_time", None)
    return started.isoformat() if hasattr(started, "isoformat") else str(started or "")
