"""``--plan``: what a run would do, per asset and stage, as text a reviewer can read.

Rendered from the same RunReport a real run produces (plan steps have status ``planned`` or
``unchanged``), so the plan cannot drift from the engine's real decisions.
"""

from __future__ import annotations

from odc_pipeline.errors import ExitCode
from odc_pipeline.report import STAGES, RunReport

CHANGING_STAGES = frozenset({"configure", "publish", "build", "deploy", "release"})
"""Stages whose planned steps change the tenant; impact-analysis and verify only read/check."""

_MARK = {"planned": "+", "unchanged": "=", "skipped": "-", "failed": "!", "blocked": "!", "warning": "~"}


def render_plan(report: RunReport) -> list[str]:
    """Lines like ``  + build     Orders API: would start a Release build of r12``."""
    lines = [
        f"Plan for {report.target} ({report.target_key}):"
        if report.target_key
        else f"Plan for {report.target}:"
    ]
    width = max((len(s.asset) for s in report.steps), default=0)
    for stage in STAGES:
        steps = report.steps_for(stage)
        if not steps:
            continue
        lines.append(f"{stage}:")
        for step in steps:
            mark = _MARK.get(str(step.status), "?")
            lines.append(f"  {mark} {step.asset.ljust(width)}  {step.summary}")
            lines.extend(f"      {m.text}" for m in step.messages if m.source in {"configure", "rollback"})
    if report.exit_code and report.exit_code != ExitCode.CHANGES_PENDING:
        lines.append(
            f"The plan is incomplete: the run stopped (exit code {report.exit_code}) before every "
            "step was planned; nothing was changed."
        )
        return lines
    order = (report.plan or {}).get("deploy_order") or []
    if len(order) > 1:
        lines.append("deploy order: " + " → ".join(", ".join(level) for level in order))
    planned = [s for s in report.steps if str(s.status) == "planned"]
    changes = sum(1 for s in planned if s.stage in CHANGING_STAGES)
    checks = len(planned) - changes
    if not changes:
        lines.append(
            f"Nothing to change ({checks} check(s) would run); nothing was changed."
            if checks
            else "Nothing to do; nothing was changed."
        )
    else:
        lines.append(f"{changes} change(s) and {checks} check(s) planned; nothing was changed.")
    return lines
