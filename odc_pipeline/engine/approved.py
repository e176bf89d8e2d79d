"""Approvable plans: ``--plan`` writes the plan as data, ``run --from-plan`` applies exactly that.

A reviewer approves what a plan shows: per asset the revision running before and the one it
gets, the build reused or started, each configuration change (secrets masked) and the order
the deploys go in. ``run --from-plan REPORT`` pins those revisions and builds, re-reads the
stage, and refuses (exit 11, before any change) when what the plan saw as "before" no longer
holds — the stage moved:

* an app runs another revision or build in the target stage than the plan's ``before``;
* a configuration value the plan changes has another deployed value than its ``before``, or
  the values to change differ from the plan's (someone changed a value the plan left alone,
  or the pipeline file now asks for another value);
* a build the plan reuses is no longer the Finished Release build that would be deployed;
* a deployment operation other than exactly the plan's deploy is running on one of its apps;
* the assets, the target or the stages differ from the plan's.

Secret values never appear in a plan (``***``); whether a secret changes is compared, its value
is not: the value applied is the one in the environment when the plan is applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odc_pipeline.engine.context import AssetState, RunContext, SettingChange
from odc_pipeline.errors import PlanStaleError, UsageError
from odc_pipeline.report import StepStatus

PLAN_FORMAT = 1
MASK = "***"


# ----------------------------------------------------------------------------- the document
def _change(change: SettingChange) -> dict[str, Any]:
    return {
        "section": change.section,
        "owner": change.owner,
        "owner_key": change.owner_key,
        "name": change.name,
        "key": change.key,
        "before": MASK if change.secret else change.before,
        "after": MASK if change.secret else change.after,
        "secret": change.secret,
        "unknown": change.unknown,  # a secret ODC does not read back: sent, not compared
    }


def _applied(asset: AssetState, *, deploying: bool, force: bool) -> list[SettingChange]:
    """The changes the run would really make (an unreadable secret goes only with a deploy)."""
    return [c for c in asset.config_changes if not c.unknown or deploying or force]


def _step_status(ctx: RunContext, stage: str, asset: AssetState) -> str | None:
    for step in ctx.steps:
        if step.stage == stage and step.asset_key == asset.key:
            return str(step.status)
    return None


def _build(ctx: RunContext, asset: AssetState) -> dict[str, Any]:
    status = _step_status(ctx, "build", asset)
    if asset.is_library:
        return {"action": "none", "key": None}
    if status == StepStatus.PLANNED:
        return {"action": "start", "key": None}
    if asset.build_key:
        return {"action": "reuse", "key": asset.build_key}
    return {"action": "none", "key": None}


def _deploy(ctx: RunContext, asset: AssetState) -> str:
    status = _step_status(ctx, "deploy", asset)
    if asset.is_library:
        return "bundled"
    return {StepStatus.PLANNED: "deploy", StepStatus.UNCHANGED: "unchanged"}.get(status or "", "none")


def plan_document(ctx: RunContext, stages: Sequence[str]) -> dict[str, Any]:
    """The plan as data, from the same decisions the engine made (nothing is re-derived)."""
    names = {a.key: a.label for a in ctx.assets}
    return {
        "format": PLAN_FORMAT,
        "target": ctx.target.name if ctx.target else "",
        "target_key": ctx.target.key if ctx.target else "",
        "pipeline_file": ctx.spec.pipeline_file,
        "stages": list(stages),
        "force": ctx.force,
        "assets": [
            {
                "asset": asset.label,
                "key": asset.key,
                "type": asset.asset_type,
                "bundled": asset.is_library,
                "revision_before": asset.deployed_revision,
                "revision_after": asset.revision,
                "build_before": asset.deployed_build_key,
                "build": _build(ctx, asset),
                "configuration": [
                    _change(c)
                    for c in _applied(asset, deploying=_deploy(ctx, asset) == "deploy", force=ctx.force)
                ],
                "deploy": _deploy(ctx, asset),
            }
            for asset in ctx.assets
        ],
        "deploy_order": [[names.get(k, k) for k in level] for level in ctx.deploy_levels],
    }


def pending_changes(plan: Mapping[str, Any]) -> int:
    """How many changes a plan holds: builds to start, deploys, configuration values."""
    count = 0
    for asset in plan.get("assets", ()):
        count += len(asset.get("configuration", ()))
        count += asset.get("build", {}).get("action") == "start"
        count += asset.get("deploy") == "deploy"
    return count


# ----------------------------------------------------------------------------- applying one
@dataclass(frozen=True)
class ApprovedPlan:
    """A plan read back from a ``--plan`` run report."""

    source: str
    document: Mapping[str, Any]

    @property
    def target_key(self) -> str:
        return str(self.document.get("target_key") or "")

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(self.document.get("stages") or ())

    @property
    def pipeline_file(self) -> str:
        return str(self.document.get("pipeline_file") or "")

    @property
    def force(self) -> bool:
        return bool(self.document.get("force"))

    def asset(self, key: str) -> Mapping[str, Any] | None:
        for entry in self.document.get("assets", ()):
            if entry.get("key") == key:
                return entry
        return None


def load_approved_plan(path: str) -> ApprovedPlan:
    """Read a run report written by ``--plan``; anything else is a usage error (exit 2)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--from-plan: {path} not found") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"--from-plan: {path} is not a JSON run report ({exc})") from None
    plan = document.get("plan") if isinstance(document, dict) else None
    if not isinstance(plan, dict) or not document.get("plan_only"):
        raise UsageError(f"--from-plan: {path} holds no plan; write one with `odc-pipeline run --plan`")
    if int(document.get("exit_code", 1)) not in (0, 10):
        raise UsageError(f"--from-plan: the plan in {path} did not finish (status {document.get('status')})")
    if plan.get("format") != PLAN_FORMAT:
        raise UsageError(f"--from-plan: {path} has plan format {plan.get('format')}, expected {PLAN_FORMAT}")
    return ApprovedPlan(source=path, document=plan)


