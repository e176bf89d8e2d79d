"""What a failed run left in the stage: rolled back, not all the way back, or a mix of old and new.

Every back-end shows the same facts (the Markdown summary at its top, the plain/GitLab log
before the summary line, JUnit as a suite), so they are derived here once. Texts hold asset
names from ODC: callers escape them for their format, as they do for every other cell.
"""

from __future__ import annotations

from collections.abc import Mapping

from odc_pipeline.report import AssetRollback, RunReport, StepStatus

OUTCOME_ICONS: Mapping[str, str] = {
    "rolled-back": "↩️",
    "undeployed": "↩️",
    "restored": "↩️",
    "stayed-live": "⏺️",
    "unchanged": "⏺️",
    "not-deployed": "⏺️",
    "failed": "❌",
    "timed-out": "⏱️",
    "cancelled": "🚫",
    "not-started": "⏭️",
    "kept": "⛔",
}


def rollbacks_by_asset(report: RunReport) -> dict[str, AssetRollback]:
    return {a.asset: a for a in report.rollback.assets} if report.rollback else {}


def _revision(revision: int | None) -> str:
    return f"r{revision}" if revision is not None else "not deployed"


def _runs(rollback: AssetRollback, *, now: bool) -> str:
    """What the asset runs after the rollback (``now``) or ran before: a LifeTime version label
    when the platform has no revision numbers, else ``rN``."""
    version = rollback.version_now if now else rollback.version_target
    key = rollback.build_key_now if now else rollback.build_key_target
    if version is not None or (key is not None and rollback.revision_new is None):
        return version or key or "not deployed"
    return _revision(rollback.revision_now if now else rollback.revision_target)


def moved(report: RunReport) -> list[tuple[str, int | None, int | None]]:
    """Assets a failed run without a rollback left on new revisions: (name, before, after)."""
    return [
        (s.asset, s.revision_before, s.revision_after)
        for s in report.steps_for("deploy")
        if s.status is StepStatus.SUCCEEDED
    ]


def stage_state(report: RunReport) -> tuple[str, str] | None:
    """``(headline, detail)`` about the stage after a failed run, or ``None`` when nothing to say.

    Headlines: ``Rollback incomplete``, ``Rollback cancelled``, ``Rolled back``, or for a failed
    run without rollback that moved assets ``Stage runs a mix of old and new`` (some apps did not
    move) / ``Not rolled back`` (all moved; a later stage failed).
    """
    if report.plan_only or not report.exit_code:
        return None
    rollback = report.rollback
    if rollback is not None:
        still = [a for a in rollback.assets if a.asset in rollback.still_on_new]
        listed = ", ".join(
            f"{a.asset} (runs {_runs(a, now=True)}, ran {_runs(a, now=False)} before)" for a in still
        )
        if rollback.status == "incomplete":
            values = [
                f"{a.asset} {v.name} ({v.status})"
                for a in rollback.assets
                if a.asset not in rollback.still_on_new  # those run new values anyway
                for v in a.values
                if v.status in {"failed", "pending"}
            ]
            parts = [f"still on the revisions this run deployed: {listed}"] if still else []
            parts += [f"configuration not set back: {', '.join(values)}"] if values else []
            others = [a for a in rollback.assets if not a.ok and a.asset not in rollback.still_on_new]
            parts += [f"{a.asset}: {a.summary}" for a in others if not values]
            return "Rollback incomplete", "; ".join(parts)
        if rollback.status == "cancelled":
            return "Rollback cancelled", f"not back on what ran before: {listed or 'none'}"
        back = ", ".join(f"{a.asset} {a.outcome} ({_runs(a, now=True)})" for a in rollback.assets)
        return "Rolled back", f"every asset this run changed runs what ran before: {back}"
    changed = moved(report)
    if not changed:
        return None
    listed = ", ".join(f"{name} {_revision(b)} → {_revision(a)}" for name, b, a in changed)
    others = [
        f"{s.asset} ({s.status})"
        for s in report.steps_for("deploy")
        if s.status is not StepStatus.SUCCEEDED and s.status is not StepStatus.SKIPPED
    ]
    if not others:  # every app moved (a failed verify, say): not a mix, but not verified either
        return "Not rolled back", f"moved by this run: {listed}"
    return "Stage runs a mix of old and new", f"moved by this run: {listed}; not moved: {', '.join(others)}"


def outcome_cell(rollback: AssetRollback | None) -> str:
    if rollback is None:
        return ""
    return f"{OUTCOME_ICONS.get(rollback.outcome, '')} {rollback.outcome}".strip()
