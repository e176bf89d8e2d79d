"""Deployment plans: create, read (with conflicts), update, start / continue / abort, status, delete, list.

Every POST here may lose its answer; none is sent again blindly:

* **create** — :meth:`DeploymentsApi.plan_finder` lists the target's plans and takes the one
  with the same notes, source, target and versions created since the POST was sent (minus
  :data:`CLOCK_SKEW`). Notes that identify the run (the engine's do) make the match exact.
* **start / continue / abort** — :meth:`DeploymentsApi.command_finder` reads the plan's status:
  a plan no longer ``saved`` was started, one no longer waiting for intervention was
  continued, one ``aborting``/finished was aborted.

The shared HTTP core looks for a grace window and, when nothing shows the POST took effect,
raises ``OutcomeUnknownError``: a slow server may still act on it, so it is never sent twice.

LifeTime's creation answer is ``text/plain`` — the bare key, a JSON-quoted key, or (as the
binary endpoint declares) ``{"DeploymentKey": …}`` — with 200 (swagger) or 201 (what OP
requires of real servers); all of these are read the same way.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from odc_pipeline.api.errors import ApiError
from odc_pipeline.api.http import FindAgain
from odc_pipeline.lifetime.endpoints import LIFETIME_V2
from odc_pipeline.lifetime.http import Answer, LifetimeHttp, expect_json_list, expect_json_object
from odc_pipeline.lifetime.models import (
    FINISHED_STATUSES,
    Deployment,
    DeploymentDetails,
    PlanCommand,
    PlanData,
    PlanOperation,
    PlanRequest,
    PlanStatus,
    PlanStatusReport,
)

PLANS = "/deployments/"
PLAN = "/deployments/{DeploymentKey}/"
COMMAND = "/deployments/{DeploymentKey}/{Command}/"
STATUS = "/deployments/{DeploymentKey}/status/"
CLOCK_SKEW = timedelta(seconds=30)
"""How far LifeTime's clock may lag ours when a lost plan is looked for by creation time."""

Operations = Sequence[PlanOperation | str]


def _operations(operations: Operations) -> list[PlanOperation]:
    """Version keys (default zone) or full operations, as the request model."""
    return [
        op if isinstance(op, PlanOperation) else PlanOperation(application_version_key=op)
        for op in operations
    ]


