"""publish: turn an external library package (``package:``) into a library revision, once.

The flow is ODC's documented one (odc-api-notes §6.9): ``GET /uploads`` → ``PUT`` the file to
the pre-signed ``uploadUrl`` (streamed from disk, no ODC token) → ``POST /generation-operations``
with the ``downloadUrl`` → poll the operation with the shared poller → ``libraryKey``.

Re-running a pipeline must not create a second library revision from the same package, and
the API offers no field for "which file did this revision come from" (UNDOC). The one place a
client can write free text on a revision and later search it is the commit message: ``PATCH
…/revisions/{n}`` accepts ``commitMessage`` and ``GET …/revisions?commitMessage=`` filters on
it ("contains"). So after a generation the revision's commit message gets
``[odc-pipeline package sha256:<hex>]``, and resolution looks that marker up before anything
changes: found means "already published", and the asset resolves to that revision.

The generation POST is never re-sent blindly: its find-again hook looks for an operation of
the same file name created since the POST was sent (``GET /generation-operations`` is sorted
newest first).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from odc_pipeline.engine.context import AssetState, RunContext, StepTimer, msg
from odc_pipeline.engine.options import AssetSpec
from odc_pipeline.errors import CancelledError, OperationFailedError, UsageError
from odc_pipeline.report import Message, StepStatus

STAGE = "publish"
MARKER = "odc-pipeline package sha256:"
TERMINAL = frozenset({"GenerationError", "DownloadError", "ReadyForReview", "Completed"})
FAILED = frozenset({"GenerationError", "DownloadError"})
EXTERNAL_LIBRARY = "ExternalLibrary"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Package:
    """The package file as resolution read it: the identity a re-run compares."""

    path: str
    file_name: str
    size: int
    sha256: str

    @property
    def marker(self) -> str:
        return f"{MARKER}{self.sha256}"

    def describe(self) -> str:
        return f"{self.file_name} ({_size(self.size)}, sha256:{self.sha256[:12]})"


def _size(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


def read_package(ctx: RunContext, spec: AssetSpec) -> Package:
    """Size and sha256 of the package, hashed in chunks (a 100 MB package costs 1 MB of memory)."""
    assert spec.package is not None
    path = ctx.spec.path(spec.package)
    if not os.path.isfile(path):
        raise UsageError(
            f"{spec.label}: package {spec.package!r} not found (looked for {path}; "
            "a package path is relative to the pipeline file)"
        )
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    if size == 0:
        raise UsageError(f"{spec.label}: package {spec.package!r} is empty")
    return Package(path=path, file_name=os.path.basename(path), size=size, sha256=digest.hexdigest())


def resolve_package_asset(ctx: RunContext, spec: AssetSpec) -> AssetState:
    """The library a package publishes to, and the revision it already published, if any.

    The library may not exist yet (a first publish): then the state has no key until the
    generation names it. Read-only, like all of resolution.
    """
    package = read_package(ctx, spec)
    state = AssetState(spec=spec, name=spec.name or "", asset_type=EXTERNAL_LIBRARY, package=package)
    library = _existing_library(ctx, spec)
    if library is not None:
        state.key = str(library.asset_key)
        state.name = str(library.name)
        found = next(iter(ctx.client.assets.list_revisions(state.key, commit_message=package.marker)), None)
        if found is not None:
            state.revision = int(found.revision)
            return state
    else:
        # The file may name the library differently from ODC (ODC reads the name from the
        # assembly): any external library whose latest revision came from this package counts.
        for candidate in ctx.client.assets.list_external_libraries():
            if package.marker in str(candidate.commit_message or ""):
                state.key = str(candidate.asset_key)
                state.name = str(candidate.name)
                state.revision = int(candidate.revision)
                return state
    state.needs_publish = True
    state.attach_generation = _running_generation(ctx, package)
    return state


IN_PROGRESS = frozenset({"None", "Downloading", "Generating"})


def _running_generation(ctx: RunContext, package: Package) -> str | None:
    """An unfinished generation of a file with this name (a cancelled run's): attach, not resend.

    Like a Running deploy of the same asset and stage, it is taken as ours: starting a second
    one would make a second library revision from (very likely) the same package.
    """
    for op in ctx.client.external_libraries.list_generations():
        if op.filename == package.file_name and str(op.status or "") in IN_PROGRESS:
            return str(op.key)
    return None


def _existing_library(ctx: RunContext, spec: AssetSpec) -> Any:
    if spec.key:
        found = ctx.client.assets.get(spec.key)
    elif spec.name:
        exact = [m for m in ctx.client.assets.find_by_name(spec.name) if m.name == spec.name]
        if len(exact) > 1:
            keys = ", ".join(str(m.asset_key) for m in exact)
            raise UsageError(f"asset name {spec.name!r} is ambiguous: {keys}. Use `key:` to pick one")
        found = exact[0] if exact else None
    else:
        return None
    if found is not None and str(found.asset_type or "") not in ("", EXTERNAL_LIBRARY):
        raise UsageError(
            f"{spec.label} is a {found.asset_type} in ODC; a package publishes an ExternalLibrary"
        )
    return found


def generation_messages(ctx: RunContext, key: str) -> list[Message]:
    """The generation's validation messages, errors first (why it failed)."""
    try:
        log = ctx.client.external_libraries.log_messages(key)
    except CancelledError:
        raise
    except Exception as exc:  # explaining a failure must never hide it
        return [msg("warning", f"could not read the log of generation {key}: {exc}", "engine")]
    entries = list(log.validation_messages or [])
    entries.sort(key=lambda e: 0 if str(e.type or "") == "Error" else 1)
    severity = {"Error": "error", "Warning": "warning"}
    return [
        msg(
            severity.get(str(e.type or ""), "info"),
            f"{e.error_code}: {e.message}" if e.error_code else str(e.message or ""),
            "generation-log",
        )
        for e in entries
    ]


def _still_in_review(ctx: RunContext, asset: AssetState) -> str | None:
    """The newest generation of this library, when it still waits at ReadyForReview."""
    for op in ctx.client.external_libraries.list_generations():
        if str(op.library_key or "") == asset.key:
            return str(op.key) if op.status == "ReadyForReview" else None
    return None


def _review_refused(asset: AssetState, key: str, timer: StepTimer, ctx: RunContext) -> None:
    text = (
        f"{asset.label}: generation {key} stopped at ReadyForReview and on-review is fail; "
        "review and publish the library in the ODC Portal, then run again"
    )
    ctx.record(
        timer.result(
            StepStatus.FAILED,
            "generation stopped at ReadyForReview (on-review: fail)",
            revision_after=asset.revision,
            operation_key=key,
        )
    )
    raise OperationFailedError(text)


def _upload_and_start(ctx: RunContext, asset: AssetState, package: Package) -> str:
    client = ctx.client.external_libraries
    urls = client.get_upload_urls()
    if not urls.upload_url or not urls.download_url:
        raise OperationFailedError(f"{asset.label}: GET /uploads answered without upload/download URLs")
    ctx.reporter.info(f"uploading {package.describe()}", asset=asset.label)
    client.upload(urls.upload_url, package.path)
    # A lost answer is looked up by the client's own finder (a generation of this file created
    # since the POST was sent), never re-sent: a second generation is a second library revision.
    return client.start_generation(file_name=package.file_name, binary_uri=urls.download_url)


def publish_one(ctx: RunContext, asset: AssetState) -> None:
    """Publish one package (or say why nothing needs publishing)."""
    package: Package = asset.package
    timer = StepTimer(ctx, asset, STAGE)
    details = {"package": package.file_name, "size": package.size, "sha256": package.sha256}
    if not asset.needs_publish:
        if asset.spec.on_review == "fail" and not ctx.plan:
            in_review = _still_in_review(ctx, asset)
            if in_review:
                _review_refused(asset, in_review, timer, ctx)
        ctx.record(
            timer.result(
                StepStatus.UNCHANGED,
                f"{package.describe()} is already published as r{asset.revision}",
                revision_after=asset.revision,
                details={**details, "library_key": asset.key},
            )
        )
        return
    target = f"a new revision of {asset.name}" if asset.key else "a new external library"
    attach = asset.attach_generation
    if ctx.plan:
        summary = (
            f"would attach to generation {attach} of {package.file_name}, still running in ODC"
            if attach
            else f"would upload {package.describe()} and start a library generation ({target})"
        )
        asset.library_changed = True
        ctx.record(
            timer.result(StepStatus.PLANNED, summary, details={**details, "library_key": asset.key or None})
        )
        return
    client = ctx.client.external_libraries
    if attach:
        key = attach
        ctx.reporter.info(
            f"attached to generation {key} of {package.file_name}, still running", asset=asset.label
        )
    else:
        key = _upload_and_start(ctx, asset, package)
    what = f"library generation from {package.file_name} ({key})"
    with ctx.tracking(key, what):
        if not attach:
            ctx.reporter.info(f"started {what}", asset=asset.label)
        op = ctx.wait(
            lambda: client.get_generation(key),
            lambda o: str(o.status or "") in TERMINAL,
            what=what,
            describe=lambda o: str(o.status or ""),
            stage=STAGE,
        )
    status = str(op.status or "")
    if status in FAILED:
        messages = generation_messages(ctx, key)
        ctx.record(
            timer.result(
                StepStatus.FAILED,
                f"generation from {package.file_name} ended {status}",
                operation_key=key,
                messages=messages,
                details=details,
            )
        )
        first = next((m.text for m in messages if m.severity == "error"), "")
        detail = f": {first}" if first else " (see the generation log in the run report)"
        raise OperationFailedError(f"{asset.label}: generation {key} ended {status}{detail}")
    library_key = str(op.library_key or "")
    if not library_key:
        raise OperationFailedError(f"{asset.label}: generation {key} ended {status} without a libraryKey")
    latest = ctx.client.assets.latest_revision(library_key)
    revision = int(latest.revision)
    original = str(latest.commit_message or f"Generated from {package.file_name}")
    ctx.client.assets.set_commit_message(library_key, revision, f"{original} [{package.marker}]")
    asset.key = library_key
    asset.revision = revision
    asset.needs_publish = False
    asset.library_changed = True
    generated_name = str(op.library_name or latest.name or "")
    if asset.spec.name and generated_name and generated_name != asset.spec.name:
        ctx.reporter.warning(
            f"ODC named the generated library {generated_name!r}, not {asset.spec.name!r}", asset=asset.label
        )
    asset.name = generated_name or asset.name
    if status == "ReadyForReview" and asset.spec.on_review == "fail":
        _review_refused(asset, key, timer, ctx)
    new = "new library" if op.is_new_library else "new revision"
    if attach:
        new += f", attached to generation {key}"
    review = "; waits for review in the ODC Portal (ReadyForReview)" if status == "ReadyForReview" else ""
    ctx.record(
        timer.result(
            StepStatus.SUCCEEDED,
            f"published {package.describe()} as r{revision} ({new}){review}",
            revision_after=revision,
            operation_key=key,
            details={**details, "library_key": library_key, "generation_status": status},
        )
    )


def preflight(ctx: RunContext) -> None:
    """``GET /uploads`` needs ``Asset management > Create`` (always, per the spec; the how-to
    says Change suffices for a new version): ask once now, so a 403 stops the run before any
    change (exit 3). The URLs it hands out are simply not used."""
    from odc_pipeline.api.errors import PermissionDeniedError
    from odc_pipeline.engine.options import selected_stages

    if ctx.plan or STAGE not in selected_stages(ctx.spec, ctx.options):
        return
    if not any(a.package is not None and a.needs_publish for a in ctx.assets):
        return
    try:
        ctx.client.external_libraries.get_upload_urls()
    except PermissionDeniedError as exc:
        raise PermissionDeniedError(
            f"the publish stage cannot run with this API client: {exc}",
            permissions=exc.permissions,
            status=exc.status,
            problem=exc.problem,
            method=exc.method,
            path=exc.path,
        ) from None


def run_publish(ctx: RunContext) -> None:
    """Every package of the run, one at a time (the generation POST allows 10 a minute)."""
    for asset in ctx.assets:
        if ctx.cancel.is_set():
            raise CancelledError("cancelled before every package was published")
        if asset.package is not None:
            publish_one(ctx, asset)
