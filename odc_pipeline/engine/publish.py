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

from odc_pipeline.engine.context import AssetState, RunContext, StepTimer
from odc_pipeline.engine.options import AssetSpec
from odc_pipeline.errors import CancelledError, OperationFailedError, UsageError
from odc_pipeline.platforms.odc.libraries import EXTERNAL_LIBRARY, FAILED
from odc_pipeline.report import StepStatus

STAGE = "publish"
MARKER = "odc-pipeline package sha256:"
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
    libraries = ctx.platform.library_publisher()
    library = libraries.existing(key=spec.key, name=spec.name, label=spec.label)
    if library is not None:
        state.key = library.key
        state.name = library.name
        revision = libraries.revision_with_marker(state.key, package.marker)
        if revision is not None:
            state.revision = revision
            return state
    else:
        # The file may name the library differently from ODC (ODC reads the name from the
        # assembly): any external library whose latest revision came from this package counts.
        found = libraries.library_with_marker(package.marker)
        if found is not None:
            state.key, state.name, state.revision = found.key, found.name, found.revision
            return state
    state.needs_publish = True
    # An unfinished generation of a file with this name (a cancelled run's) is taken as ours,
    # like a Running deploy of the same asset and stage: attach, never start a second one.
    state.attach_generation = libraries.running_generation(package.file_name)
    return state


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


def publish_one(ctx: RunContext, asset: AssetState) -> None:
    """Publish one package (or say why nothing needs publishing)."""
    package: Package = asset.package
    timer = StepTimer(ctx, asset, STAGE)
    details = {"package": package.file_name, "size": package.size, "sha256": package.sha256}
    if not asset.needs_publish:
        if asset.spec.on_review == "fail" and not ctx.plan:
            in_review = ctx.platform.library_publisher().in_review(asset.key)
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
    libraries = ctx.platform.library_publisher()
    if attach:
        key = attach
        ctx.reporter.info(
            f"attached to generation {key} of {package.file_name}, still running", asset=asset.label
        )
    else:
        key = libraries.upload_and_start(
            ctx,
            path=package.path,
            file_name=package.file_name,
            label=asset.label,
            describe=package.describe(),
        )
    what = f"library generation from {package.file_name} ({key})"
    with ctx.tracking(key, what):
        if not attach:
            ctx.reporter.info(f"started {what}", asset=asset.label)
        op = libraries.wait_generation(ctx, key, what=what, stage=STAGE)
    status = op.status
    if status in FAILED:
        messages = libraries.generation_messages(key)
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
    library_key = op.library_key
    if not library_key:
        raise OperationFailedError(f"{asset.label}: generation {key} ended {status} without a libraryKey")
    revision, latest_name = libraries.mark_latest(
        library_key, marker=package.marker, file_name=package.file_name
    )
    asset.key = library_key
    asset.revision = revision
    asset.needs_publish = False
    asset.library_changed = True
    generated_name = op.library_name or latest_name
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
        ctx.platform.library_publisher().probe_create()
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
