"""verify: the stage now runs what the pipeline meant, and it answers.

A ``Finished`` deployment says an operation ended; it does not say the stage runs the right
thing (someone may have deployed over it, or a rollback ran). So verify reads Portfolio's
deployed-assets and checks revision *and* build for every app, then runs the optional HTTP
checks (with retries and timeouts, since a fresh deploy may take a moment to answer) and the
optional code-quality gate (a fresh analysis of the revision, limits by severity).
"""

from __future__ import annotations

from typing import Any

import requests

from odc_pipeline.engine.context import AssetState, RunContext, StepTimer, msg
from odc_pipeline.engine.options import CodeQualityGate, HttpCheck
from odc_pipeline.engine.resolve import deployments_by_asset
from odc_pipeline.errors import CancelledError, GateBlockedError, OperationFailedError
from odc_pipeline.report import Message, StepStatus

STAGE = "verify"


def expected_of(asset: AssetState) -> tuple[int | None, str | None]:
    return (asset.revision_after if asset.revision_after is not None else asset.revision), asset.build_key


def check_deployed(ctx: RunContext, apps: list[AssetState]) -> dict[str, list[Message]]:
    """Problems per asset key: revision/build in the stage differ from what was deployed."""
    running = deployments_by_asset(ctx, [a.key for a in apps], ctx.target_key)
    problems: dict[str, list[Message]] = {}
    for asset in apps:
        revision, build = expected_of(asset)
        deployment = running.get(asset.key)
        found: list[Message] = []
        if deployment is None:
            found.append(
                msg(
                    "error", f"{asset.label} does not run in {ctx.target.name if ctx.target else 'the stage'}"
                )
            )
        else:
            asset.url = deployment.url or asset.url
            if int(deployment.revision) != revision:
                found.append(msg("error", f"runs r{deployment.revision}, expected r{revision}", "portfolio"))
            if build and deployment.unit_key != build:
                found.append(msg("error", f"runs build {deployment.unit_key}, expected {build}", "portfolio"))
        problems[asset.key] = found
    return problems


def _sleep(ctx: RunContext, seconds: float) -> None:
    end = ctx.clock.monotonic() + seconds
    while (left := end - ctx.clock.monotonic()) > 0:
        if ctx.cancel.is_set():
            raise CancelledError("cancelled during an HTTP check")
        ctx.clock.sleep(min(1.0, left))


def http_check(ctx: RunContext, asset: AssetState, check: HttpCheck, *, session: Any = requests) -> Message:
    """GET the app's URL + path until it answers as expected or the retries run out."""
    if not asset.url:
        return msg(
            "error",
            f"HTTP check {check.path}: {ctx.platform.terms.platform} reports no URL for {asset.label}",
            "http-check",
        )
    url = asset.url.rstrip("/") + "/" + check.path.lstrip("/")
    last = ""
    for attempt in range(check.retries + 1):
        try:
            response = session.get(url, timeout=check.timeout_seconds, allow_redirects=True)
            body_ok = check.contains is None or check.contains in response.text
            if response.status_code == check.expect_status and body_ok:
                return msg("info", f"GET {url} answered {response.status_code}", "http-check")
            last = f"answered {response.status_code}" + ("" if body_ok else f" without {check.contains!r}")
        except requests.RequestException as exc:
            last = f"failed: {type(exc).__name__}"
        if attempt < check.retries:
            _sleep(ctx, check.interval_seconds)
    return msg(
        "error",
        f"GET {url} {last} after {check.retries + 1} attempt(s); expected {check.expect_status}",
        "http-check",
    )


def code_quality(
    ctx: RunContext, asset: AssetState, gate: CodeQualityGate
) -> tuple[list[Message], bool, dict[str, Any]]:
    """A fresh analysis of the revision; (messages, blocked, details)."""
    assert asset.revision is not None
    report = ctx.platform.code_quality(ctx, asset.ref, asset.revision, stage=STAGE)
    key, unavailable = report.analysis_key or "", report.unavailable
    if unavailable:
        block = gate.on_unavailable == "fail"
        text = f"{unavailable} (on-unavailable: {gate.on_unavailable})"
        return (
            [msg("error" if block else "warning", text, "code-quality")],
            block,
            {"analysis_key": key or None},
        )
    totals, score = dict(report.totals), report.score
    messages: list[Message] = []
    for severity, limit in gate.max_findings.items():
        if totals.get(severity, 0) > limit:
            messages.append(
                msg(
                    "error",
                    f"{totals[severity]} {severity} finding(s), at most {limit} allowed",
                    "code-quality",
                )
            )
    if gate.min_quality_score is not None and score is not None and float(score) < gate.min_quality_score:
        messages.append(msg("error", f"quality score {score} below {gate.min_quality_score}", "code-quality"))
    return messages, bool(messages), {"findings": totals, "quality_score": score, "analysis_key": key}


