"""Deploy on LifeTime: wait for other plans on the target, start the plan, poll it, and read
how it ended — including the two-step deployment's stop after preparation.

* **Queue.** Other plans running (or waiting for intervention) on the target are waited out
  through the shared poller, bounded by the deploy stage's timeout, and named in the outcome's
  messages; ``saved`` plans do not block (LifeTime 11.21+, OP issue #78).
* **Start** sends ``RedeployOutdated`` as the file says; a lost answer is looked up by the
  plan's status (the client's command finder), never sent twice.
* **Interventions.** ``deployment_prepared`` with ``two-stage: true`` stops the run on purpose
  (``prepared``); without it the plan is continued — the second step of what the file asked
  for. Any other ``Info`` fails with its reason and is never continued automatically.
* **Continue** (``odc-pipeline continue``) continues exactly the plan it is given, and only
  when that plan is prepared.
"""

from __future__ import annotations

from odc_pipeline.api.errors import BadRequestError
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.lifetime.models import PlanStatus, PlanStatusReport
from odc_pipeline.platforms.base import DeployOutcome, EnvironmentRef, RunServices
from odc_pipeline.platforms.lifetime import statuses
from odc_pipeline.report import Message

LOG_SEVERITY = {"error": "error", "warning": "warning"}


def log_messages(status: PlanStatusReport, *, only_problems: bool = False) -> tuple[Message, ...]:
    """The plan's log as report messages (errors and warnings keep their severity)."""
    found = []
    for entry in status.deployment_log:
        severity = LOG_SEVERITY.get((entry.type or "").lower(), "info")
        if only_problems and severity == "info":
            continue
        if entry.message:
            found.append(Message(severity, entry.message, "deployment-log"))
    return tuple(found)


def wait_for_target(
    client: LifetimeClient, run: RunServices, target: EnvironmentRef, *, own: str | None, stage: str
) -> tuple[Message, ...]:
    """Wait until no other plan runs on ``target``; say which ones were waited for."""
    seen: dict[str, str] = {}

    def fetch() -> list[tuple[str, str]]:
        busy = [
            (plan.key or "", status.deployment_status)
            for plan, status in client.deployments.in_progress(target.key)
            if plan.key and plan.key != own
        ]
        for key, state in busy:
            seen[key] = state
        return busy

    started = run.clock.monotonic()
    run.wait(
        fetch,
        lambda busy: not busy,
        what=f"other deployment plans on {target.name}",
        describe=lambda busy: "free" if not busy else "busy: " + ", ".join(f"{k} {s}" for k, s in busy),
        stage=stage,
    )
    if not seen:
        return ()
    waited = run.clock.monotonic() - started
    plans = ", ".join(f"{key} ({state})" for key, state in seen.items())
    return (
        Message("info", f"waited {waited:.0f}s for other plans on {target.name} to end: {plans}", "lifetime"),
    )


def poll(client: LifetimeClient, run: RunServices, key: str, *, what: str, stage: str) -> PlanStatusReport:
    status: PlanStatusReport = run.wait(
        lambda: client.deployments.status(key),
        statuses.stops_polling,
        what=what,
        describe=statuses.describe,
        stage=stage,
    )
    return status


def outcome(
    key: str,
    status: PlanStatusReport,
    *,
    two_stage: bool,
    allow_warnings: bool,
    before: tuple[Message, ...] = (),
) -> DeployOutcome:
    """One outcome for the plan (every application in it shares it)."""
    if statuses.is_prepared(status) and two_stage:
        note = Message(
            "info",
            f"plan {key} is prepared (two-step deployment); finish it with "
            f"odc-pipeline continue --plan-key {key}",
            "lifetime",
        )
        return DeployOutcome(
            asset_key="",
            operation_key=key,
            status="prepared",
            succeeded=False,
            prepared=True,
            messages=(*before, note),
            raw=status,
        )
    ok = statuses.succeeded(status, allow_warnings=allow_warnings)
    messages = list(before)
    if not ok:
        messages.append(
            Message("error", statuses.failure_reason(status, allow_warnings=allow_warnings), "lifetime")
        )
    messages.extend(log_messages(status, only_problems=ok))
    return DeployOutcome(
        asset_key="",
        operation_key=key,
        status=status.deployment_status,
        succeeded=ok,
        messages=tuple(messages),
        raw=status,
    )


def run_plan(
    client: LifetimeClient,
    run: RunServices,
    key: str,
    target: EnvironmentRef,
    *,
    stage: str,
    redeploy_outdated: bool,
    two_stage: bool,
    allow_warnings: bool,
) -> DeployOutcome:
    """Wait for the target, start ``key``, poll it to its end (or its planned stop)."""
    before = wait_for_target(client, run, target, own=key, stage=stage)
    client.deployments.start(key, redeploy_outdated=redeploy_outdated)
    what = f"deployment plan {key} to {target.name}"
    with run.tracking(key, what):
        status = poll(client, run, key, what=what, stage=stage)
        if statuses.is_prepared(status) and not two_stage:
            client.deployments.continue_(key)  # the second step of a full deployment
            status = poll(client, run, key, what=what, stage=stage)
    return outcome(key, status, two_stage=two_stage, allow_warnings=allow_warnings, before=before)


def continue_plan(
    client: LifetimeClient, run: RunServices, key: str, *, stage: str, allow_warnings: bool
) -> DeployOutcome:
    """Continue exactly ``key``, and only when it waits after its preparation."""
    status = client.deployments.status(key)
    if not statuses.is_prepared(status):
        reason = (
            f"plan {key} is {statuses.describe(status)}, not prepared (needs_user_intervention / "
            "deployment_prepared); nothing was continued"
        )
        return DeployOutcome(
            asset_key="",
            operation_key=key,
            status=status.deployment_status,
            succeeded=False,
            messages=(Message("error", reason, "lifetime"), *log_messages(status, only_problems=True)),
            raw=status,
        )
    client.deployments.continue_(key)
    what = f"deployment plan {key}"
    with run.tracking(key, what):
        status = poll(client, run, key, what=what, stage=stage)
    return outcome(key, status, two_stage=False, allow_warnings=allow_warnings)


def abort(client: LifetimeClient, key: str) -> bool:
    """Abort on cancel; False when LifeTime refuses (stage two already deploys): the report then
    lists the plan as still in flight."""
    try:
        status = client.deployments.status(key)
        if status.finished:
            return True
        if status.deployment_status == PlanStatus.SAVED:
            client.deployments.delete(key)
            return True
        client.deployments.abort(key)
    except BadRequestError:
        return False
    return True