def pin_revisions(ctx: RunContext) -> None:
    """Give every asset the revision (and reused build) the plan approved, before any read of it."""
    plan: ApprovedPlan = ctx.options.approved
    problems = []
    planned_keys = {str(a.get("key")) for a in plan.document.get("assets", ())}
    for asset in ctx.assets:
        entry = plan.asset(asset.key)
        if entry is None:
            problems.append(f"{asset.label} is in the pipeline file but not in the plan")
            continue
        asset.revision = entry.get("revision_after")
        build = entry.get("build") or {}
        asset.source_build_key = build.get("key") if build.get("action") == "reuse" else None
    missing = planned_keys - {a.key for a in ctx.assets}
    problems += [f"{_name(plan, k)} is in the plan but not in the pipeline file" for k in sorted(missing)]
    if problems:
        raise PlanStaleError(_message(plan, problems))


def check_unmoved(ctx: RunContext) -> None:
    """Refuse, before any change, when the stage no longer looks as the plan saw it."""
    from odc_pipeline.engine import configure
    from odc_pipeline.engine.build import find_reusable

    plan: ApprovedPlan = ctx.options.approved
    problems = []
    if "configure" in plan.stages:
        configure.plan_configuration(ctx)
    stage = ctx.target.name if ctx.target else "the stage"
    for asset in ctx.assets:
        entry = plan.asset(asset.key) or {}
        if not asset.is_library:
            before = (entry.get("revision_before"), entry.get("build_before"))
            now = (asset.deployed_revision, asset.deployed_build_key)
            if before != now:
                problems.append(
                    f"{asset.label} now runs {_running(*now)} in {stage}; the plan saw {_running(*before)}"
                )
        build = entry.get("build") or {}
        if not asset.is_library and {"configure", "deploy"} & set(plan.stages):
            problems += _running_elsewhere(ctx, asset, entry, stage)
        if build.get("action") == "reuse" and {"build", "deploy"} & set(plan.stages):
            found = None if ctx.spec.force_rebuild else find_reusable(ctx, asset)
            if found != build.get("key"):
                problems.append(
                    f"{asset.label}: the plan reuses build {build.get('key')}, which is no longer the "
                    f"Finished Release build of r{asset.revision} to deploy (now: {found or 'none'})"
                )
        changes = _applied(asset, deploying=entry.get("deploy") == "deploy", force=ctx.force)
        problems += _configuration_moved(asset, changes, entry.get("configuration") or [])
    if problems:
        raise PlanStaleError(_message(plan, problems))


def _running_elsewhere(ctx: RunContext, asset: AssetState, entry: Mapping[str, Any], stage: str) -> list[str]:
    """Operations running now that the plan did not see (its own deploy, resumed, is fine)."""
    from odc_pipeline.engine.operations import running_operations

    build = (entry.get("build") or {}).get("key")
    problems = []
    for operation in running_operations(ctx, asset.key, ["Deploy", "ApplyConfigs"]):
        kind = operation.kind or "operation"
        revisions = list(operation.revisions)
        ours = (
            kind == "Deploy"
            and entry.get("deploy") == "deploy"
            and entry.get("revision_after") in revisions
            and (not operation.unit_key or operation.unit_key == build)
        )
        if not ours:
            shown = f" of r{revisions[0]}" if revisions else ""
            problems.append(f"{asset.label}: {kind} {operation.key}{shown} is running in {stage}")
    return problems


def _configuration_moved(
    asset: AssetState, changes: Sequence[SettingChange], planned: Sequence[Mapping[str, Any]]
) -> list[str]:
    def ident(change: Mapping[str, Any]) -> tuple[str, str, str]:
        return (str(change.get("section")), str(change.get("owner_key") or ""), str(change.get("key")))

    then = {ident(c): c for c in planned}
    now = {ident(c): c for c in (_change(c) for c in changes)}
    problems = []
    for key in sorted(then.keys() | now.keys()):
        old, new = then.get(key), now.get(key)
        label = f"{asset.label}: {_where(old or new or {})}"
        if new is None:
            problems.append(f"{label} no longer needs the change the plan makes (it changed since)")
        elif old is None:
            problems.append(f"{label} would change, but the plan leaves it alone (it changed since)")
        elif old.get("before") != new.get("before"):
            problems.append(f"{label} is now {new.get('before')!r}; the plan saw {old.get('before')!r}")
        elif old.get("after") != new.get("after"):
            problems.append(
                f"{label}: the pipeline file now asks for {new.get('after')!r}, "
                f"the plan for {old.get('after')!r}"
            )
    return problems


def _where(change: Mapping[str, Any]) -> str:
    owner = change.get("owner")
    section = str(change.get("section") or "settings")[:-1]
    return f"{section} {owner}.{change.get('name')}" if owner else f"{section} {change.get('name')}"


def _running(revision: Any, build: Any) -> str:
    if revision is None:
        return "nothing"
    return f"r{revision}" + (f" (build {build})" if build else "")


def _name(plan: ApprovedPlan, key: str) -> str:
    entry = plan.asset(key) or {}
    return str(entry.get("asset") or key)


def _message(plan: ApprovedPlan, problems: Sequence[str]) -> str:
    return (
        f"the approved plan {plan.source} no longer holds, so nothing was changed: "
        + "; ".join(problems)
        + ". Make a new plan and have it approved"
    )
