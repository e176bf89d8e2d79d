"""LifeTime's side of ``rollback-on-failure``: settle the target, then one plan back.

A LifeTime plan is deployed as a unit, but a plan that fails may leave some of its
applications deployed (what LifeTime completed before the error stays). So the rollback first
lets the target settle — a plan of this run that waits for an intervention it will never get
(``deployment_suspended``, a business-process confirmation) is aborted, never continued; any
plan still running (a timed-out one of ours, or someone else's) is waited out through the
shared poller — and only then reads ``AppStatusInEnvs`` to see which applications moved.

The plan back is one ordinary plan of the versions that ran before, from the run's source
environment (LifeTime keeps every tagged version; a plan may deploy any of them — UNDOC, see
README), created with the client's plan finder (a lost answer is looked up, never re-sent),
validated by reading it, started once and waited for like a forward plan, always as a full
deployment (a two-step target's preparation is continued: a rollback must not stop halfway).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from odc_pipeline.errors import OperationFailedError
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.lifetime.models import PlanStatus
from odc_pipeline.platforms.base import DeployOutcome, EnvironmentRef, RunServices
from odc_pipeline.platforms.lifetime import deploy, plans
from odc_pipeline.report import Message

ROLLBACK_NOTES = "rollback"
"""Appended to the run's plan notes: the rollback plan is told apart in LifeTime's list."""


def settle(
    client: LifetimeClient, run: RunServices, target: EnvironmentRef, own: Sequence[str], *, stage: str
) -> tuple[Message, ...]:
    """Abort this run's plans that wait for an intervention; wait until no plan runs on ``target``."""
    messages: list[Message] = []
    for key in own:
        status = client.deployments.status(key)
        if status.deployment_status != PlanStatus.NEEDS_USER_INTERVENTION:
            continue
        if not deploy.abort(client, key):
            raise OperationFailedError(
                f"plan {key} waits for an intervention ({status.info or 'no Info'}) and LifeTime "
                "refused to abort it; continue or abort it in LifeTime, then run again"
            )
        waited = status.info or "an intervention"
        messages.append(Message("warning", f"aborted plan {key}, which waited for {waited}", "lifetime"))
    messages.extend(deploy.wait_for_target(client, run, target, own=None, stage=stage))
    return tuple(messages)


def run_back(
    client: LifetimeClient,
    run: RunServices,
    content: plans.PlanContent,
    names: Mapping[str, str],
    *,
    notes: str,
    stage: str,
    redeploy_outdated: bool,
    allow_warnings: bool,
) -> DeployOutcome:
    """Create, validate, start and wait for the one plan back (``content``: the versions before;
    ``names``: application key → name for the conflicts). A plan with blocking conflicts (one
    LifeTime refuses to start) is deleted and reported, never started."""
    key = plans.create_plan(client, run, content, notes=f"{notes} {ROLLBACK_NOTES}", stage=stage)
    details = client.deployments.get(key)  # reading a new plan validates it before start (swagger)
    found = plans.findings(details, names, redeploy_outdated=redeploy_outdated)
    blocking = [f for f in found if f.severity == "Error"]
    if blocking:  # start would be refused: the saved plan is deleted, as a blocked analysis's is
        client.deployments.delete(key)
        return DeployOutcome(
            asset_key="",
            operation_key=key,
            status="blocked by conflicts (plan deleted)",
            succeeded=False,
            messages=tuple(Message("error", f"{f.subject}: {f.text}", "lifetime") for f in blocking),
        )
    return deploy.run_plan(
        client,
        run,
        key,
        content.target,
        stage=stage,
        redeploy_outdated=redeploy_outdated,
        two_stage=False,
        allow_warnings=allow_warnings,
    )
