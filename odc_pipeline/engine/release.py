"""release: tag the revision each asset moved to, with release notes — apps and libraries alike.

ODC releases by tagging a revision (``PATCH /assets/{k}/revisions/{n}`` with ``tag`` and
``releaseNotes``). Its rules (odc-api-notes §3.1, §11.3): a tag is ``Major.Minor.Patch``, higher
than the asset's highest tag, never reused, and release notes need a tag. Every rule is checked
at resolve, before the run changes anything, because a release that fails after the deploy
leaves a deployed but untagged revision. A version already on another revision is exit 2; a
version (or, with ``bump``, any tag) already on the revision to tag means ``unchanged``, so a
re-run is a no-op.

Libraries are released right after the publish position, before any app builds (an app's
build compiles in each library's released revision); apps are released last, after verify.
"""

from __future__ import annotations

from dataclasses import dataclass

from odc_pipeline.engine.context import AssetState, RunContext, StepTimer
from odc_pipeline.errors import UsageError
from odc_pipeline.platforms.base import TaggedRevision
from odc_pipeline.report import StepStatus

STAGE = "release"


@dataclass(frozen=True)
class TagPlan:
    """What the release stage does for one asset; ``tag`` is None until a new library exists."""

    tag: str
    notes: str | None
    unchanged: bool = False  # the revision already carries the tag
    highest: str | None = None  # the asset's highest tag at resolve


def semver(tag: str) -> tuple[int, int, int]:
    parts = tag.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{tag!r} is not Major.Minor.Patch")
    return int(parts[0]), int(parts[1]), int(parts[2])


def bumped(highest: str | None, part: str) -> str:
    """``part`` of ``highest`` raised, lower parts reset (``1.3.2`` + minor = ``1.4.0``)."""
    major, minor, patch = semver(highest) if highest else (0, 0, 0)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def read_notes(ctx: RunContext) -> str | None:
    release = ctx.spec.release
    assert release is not None
    if release.notes_file is None:
        return release.notes
    path = ctx.spec.path(release.notes_file)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"stages.release.notes-file: cannot read {release.notes_file!r} ({path}): {exc}"
        ) from None
    if not text:
        raise UsageError(f"stages.release.notes-file: {release.notes_file!r} is empty")
    return text


def _tagged(ctx: RunContext, asset: AssetState) -> list[TaggedRevision]:
    return ctx.platform.tagged_revisions(asset.ref)


def plan_tag(ctx: RunContext, asset: AssetState, notes: str | None) -> TagPlan:
    """The tag for ``asset``'s revision under the file's rule, or a UsageError (exit 2)."""
    release = ctx.spec.release
    assert release is not None
    tagged = _tagged(ctx, asset) if asset.key else []
    valid = [r for r in tagged if _is_semver(str(r.tag))]
    highest_rev = max(valid, key=lambda r: semver(str(r.tag)), default=None)
    highest = str(highest_rev.tag) if highest_rev is not None else None
    own = next(
        (str(r.tag) for r in tagged if asset.revision is not None and int(r.revision) == asset.revision), None
    )
    if release.version is not None:
        tag = release.version
        holder = next((r for r in tagged if str(r.tag) == tag), None)
        if holder is not None:
            if asset.revision is not None and int(holder.revision) == asset.revision:
                return TagPlan(tag, notes, unchanged=True, highest=highest)
            raise UsageError(
                f"{asset.label}: tag {tag} is already on r{holder.revision}; a tag cannot be reused "
                f"(stages.release.version)"
            )
        if highest is not None and semver(tag) <= semver(highest):
            raise UsageError(
                f"{asset.label}: tag {tag} is not higher than the highest tag {highest} "
                f"(r{highest_rev.revision}); ODC only accepts a higher version"
            )
        return TagPlan(tag, notes, highest=highest)
    if own is not None:
        return TagPlan(own, notes, unchanged=True, highest=highest)
    return TagPlan(bumped(highest, str(release.bump)), notes, highest=highest)


def _is_semver(tag: str) -> bool:
    try:
        semver(tag)
    except ValueError:
        return False
    return True


def resolve_release(ctx: RunContext) -> None:
    """Check every asset's tag before anything changes (no-op without a release stage)."""
    from odc_pipeline.engine.options import selected_stages

    if ctx.spec.release is None or STAGE not in selected_stages(ctx.spec, ctx.options):
        return
    notes = read_notes(ctx)
    for asset in ctx.assets:
        asset.tag_plan = plan_tag(ctx, asset, notes)


def release_one(ctx: RunContext, asset: AssetState) -> None:
    """Tag one asset as its plan says; each asset is released once per run."""
    plan: TagPlan | None = asset.tag_plan
    if plan is None:
        return
    asset.tag_plan = None
    timer = StepTimer(ctx, asset, STAGE)
    if asset.revision is None:  # the package is not published (yet: a plan; or publish skipped)
        ctx.record(
            timer.result(
                StepStatus.PLANNED if ctx.plan else StepStatus.SKIPPED,
                f"would tag the revision the package publishes {plan.tag}"
                if ctx.plan
                else "not tagged: the package was not published in this run",
                details={"tag": plan.tag} if ctx.plan else {},
            )
        )
        return
    if plan.unchanged:
        asset.tag = plan.tag
        ctx.record(
            timer.result(
                StepStatus.UNCHANGED,
                f"r{asset.revision} is already tagged {plan.tag}",
                revision_after=asset.revision,
                details={"tag": plan.tag},
            )
        )
        return
    asset.library_changed = asset.is_library  # a build made now compiles this release in
    if ctx.plan:
        note = " with release notes" if plan.notes else ""
        ctx.record(
            timer.result(
                StepStatus.PLANNED,
                f"would tag r{asset.revision} {plan.tag}{note}"
                + (f" (highest tag {plan.highest})" if plan.highest else " (first tag)"),
                revision_after=asset.revision,
                details={"tag": plan.tag},
            )
        )
        return
    assert asset.revision is not None
    ctx.platform.set_tag(asset.ref, asset.revision, tag=plan.tag, notes=plan.notes)
    asset.tag = plan.tag
    ctx.reporter.info(f"tagged r{asset.revision} {plan.tag}", asset=asset.label)
    ctx.record(
        timer.result(
            StepStatus.SUCCEEDED,
            f"tagged r{asset.revision} {plan.tag}" + (" with release notes" if plan.notes else ""),
            revision_after=asset.revision,
            details={"tag": plan.tag},
        )
    )


def release_libraries(ctx: RunContext) -> None:
    """Before any app builds: release every library of the run."""
    for asset in ctx.assets:
        if asset.is_library:
            release_one(ctx, asset)


def release_remaining(ctx: RunContext) -> None:
    """Last, after verify: release every asset not released yet (the apps, mostly)."""
    for asset in ctx.assets:
        release_one(ctx, asset)


def has_libraries(ctx: RunContext) -> bool:
    return any(a.is_library and a.tag_plan is not None for a in ctx.assets)
