"""How a LifeTime plan's status reads as an outcome: the stricter-than-the-scripts verdicts.

The official scripts treat every status they do not list as success (notes §3.1 step 9), so a
``saved``, ``aborting`` or ``force_finished`` plan passes. Here success is exactly
``finished_successful`` (and ``finished_with_warnings`` when the file allows warnings);
``needs_user_intervention`` is a stop with its ``Info`` as the reason, except
``deployment_prepared``, which is the two-step deployment's planned stop.
"""

from __future__ import annotations

from odc_pipeline.lifetime.models import FINISHED_STATUSES, InterventionInfo, PlanStatus, PlanStatusReport

INTERVENTION_REASONS = {
    InterventionInfo.BUSINESS_PROCESS_IMPACT.value: "LifeTime waits for a confirmation of the business "
    "process impact (check the warnings in LifeTime, then continue or abort the plan there)",
    InterventionInfo.NEEDS_CONFIGURATION_OR_CONFIRMATION.value: "LifeTime waits for configuration or a "
    "confirmation (e.g. extension database mappings) before it can continue",
    InterventionInfo.DEPLOYMENT_SUSPENDED.value: "LifeTime suspended the deployment after an error; "
    "decide in LifeTime whether to continue or abort it",
}


def stops_polling(status: PlanStatusReport) -> bool:
    """The poller stops at a final status or when LifeTime waits for someone."""
    return status.finished or status.deployment_status == PlanStatus.NEEDS_USER_INTERVENTION


def is_prepared(status: PlanStatusReport) -> bool:
    return (
        status.deployment_status == PlanStatus.NEEDS_USER_INTERVENTION
        and status.info == InterventionInfo.DEPLOYMENT_PREPARED
    )


def succeeded(status: PlanStatusReport, *, allow_warnings: bool) -> bool:
    if status.deployment_status == PlanStatus.FINISHED_SUCCESSFUL:
        return True
    return allow_warnings and status.deployment_status == PlanStatus.FINISHED_WITH_WARNINGS


def failure_reason(status: PlanStatusReport, *, allow_warnings: bool) -> str:
    """One line saying why the plan did not succeed (the log follows in the messages)."""
    current = status.deployment_status
    if current == PlanStatus.NEEDS_USER_INTERVENTION:
        info = status.info or "(no Info)"
        reason = INTERVENTION_REASONS.get(info, f"LifeTime waits for user intervention ({info})")
        return f"the plan stopped: {reason}; odc-pipeline never continues it on its own"
    if current == PlanStatus.FINISHED_WITH_WARNINGS and not allow_warnings:
        return "the plan finished with warnings (set stages.deploy.allow-warnings: true to accept them)"
    if current in FINISHED_STATUSES:
        return f"the plan ended {current}"
    return f"the plan is {current}, which is not a final status"


def describe(status: PlanStatusReport) -> str:
    if status.info:
        return f"{status.deployment_status} ({status.info})"
    return status.deployment_status
