"""Impact analysis on LifeTime: one deployment plan holds every application, as LifeTime
deploys a plan as a unit, and reading the plan validates it (``ApplicationConflicts``).

Creating the plan is a change (``--plan`` never calls this module). A plan that the gate
blocks is deleted at once — LifeTime only deletes ``saved`` plans, which a blocked plan is —
so no half-made plan is left for the next run or for a person to trip over. A plan that
passes is kept and started by the deploy stage (no second plan for the same release).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from odc_pipeline.api.errors import BadRequestError
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.lifetime.models import DeploymentDetails, PlanOperation
from odc_pipeline.platforms.base import EnvironmentRef, Finding, ImpactResult, RunServices

BLOCKING = {"errors": ("Error",), "warnings": ("Error", "Warning"), "never": ()}


@dataclass(frozen=True)
class PlanContent:
    """What one plan deploys: version keys with their zone, source and target."""

    source: EnvironmentRef
    target: EnvironmentRef
    operations: tuple[tuple[str, str, str], ...]  # (application key, version key, zone key)

    @property
    def version_keys(self) -> frozenset[str]:
        return frozenset(version for _, version, _ in self.operations)


def create_plan(
    client: LifetimeClient, run: RunServices, content: PlanContent, *, notes: str, stage: str
) -> str:
    """Save the plan; while a version tagged by this run is still processed, LifeTime answers
    400 and the creation is tried again through the poller (nothing was created)."""
    operations = [
        PlanOperation(application_version_key=v, deployment_zone_key=z) for _, v, z in content.operations
    ]
    attempt: dict[str, object] = {}

    def fetch() -> object:
        try:
            attempt["key"] = client.deployments.create(
                source_environment_key=content.source.key,
                target_environment_key=content.target.key,
                operations=operations,
                notes=notes,
            )
        except BadRequestError as exc:
            if "process" not in str(exc).lower():  # UNDOC wording: "…still being processed."
                raise
            attempt["waiting"] = str(exc)
            return None
        return attempt["key"]

    return str(
        run.wait(
            fetch,
            lambda key: key is not None,
            what=f"deployment plan to {content.target.name}",
            describe=lambda key: "created" if key else "a version is still being processed",
            stage=stage,
        )
    )


def findings(
    details: DeploymentDetails, names: Mapping[str, str], *, redeploy_outdated: bool
) -> tuple[Finding, ...]:
    """ApplicationConflicts as the seam's findings: a consumer LifeTime will redeploy
    (``RedeployOutdated``) is a Warning, every other conflict an Error (it blocks ``start``)."""
    redeploys = set(details.applications_to_redeploy)
    found = []
    for conflict in details.application_conflicts:
        consumer = conflict.consumer_application_operation
        producer = conflict.producer_application_operation
        subject_key = (consumer and consumer.application_key) or (producer and producer.application_key) or ""
        subject = names.get(subject_key, subject_key or "the plan")
        kind = conflict.module_conflict.conflict_type if conflict.module_conflict else None
        text = conflict.message or kind or "conflict"
        severity = "Warning" if redeploy_outdated and subject_key in redeploys else "Error"
        found.append(Finding(subject=subject, severity=severity, text=text))
    return tuple(found)


def verdict(found: Sequence[Finding]) -> str:
    if any(f.severity == "Error" for f in found):
        return "ErrorsFound"
    return "WarningsFound" if found else "NoIssuesFound"


def blocks(found: Sequence[Finding], fail_on: str) -> bool:
    return any(f.severity in BLOCKING.get(fail_on, ("Error",)) for f in found)


def analyse(
    client: LifetimeClient,
    run: RunServices,
    content: PlanContent,
    names: Mapping[str, str],
    *,
    notes: str,
    stage: str,
    redeploy_outdated: bool,
    fail_on: str,
) -> tuple[str | None, dict[str, ImpactResult]]:
    """Create the plan, read its conflicts, delete it when blocked. Returns the kept plan's key
    (None when deleted) and one result per application (every one names the same plan)."""
    key = create_plan(client, run, content, notes=notes, stage=stage)
    details = client.deployments.get(key)
    found = findings(details, names, redeploy_outdated=redeploy_outdated)
    kept: str | None = key
    if blocks(found, fail_on):
        client.deployments.delete(key)
        kept = None
    results = {}
    for app_key, _, _ in content.operations:
        own = tuple(f for f in found if f.subject == names.get(app_key))
        results[app_key] = ImpactResult(
            asset_key=app_key, analysis_key=key, verdict=verdict(own), findings=own
        )
    return kept, results
