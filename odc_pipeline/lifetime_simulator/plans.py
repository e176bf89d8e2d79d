"""A deployment plan's life as a pure function of its recorded events and the clock.

Segments, in clock time, of a started plan (``b`` = when the target environment is free: a plan
to the same target that started earlier must end first; until then the plan is ``running`` with
a "waiting" log line, as LifeTime queues it):

* prepare ``[b, b + prepare)``: ``running``;
* two-step targets: ``needs_user_intervention`` / ``deployment_prepared`` until ``continue``;
* deploy ``[s, s + deploy)``: ``running``; a ``deployment_suspended`` outcome stops halfway at
  ``needs_user_intervention`` / ``deployment_suspended`` until ``continue`` (then it finishes
  ``finished_with_warnings``: the failed step was skipped) or ``abort``;
* the end: the tenant's outcome (``finished_successful`` by default, ``finished_with_warnings``,
  ``finished_with_errors`` or ``aborted``);
* an accepted ``abort`` turns the plan ``aborting`` for ``abort`` seconds, then ``aborted``.

The last segment is open: its status holds until the next event. :func:`release` is when the
plan stops holding the target environment (None while that is not yet decided).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from odc_pipeline.lifetime_simulator.model import Plan
from odc_pipeline.lifetime_simulator.tenant import Durations

RUNNING = "running"
SAVED = "saved"
NEEDS_INTERVENTION = "needs_user_intervention"
ABORTING = "aborting"
ABORTED = "aborted"
SUCCESSFUL = "finished_successful"
WARNINGS = "finished_with_warnings"
ERRORS = "finished_with_errors"
PREPARED = "deployment_prepared"
SUSPENDED = "deployment_suspended"
TERMINAL = frozenset({ABORTED, SUCCESSFUL, WARNINGS, ERRORS})
APPLIES = frozenset({SUCCESSFUL, WARNINGS})
"""Outcomes after which the target runs the plan's versions."""
FAILED = frozenset({ERRORS, ABORTED})
"""Outcomes after which the target runs the versions the outcome's ``deployed`` names (UNDOC)."""


@dataclass(frozen=True)
class Segment:
    start: float
    status: str
    info: str
    message: str
    kind: str = "Info"  # DeploymentMessage.Type: Info | Warning | Error


def timeline(plan: Plan, durations: Durations, free_at: Callable[[str], float | None]) -> list[Segment]:
    """Every segment that has begun or is decided so far (see the module docstring)."""
    if plan.started_t is None:
        return [Segment(float("-inf"), SAVED, "", "")]
    t0 = plan.started_t
    segments = [Segment(t0, RUNNING, "", f"Deployment plan started by {plan.started_by}.")]
    begin: float | None = t0
    if plan.waits_for is not None:
        other = free_at(plan.waits_for)
        segments.append(
            Segment(t0, RUNNING, "", f"Waiting for deployment plan {plan.waits_for} to finish in the target.")
        )
        begin = None if other is None else max(t0, other)
    continues = iter(sorted(plan.continues))
    if begin is not None:
        segments.append(Segment(begin, RUNNING, "", "Preparing the deployment (stage one)."))
        stage_two: float | None = begin + durations.prepare
        if plan.two_step:
            prepared = begin + durations.prepare
            segments.append(
                Segment(prepared, NEEDS_INTERVENTION, PREPARED, "Deployment prepared; waiting to continue.")
            )
            stage_two = _next_after(continues, prepared)
        if stage_two is not None:
            segments.append(
                Segment(stage_two, RUNNING, "", "Deploying to the target environment (stage two).")
            )
            segments += _ending(plan, durations, stage_two, continues)
    if plan.abort_t is not None:
        segments = [s for s in segments if s.start <= plan.abort_t]
        segments.append(Segment(plan.abort_t, ABORTING, "", f"Abort requested by {plan.aborted_by}."))
        segments.append(
            Segment(plan.abort_t + durations.abort, ABORTED, "", "Deployment aborted.", "Warning")
        )
    return segments


def _ending(plan: Plan, durations: Durations, stage_two: float, continues: Iterator[float]) -> list[Segment]:
    end = stage_two + durations.deploy
    message = plan.outcome_message
    if plan.outcome == SUSPENDED:
        halt = stage_two + durations.deploy / 2
        out = [
            Segment(
                halt,
                NEEDS_INTERVENTION,
                SUSPENDED,
                message or "A deployment step failed; continue or abort.",
                "Error",
            )
        ]
        resumed = _next_after(continues, halt)
        if resumed is not None:
            out.append(
                Segment(resumed, RUNNING, "", "Deployment resumed; the failed step is skipped.", "Warning")
            )
            out.append(
                Segment(resumed + durations.deploy / 2, WARNINGS, "", "Finished with warnings.", "Warning")
            )
        return out
    texts = {
        SUCCESSFUL: ("Deployment finished successfully.", "Info"),
        WARNINGS: (message or "Deployment finished with warnings.", "Warning"),
        ERRORS: (message or "Deployment finished with errors.", "Error"),
        ABORTED: (message or "The deployment was aborted by the platform.", "Error"),
    }
    text, kind = texts[plan.outcome]
    return [Segment(end, plan.outcome, "", text, kind)]


def _next_after(continues: Iterator[float], moment: float) -> float | None:
    for value in continues:
        if value >= moment:
            return value
    return None


def current(segments: list[Segment], now: float) -> Segment:
    """The segment in force at ``now`` (the latest that has begun)."""
    begun = [s for s in segments if s.start <= now]
    return begun[-1] if begun else segments[0]


def release(segments: list[Segment]) -> float | None:
    """When the plan reaches a terminal status (None while undecided)."""
    return next((s.start for s in segments if s.status in TERMINAL), None)