class DeploymentsApi:
    def __init__(self, http: LifetimeHttp) -> None:
        self._http = http

    # ------------------------------------------------------------------ plans

    def create(
        self,
        *,
        source_environment_key: str,
        target_environment_key: str,
        operations: Operations,
        notes: str,
        find_again: FindAgain | None = None,
    ) -> str:
        """Save a plan (not started) and return its key; ``find_again`` defaults to :meth:`plan_finder`."""
        request = PlanRequest(
            notes=notes,
            source_environment_key=source_environment_key,
            target_environment_key=target_environment_key,
            application_operations=_operations(operations),
        )
        finder = find_again or self.plan_finder(request, sent_at=self._http.clock.now())
        answer = self._http.request("POST", LIFETIME_V2, PLANS, json=request.to_json(), find_again=finder)
        return plan_key(answer, f"POST {LIFETIME_V2.base_path}{PLANS}")

    def plan_finder(self, request: PlanRequest, *, sent_at: datetime) -> FindAgain:
        """A find-again hook: a plan like ``request`` created since ``sent_at`` (as ``{"Key": …}``)."""
        versions = frozenset(op.application_version_key for op in request.application_operations)

        def find() -> Mapping[str, Any] | None:
            since = sent_at - CLOCK_SKEW
            # MinDate is a date in LifeTime's time zone (UNDOC): one day earlier covers any zone.
            plans = self.list(
                min_date=(since - timedelta(days=1)).date(),
                target_environment_key=request.target_environment_key,
            )
            for plan in plans:  # newest first
                if (
                    plan.key
                    and plan.notes == request.notes
                    and plan.source_environment_key == request.source_environment_key
                    and plan.target_environment_key == request.target_environment_key
                    and plan.version_keys == versions
                    and (plan.created_on is None or plan.created_on >= since)
                ):
                    return {"Key": plan.key}
            return None

        return find

    def get(self, key: str) -> DeploymentDetails:
        """The plan with what it would deploy and its ``ApplicationConflicts``.

        Reading it validates a new plan (swagger: this GET "may update the state of the
        deployment plan"), so call it before :meth:`start`.
        """
        answer = self._http.request("GET", LIFETIME_V2, PLAN, path_params={"DeploymentKey": key})
        return DeploymentDetails.model_validate(expect_json_object(answer, f"GET {PLAN}"))

    def update(
        self,
        key: str,
        *,
        source_environment_key: str,
        target_environment_key: str,
        operations: Operations,
        notes: str,
    ) -> PlanData:
        """Replace a saved plan's content (PUT: safe to repeat)."""
        request = PlanRequest(
            notes=notes,
            source_environment_key=source_environment_key,
            target_environment_key=target_environment_key,
            application_operations=_operations(operations),
        )
        answer = self._http.request(
            "PUT", LIFETIME_V2, PLAN, path_params={"DeploymentKey": key}, json=request.to_json()
        )
        return PlanData.model_validate(expect_json_object(answer, f"PUT {PLAN}"))

    def delete(self, key: str) -> None:
        """Delete a plan; LifeTime accepts this only while it is ``saved``."""
        self._http.request("DELETE", LIFETIME_V2, PLAN, path_params={"DeploymentKey": key})

    def list(
        self,
        *,
        min_date: date | None = None,
        max_date: date | None = None,
        target_environment_key: str | None = None,
    ) -> builtins.list[Deployment]:
        """Plans created between the dates (LifeTime's default: the last week), newest first; 204 = none."""
        answer = self._http.request(
            "GET",
            LIFETIME_V2,
            PLANS,
            params={"MinDate": min_date, "MaxDate": max_date, "TargetEnvironmentKey": target_environment_key},
        )
        return [Deployment.model_validate(i) for i in expect_json_list(answer, f"GET {PLANS}")]

    def in_progress(
        self, target_environment_key: str, *, since: date | None = None, include_saved: bool = False
    ) -> builtins.list[tuple[Deployment, PlanStatusReport]]:
        """Plans for the target that have not finished, newest first, with their status.

        ``Deployment_v2`` has no status, so this is one list plus one status read per plan (as
        OP's queue check). ``saved`` plans are left out unless asked for: since LifeTime 11.21
        several may exist per target without blocking anything (OP issue #78).
        ``since`` defaults to LifeTime's own default window (the last week).
        """
        found = []
        for plan in self.list(min_date=since, target_environment_key=target_environment_key):
            if not plan.key or plan.target_environment_key not in (None, target_environment_key):
                continue
            status = self.status(plan.key)
            if status.finished or (status.deployment_status == PlanStatus.SAVED and not include_saved):
                continue
            found.append((plan, status))
        return found

    # ------------------------------------------------------------------ commands and status

    def start(
        self, key: str, *, redeploy_outdated: bool | None = None, include_error_details: bool | None = None
    ) -> None:
        """Start a saved, conflict-free plan (202). ``redeploy_outdated`` redeploys outdated consumers."""
        self.command(
            key,
            PlanCommand.START,
            redeploy_outdated=redeploy_outdated,
            include_error_details=include_error_details,
        )

    def continue_(
        self, key: str, *, redeploy_outdated: bool | None = None, include_error_details: bool | None = None
    ) -> None:
        """Continue a plan that waits for intervention (stage two of a two-step deployment)."""
        self.command(
            key,
            PlanCommand.CONTINUE,
            redeploy_outdated=redeploy_outdated,
            include_error_details=include_error_details,
        )

    def abort(
        self, key: str, *, redeploy_outdated: bool | None = None, include_error_details: bool | None = None
    ) -> None:
        """Abort a plan before staging reaches the target's platform server (it goes through ``aborting``)."""
        self.command(
            key,
            PlanCommand.ABORT,
            redeploy_outdated=redeploy_outdated,
            include_error_details=include_error_details,
        )

    def command(
        self,
        key: str,
        command: PlanCommand,
        *,
        redeploy_outdated: bool | None = None,
        include_error_details: bool | None = None,
        find_again: FindAgain | None = None,
    ) -> None:
        """Send ``start``/``continue``/``abort`` with the swagger's two query options."""
        command = PlanCommand(command)
        self._http.request(
            "POST",
            LIFETIME_V2,
            COMMAND,
            path_params={"DeploymentKey": key, "Command": command.value},
            params={"RedeployOutdated": redeploy_outdated, "IncludeErrorDetails": include_error_details},
            find_again=find_again or self.command_finder(key, command),
        )

    def command_finder(self, key: str, command: PlanCommand) -> FindAgain:
        """A find-again hook: the plan's status shows that ``command`` took effect."""

        def find() -> Mapping[str, Any] | None:
            status = self.status(key)
            if _took_effect(PlanCommand(command), status):
                return status.model_dump(mode="json", by_alias=True)
            return None

        return find

    def status(self, key: str) -> PlanStatusReport:
        """``DeploymentStatus``, ``Info`` (for ``needs_user_intervention``) and the log so far."""
        answer = self._http.request("GET", LIFETIME_V2, STATUS, path_params={"DeploymentKey": key})
        return PlanStatusReport.model_validate(expect_json_object(answer, f"GET {STATUS}"))


def _took_effect(command: PlanCommand, status: PlanStatusReport) -> bool:
    current = status.deployment_status
    if command == PlanCommand.START:
        return current != PlanStatus.SAVED
    if command == PlanCommand.CONTINUE:
        return current != PlanStatus.NEEDS_USER_INTERVENTION
    return current == PlanStatus.ABORTING or current in FINISHED_STATUSES


def plan_key(answer: Answer, where: str) -> str:
    """The new plan's key from any of the shapes LifeTime answers with (module docstring)."""
    body = answer.body
    if isinstance(body, dict):
        key = body.get("DeploymentKey") or body.get("Key")
    elif isinstance(body, str):
        key = body.strip().strip('"')
    else:
        key = None
    if not isinstance(key, str) or not key:
        raise ApiError(
            f"{where} answered HTTP {answer.status} without a deployment key", status=answer.status
        )
    return key
