"""impact-analysis: will deploying this revision break something that runs in the stage?

The Deployments API is not documented to enforce the analysis, so the pipeline is the gate.
One deployment analysis per app that is about to deploy (libraries are not deployed, so they
are skipped with a note), all started together and waited for; findings are grouped by the
impacted asset and by severity so a reader sees at once *what* breaks and *how badly*.
``fail-on`` decides; an analysis the tenant cannot run (404, ``Failed``, an unknown status)
is a warning or a block by policy — never a crash.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from odc_pipeline.api.errors import NotFoundError, ServerError
from odc_pipeline.engine.context import AssetState, RunContext, StepTimer, msg
from odc_pipeline.engine.recovery import resend_is_safe
from odc_pipeline.engine.scheduler import run_in_order
from odc_pipeline.errors import GateBlockedError
from odc_pipeline.report import Message, StepStatus

STAGE = "impact-analysis"
RANK = {"NoIssuesFound": 0, "WarningsFound": 1, "ErrorsFound": 2}


@dataclass
class Analysis:
    asset: AssetState
    key: str | None = None
    verdict: str = ""  # NoIssuesFound | WarningsFound | ErrorsFound | "" when unavailable
    unavailable: str = ""  # why the analysis could not run
    findings: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # asset -> severity -> lines


def will_deploy(ctx: RunContext, asset: AssetState) -> bool:
    return not asset.is_library and (ctx.force or not asset.up_to_date)


def _name_of(ctx: RunContext, key: str, cache: dict[str, str]) -> str:
    for asset in ctx.assets:
        if asset.key == key:
            return asset.label
    if key not in cache:
        try:
            cache[key] = str(ctx.client.assets.get(key).name)
        except Exception:  # a name is a nicety; the key identifies the asset anyway
            cache[key] = key
    return cache[key]


def group_findings(ctx: RunContext, report: Any, names: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """``impactedAssets`` → {impacted asset: {"Error"|"Warning": ["…"]}}."""
    grouped: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for impacted in getattr(report, "impacted_assets", None) or ():
        key = str(getattr(impacted, "asset_key", "") or "")
        label = f"{_name_of(ctx, key, names) if key else 'unknown asset'}"
        reference = str(getattr(impacted, "reference_type", "") or "")
        if reference:
            label = f"{label} ({reference.lower()})"
        for issue in getattr(impacted, "application_level_issues", None) or ():
            text = str(issue.conflict_type)
            if getattr(issue, "hint", None):
                text += f": {issue.hint}"
            grouped[label][str(issue.conflict_severity)].append(text)
        for issue in getattr(impacted, "element_level_issues", None) or ():
            kind = getattr(issue, "incompatibility_type", None) or issue.conflict_type
            text = (
                f"{getattr(issue, 'type', None) or 'element'} {getattr(issue, 'name', None) or '?'}: {kind}"
            )
            if getattr(issue, "hint", None):
                text += f" ({issue.hint})"
            grouped[label][str(issue.conflict_severity)].append(text)
    return {k: dict(v) for k, v in grouped.items()}


def analyse(ctx: RunContext, asset: AssetState, names: dict[str, str]) -> Analysis:
    """One deployment analysis, started and waited for; unavailability is data, not an error."""
    result = Analysis(asset=asset)
    deps = ctx.client.dependencies
    try:
        # resolve's Deploy-assets probe started exactly this analysis: use it, do not start another
        started = asset.probe_analysis_key
        asset.probe_analysis_key = None
        result.key = started or str(
            deps.start_deployment_analysis(
                asset.key, asset.revision, ctx.target_key, find_again=resend_is_safe
            )
        )
        what = f"impact analysis of {asset.label} r{asset.revision} ({result.key})"
        final = ctx.wait(
            lambda: deps.get_deployment_analysis(result.key),
            lambda a: str(getattr(a, "process_status", "")) != "InProgress",
            what=what,
            describe=lambda a: str(getattr(a, "process_status", "")),
            stage=STAGE,
        )
    except (NotFoundError, ServerError) as exc:
        result.unavailable = f"the tenant could not run the analysis ({exc})"
        return result
    process = str(getattr(final, "process_status", ""))
    if process != "Finished" or getattr(final, "report", None) is None:
        error = getattr(final, "error", None)
        detail = (
            getattr(error, "detail", None) or getattr(error, "title", None) if error is not None else None
        )
        result.unavailable = f"analysis ended {process or 'without a status'}" + (
            f": {detail}" if detail else ""
        )
        return result
    result.verdict = str(getattr(final.report, "status", "") or "NoIssuesFound")
    result.findings = group_findings(ctx, final.report, names)
    return result


def _blocks(verdict: str, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    if fail_on == "warnings":
        return RANK.get(verdict, 0) >= 1
    return verdict == "ErrorsFound"


def _messages(analysis: Analysis) -> list[Message]:
    lines = []
    for impacted, by_severity in analysis.findings.items():
        for severity in ("Error", "Warning"):
            for text in by_severity.get(severity, ()):
                lines.append(
                    msg(
                        "error" if severity == "Error" else "warning",
                        f"{impacted}: {text}",
                        "impact-analysis",
                    )
                )
    return lines


def run_impact(ctx: RunContext) -> None:
    """The impact-analysis stage; raises GateBlockedError after recording every analysis."""
    policy = ctx.spec.impact
    to_analyse = []
    for asset in ctx.assets:
        timer = StepTimer(ctx, asset, STAGE)
        if asset.is_library:
            ctx.record(
                timer.result(StepStatus.SKIPPED, "library: impact analysis applies to the apps that use it")
            )
        elif not will_deploy(ctx, asset):
            ctx.record(
                timer.result(
                    StepStatus.SKIPPED, f"r{asset.revision} already runs in the stage; nothing to analyse"
                )
            )
        elif ctx.plan:
            ctx.record(
                timer.result(
                    StepStatus.PLANNED,
                    f"would analyse deploying r{asset.revision} (fail-on: {policy.fail_on})",
                )
            )
        else:
            to_analyse.append(asset)
    if not to_analyse:
        ctx.impact_status = ctx.impact_status or "skipped"
        return
    names: dict[str, str] = {}
    timers = {a.key: StepTimer(ctx, a, STAGE) for a in to_analyse}
    outcome = run_in_order(
        [a.key for a in to_analyse],
        {},
        lambda key: analyse(ctx, next(a for a in to_analyse if a.key == key), names),
        max_parallel=ctx.spec.deploy.max_parallel,
        cancel=ctx.cancel,
    )
    if outcome.first_error is not None:
        raise outcome.first_error
    blocked: list[str] = []
    unavailable: list[str] = []
    worst = 0
    for asset in to_analyse:
        analysis = outcome.results[asset.key]
        timer = timers[asset.key]
        messages = _messages(analysis)
        details = {"findings": analysis.findings, "verdict": analysis.verdict or "unavailable"}
        if analysis.unavailable:
            block = policy.on_unavailable == "fail"
            text = (
                f"impact analysis unavailable: {analysis.unavailable} "
                f"(on-unavailable: {policy.on_unavailable})"
            )
            (ctx.reporter.error if block else ctx.reporter.warning)(text, asset=asset.label)
            status = StepStatus.BLOCKED if block else StepStatus.WARNING
            ctx.record(timer.result(status, text, analysis_key=analysis.key, details=details))
            if block:
                unavailable.append(f"{asset.label}: {analysis.unavailable}")
            continue
        worst = max(worst, RANK.get(analysis.verdict, 0))
        if _blocks(analysis.verdict, policy.fail_on):
            status = StepStatus.BLOCKED
            blocked.append(f"{asset.label}: {analysis.verdict} ({_count(analysis)})")
        elif analysis.verdict == "NoIssuesFound":
            status = StepStatus.SUCCEEDED
        else:
            status = StepStatus.WARNING
        for line in messages:
            (ctx.reporter.error if status is StepStatus.BLOCKED else ctx.reporter.warning)(
                line.text, asset=asset.label
            )
        ctx.record(
            timer.result(
                status,
                f"{analysis.verdict} for r{asset.revision}"
                + (f" ({_count(analysis)})" if analysis.findings else ""),
                analysis_key=analysis.key,
                messages=messages,
                details=details,
            )
        )
    ctx.impact_status = {0: "NoIssuesFound", 1: "WarningsFound", 2: "ErrorsFound"}[worst]
    if unavailable and not blocked:
        raise GateBlockedError(
            "impact analysis could not run and `on-unavailable: fail` stops the deploy: "
            + "; ".join(unavailable)
            + ". Set `on-unavailable: warn` to deploy without the analysis"
        )
    if blocked or unavailable:
        blocked += unavailable
        raise GateBlockedError(
            f"impact analysis blocks the deploy (fail-on: {policy.fail_on}): "
            + "; ".join(blocked)
            + ". Fix the impacted assets, deploy their producers first, "
            "or change `fail-on` if this is expected"
        )


def _count(analysis: Analysis) -> str:
    errors = sum(len(v.get("Error", ())) for v in analysis.findings.values())
    warnings = sum(len(v.get("Warning", ())) for v in analysis.findings.values())
    return f"{errors} error(s), {warnings} warning(s) in {len(analysis.findings)} impacted asset(s)"