def prepare_verify(ctx: RunContext) -> list[AssetState]:
    """Record the libraries (nothing runs to verify) and, in a plan, what would be checked;
    returns the apps to verify."""
    apps = [a for a in ctx.assets if not a.is_library]
    for asset in ctx.assets:
        if asset.is_library:
            ctx.record(
                StepTimer(ctx, asset, STAGE).result(
                    StepStatus.SKIPPED, "library: nothing runs in a stage to verify"
                )
            )
    if not ctx.plan:
        return apps
    checks, gate = _checks(ctx), ctx.spec.verify.code_quality
    for asset in apps:
        revision, build = expected_of(asset)
        extra = f", {len(checks.get(asset.label, []))} HTTP check(s)" if checks.get(asset.label) else ""
        extra += ", code-quality gate" if gate else ""
        ctx.record(
            StepTimer(ctx, asset, STAGE).result(
                StepStatus.PLANNED, f"would check r{revision} (build {build or 'new'}) runs{extra}"
            )
        )
    return []


def _checks(ctx: RunContext) -> dict[str, list[HttpCheck]]:
    checks: dict[str, list[HttpCheck]] = {}
    for check in ctx.spec.verify.http:
        checks.setdefault(check.asset, []).append(check)
    return checks


def verify_one(
    ctx: RunContext,
    asset: AssetState,
    *,
    problems: list[Message] | None = None,
    timer: StepTimer | None = None,
    session: Any = requests,
) -> StepStatus:
    """Verify one app and record it; ``problems``: what a batched portfolio read found (the
    per-asset flow passes none and reads this app alone). Returns the step's status."""
    timer = timer or StepTimer(ctx, asset, STAGE)
    if problems is None:
        problems = check_deployed(ctx, [asset]).get(asset.key, [])
    if not ctx.spec.verify.deployed_revision:
        problems = []  # the URL was still refreshed from Portfolio for the HTTP checks
    gate = ctx.spec.verify.code_quality
    revision, build = expected_of(asset)
    messages = list(problems)
    details: dict[str, Any] = {}
    if not messages:
        for check in _checks(ctx).get(asset.label, []):
            messages.append(http_check(ctx, asset, check, session=session))
    is_blocked = False
    analysis_key = None
    if gate is not None and not any(m.severity == "error" for m in messages):
        quality, is_blocked, details = code_quality(ctx, asset, gate)
        analysis_key = details.get("analysis_key")
        messages.extend(quality)
    errors = [m for m in messages if m.severity == "error"]
    status = StepStatus.BLOCKED if is_blocked else StepStatus.FAILED if errors else StepStatus.SUCCEEDED
    summary = f"r{revision} (build {build}) runs" if not errors else "; ".join(m.text for m in errors)
    ctx.record(
        timer.result(
            status,
            summary,
            revision_after=revision,
            build_key=build,
            analysis_key=analysis_key,
            messages=messages,
            details=details,
        )
    )
    return status


def conclude(ctx: RunContext, apps: list[AssetState]) -> None:
    """Raise the most severe verification outcome among ``apps`` (their steps are recorded)."""
    steps = {s.asset_key: s for s in ctx.steps if s.stage == STAGE}
    failed = [
        f"{a.label}: {steps[a.key].summary}"
        for a in apps
        if a.key in steps and steps[a.key].status is StepStatus.FAILED
    ]
    blocked = [
        f"{a.label}: {steps[a.key].summary}"
        for a in apps
        if a.key in steps and steps[a.key].status is StepStatus.BLOCKED
    ]
    if failed:
        raise OperationFailedError("verification failed: " + " | ".join(failed))
    if blocked:
        raise GateBlockedError("code-quality gate blocks the release: " + " | ".join(blocked))


def run_verify(ctx: RunContext, *, session: Any = requests) -> None:
    """The verify stage as one step: one portfolio read for every app, then each app's checks."""
    apps = prepare_verify(ctx)
    if not apps:
        return
    timers = {a.key: StepTimer(ctx, a, STAGE) for a in apps}
    problems = check_deployed(ctx, apps)
    for asset in apps:
        verify_one(ctx, asset, problems=problems.get(asset.key, []), timer=timers[asset.key], session=session)
    conclude(ctx, apps)
