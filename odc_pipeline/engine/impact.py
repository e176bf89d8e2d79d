"""impact-analysis: will deploying this revision break something that runs in the stage?

The Deployments API is not documented to enforce the analysis, so the pipeline is the gate.
One deployment analysis per app that is about to deploy (libraries are not deployed, so they
are skipped with a note), all started together and waited for; findings are grouped by the
impacted asset and by severity so a reader sees at once *what* breaks and *how badly*.
``fail-on`` decides; an analysis the tenant cannot run (404, ``Failed``, an unknown status)
is a warning or a block by policy — never a crash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from odc_pipeline.engine.context import AssetState, RunContext, StepTimer, msg
from odc_pipeline.errors import GateBlockedError
from odc_pipeline.platforms.base import ImpactRequest, ImpactResult
from odc_pipeline.report import Message, StepStatus

STAGE = "impact-analysis"
RANK = {"NoIssuesFound": 0, "WarningsFound": 1, "ErrorsFound": 2}


def will_deploy(ctx: RunContext, asset: AssetState) -> bool:
    return not asset.is_library and (ctx.force or not asset.up_to_date)


def request(ctx: RunContext, asset: AssetState) -> ImpactRequest:
    """What the platform analyses for one asset (the run's labels name the impacted assets)."""
    assert ctx.target is not None, "resolve runs first"
    # resolve's Deploy-assets probe started exactly this analysis: use it, do not start another
    started, asset.probe_analysis_key = asset.probe_analysis_key, None
    return ImpactRequest(
        asset=asset.ref,
        target=ctx.target,
        revision=asset.revision_ref,
        unit_key=asset.build_key,
        reuse_key=started,
        label=asset.label,
        names={a.key: a.label for a in ctx.assets if a.key},
    )


def _blocks(verdict: str, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    if fail_on == "warnings":
        return RANK.get(verdict, 0) >= 1
    return verdict == "ErrorsFound"


def _messages(analysis: ImpactResult) -> list[Message]:
    lines = []
    for impacted, by_severity in analysis.grouped().items():
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


@dataclass(frozen=True)
class Verdict:
    """One analysis, judged: how bad (``rank``) and why it stops the deploy, if it does."""

    rank: int = 0
    blocked: str = ""  # "label: ErrorsFound (2 errors)" when fail-on stops it
    unavailable: str = ""  # "label: reason" when on-unavailable: fail stops it

    @property
    def stops(self) -> bool:
        return bool(self.blocked or self.unavailable)


def prepare_analyses(ctx: RunContext, *, building: Iterable[str] = ()) -> list[AssetState]:
    """Record the assets that need no analysis (libraries, up to date, a plan); return the rest.

    ``building``: keys of assets whose new build has not finished yet (the per-asset flow
    decides before building); a new build never runs in the stage, so those will deploy.
    """
    policy = ctx.spec.impact
    pending = set(building)
    to_analyse = []
    for asset in ctx.assets:
        timer = StepTimer(ctx, asset, STAGE)
        if asset.is_library:
            ctx.record(
                timer.result(StepStatus.SKIPPED, "library: impact analysis applies to the apps that use it")
            )
        elif asset.key not in pending and not will_deploy(ctx, asset):
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
    return to_analyse


def analyse_one(ctx: RunContext, asset: AssetState) -> Verdict:
    """One app's analysis, started, waited for, judged and recorded (the per-asset flow)."""
    timer = StepTimer(ctx, asset, STAGE)
    analysis = ctx.platform.analyse(ctx, request(ctx, asset), stage=STAGE)
    return judge(ctx, asset, analysis, timer)


def judge(ctx: RunContext, asset: AssetState, analysis: ImpactResult, timer: StepTimer) -> Verdict:
    """Record what the analysis found and whether ``fail-on`` / ``on-unavailable`` stop it."""
    policy = ctx.spec.impact
    messages = _messages(analysis)
    details = {"findings": analysis.grouped(), "verdict": analysis.verdict or "unavailable"}
    if analysis.unavailable:
        block = policy.on_unavailable == "fail"
        text = (
            f"impact analysis unavailable: {analysis.unavailable} (on-unavailable: {policy.on_unavailable})"
        )
        (ctx.reporter.error if block else ctx.reporter.warning)(text, asset=asset.label)
        status = StepStatus.BLOCKED if block else StepStatus.WARNING
        ctx.record(timer.result(status, text, analysis_key=analysis.analysis_key, details=details))
        return Verdict(unavailable=f"{asset.label}: {analysis.unavailable}" if block else "")
    rank = RANK.get(analysis.verdict, 0)
    blocked = ""
    if _blocks(analysis.verdict, policy.fail_on):
        status = StepStatus.BLOCKED
        blocked = f"{asset.label}: {analysis.verdict} ({_count(analysis)})"
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
            analysis_key=analysis.analysis_key,
            messages=messages,
            details=details,
        )
    )
    return Verdict(rank=rank, blocked=blocked)


def conclude(ctx: RunContext, verdicts: Iterable[Verdict]) -> None:
    """Set the run's impact status from every verdict; raise the gate's error if one stops it."""
    verdicts = list(verdicts)
    if not verdicts:
        return
    worst = max(v.rank for v in verdicts)
    ctx.impact_status = {0: "NoIssuesFound", 1: "WarningsFound", 2: "ErrorsFound"}[worst]
    blocked = [v.blocked for v in verdicts if v.blocked]
    unavailable = [v.unavailable for v in verdicts if v.unavailable]
    if unavailable and not blocked:
        raise GateBlockedError(
            "impact analysis could not run and `on-unavailable: fail` stops the deploy: "
            + "; ".join(unavailable)
            + ". Set `on-unavailable: warn` to deploy without the analysis"
        )
    if blocked or unavailable:
        raise GateBlockedError(
            f"impact analysis blocks the deploy (fail-on: {ctx.spec.impact.fail_on}): "
            + "; ".join(blocked + unavailable)
            + ". Fix the impacted assets, deploy their producers first, "
            "or change `fail-on` if this is expected"
        )


def run_impact(ctx: RunContext) -> None:
    """The impact-analysis stage as one step; raises GateBlockedError after recording every analysis."""
    to_analyse = prepare_analyses(ctx)
    if not to_analyse:
        return
    timers = {a.key: StepTimer(ctx, a, STAGE) for a in to_analyse}
    results = ctx.platform.analyse_all(
        ctx,
        [request(ctx, a) for a in to_analyse],
        stage=STAGE,
        max_parallel=ctx.max_parallel,
        cancel=ctx.cancel,
    )
    conclude(ctx, [judge(ctx, a, results[a.key], timers[a.key]) for a in to_analyse])


def _count(analysis: ImpactResult) -> str:
    grouped = analysis.grouped()
    errors = sum(len(v.get("Error", ())) for v in grouped.values())
    warnings = sum(len(v.get("Warning", ())) for v in grouped.values())
    return f"{errors} error(s), {warnings} warning(s) in {len(grouped)} impacted asset(s)"
