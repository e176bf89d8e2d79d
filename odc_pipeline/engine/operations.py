"""Deployment operations (Deploy, ApplyConfigs, Undeploy) as the stages use them.

Configure, deploy and rollback all start, wait for and explain deployments; these helpers
put those steps on the run's platform (``ctx.platform``) once, so no stage polls in its own
way or talks to an API client. The status words are ODC's (the platform that has
ApplyConfigs and rollback); outcomes carry the platform's ``succeeded`` verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from odc_pipeline.engine.context import RunContext
from odc_pipeline.engine.poller import DurationHint
from odc_pipeline.platforms.base import AssetRef, DeployOutcome, DeployRequest, OperationRef
from odc_pipeline.platforms.odc.deploy import FAILED, FINISHED, RUNNING, status_of
from odc_pipeline.report import Message

__all__ = [
    "FAILED",
    "FINISHED",
    "RUNNING",
    "first_error",
    "history_hint",
    "operation_messages",
    "operation_revisions",
    "running_operations",
    "start_operation",
    "status_of",
    "wait_operation",
]


def operation_revisions(operation: Any) -> list[int]:
    """The revisions an operation brings (an ``OperationRef`` or a platform's answer)."""
    if isinstance(operation, OperationRef):
        return list(operation.revisions)
    from odc_pipeline.platforms.odc.deploy import operation_revisions as odc_revisions

    return odc_revisions(operation)


def _asset(asset_key: str) -> AssetRef:
    return AssetRef(key=asset_key, name=asset_key)


def start_operation(
    ctx: RunContext, asset: AssetRef, *, kind: str, revision: int | None = None, build_key: str | None = None
) -> OperationRef:
    """Start one operation on the target; a lost answer is looked up, never re-sent."""
    assert ctx.target is not None, "resolve runs first"
    request = DeployRequest(asset=asset, target=ctx.target, revision=revision, unit_key=build_key, kind=kind)
    return ctx.platform.start_deploy(ctx, request)


def wait_operation(
    ctx: RunContext,
    operation: str | OperationRef,
    *,
    what: str,
    stage: str,
    hint: DurationHint | None = None,
) -> DeployOutcome:
    """Poll one deployment operation until it is no longer running (``hint``: see
    :func:`history_hint`). An ``OperationRef`` whose start answer was already final is not polled."""
    ref = operation if isinstance(operation, OperationRef) else OperationRef(key=operation, kind="")
    return ctx.platform.wait_deploy(ctx, ref, what=what, stage=stage, hint=hint)


def history_hint(ctx: RunContext, asset_key: str, operation: str) -> DurationHint | None:
    """How long the recent finished ``operation``s (Deploy or ApplyConfigs) of ``asset_key``
    in the target stage took (at most one read per run and kind).

    Only for operations this run started and waits for from their start: the poller reads
    the hint against the time since the wait began, which for an operation found already
    running (attached to) is not the time since *it* began.
    """
    assert ctx.target is not None, "resolve runs first"
    request = DeployRequest(asset=_asset(asset_key), target=ctx.target, kind=operation)
    return ctx.platform.deploy_history_hint(ctx, request)


def operation_messages(ctx: RunContext, key: str, *, only_problems: bool = False) -> list[Message]:
    """The operation's messages as report messages (errors and warnings first when asked)."""
    return ctx.platform.operation_messages(key, only_problems=only_problems)


def running_operations(ctx: RunContext, asset_key: str, operations: Iterable[str]) -> list[OperationRef]:
    """Deployment operations of ``asset_key`` still running in the target stage."""
    assert ctx.target is not None, "resolve runs first"
    return ctx.platform.running_operations(ctx.target, _asset(asset_key), operations)


def first_error(messages: Iterable[Message]) -> str:
    for message in messages:
        if message.severity == "error" and message.text:
            return message.text
    return ""
