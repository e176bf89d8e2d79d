"""Deployment operations (Deploy, ApplyConfigs): start, wait, explain.

Both operation kinds share one endpoint, one status enum (``FinishedWithError``, singular) and
one way to explain a failure (the ``/messages`` of the operation), so configure and deploy
use these helpers rather than each polling in its own way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from odc_pipeline.engine.context import RunContext
from odc_pipeline.engine.poller import DurationHint
from odc_pipeline.report import Message

RUNNING = "Running"
FINISHED = "Finished"
FAILED = "FinishedWithError"
MAX_MESSAGES = 50
HISTORY_LIMIT = 10
"""Past operations read for a duration hint: enough for a robust median, one page, one GET."""


def status_of(operation: Any) -> str:
    return str(getattr(operation, "status", "") or "")


def operation_revisions(operation: Any) -> list[int]:
    """Deploy responses carry ``revisions`` (an array); publish responses a single ``revision``."""
    revisions = getattr(operation, "revisions", None)
    if revisions:
        return [int(r) for r in revisions]
    single = getattr(operation, "revision", None)
    return [int(single)] if single is not None else []


def wait_operation(
    ctx: RunContext, key: str, *, what: str, stage: str, hint: DurationHint | None = None
) -> Any:
    """Poll one deployment operation until it is no longer Running (``hint``: see
    :func:`history_hint`)."""
    return ctx.wait(
        lambda: ctx.client.deployments.get(key),
        lambda op: status_of(op) != RUNNING,
        what=what,
        describe=status_of,
        stage=stage,
        hint=hint,
    )


def history_hint(ctx: RunContext, asset_key: str, operation: str) -> DurationHint | None:
    """How long the recent Finished ``operation``s (Deploy or ApplyConfigs) of ``asset_key``
    in the target stage took, from the deployments list (at most one GET per run and kind).

    Only for operations this run started and waits for from their start: the poller reads
    the hint against the time since the wait began, which for an operation found already
    running (attached to) is not the time since *it* began.
    """
    target = ctx.target_key
    return ctx.history_hint(
        ("deployments", operation, asset_key, target),
        lambda: ctx.client.deployments.list(
            environment_key=target,
            asset_key=asset_key,
            status=FINISHED,
            operations=[operation],
            limit=HISTORY_LIMIT,
        ),
    )


def operation_messages(ctx: RunContext, key: str, *, only_problems: bool = False) -> list[Message]:
    """The operation's messages as report messages (errors and warnings first when asked)."""
    found: list[Message] = []
    try:
        for item in ctx.client.deployments.messages(key):
            severity = str(getattr(item, "severity", "Info") or "Info").lower()
            if only_problems and severity == "info":
                continue
            text = str(getattr(item, "message", "") or getattr(item, "type", "") or "")
            found.append(Message(severity=_severity(severity), text=text, source="deployment-messages"))
            if len(found) >= MAX_MESSAGES:
                break
    except Exception as exc:  # explaining a failure must never hide it
        found.append(Message("warning", f"could not read the messages of operation {key}: {exc}", "engine"))
    return found


def running_operations(ctx: RunContext, asset_key: str, operations: Iterable[str]) -> list[Any]:
    """Deployment operations of ``asset_key`` still running in the target stage."""
    return list(
        ctx.client.deployments.list(
            environment_key=ctx.target_key,
            asset_key=asset_key,
            status=RUNNING,
            operations=list(operations),
        )
    )


def _severity(text: str) -> str:
    return {"error": "error", "warning": "warning"}.get(text, "info")


def first_error(messages: Iterable[Message]) -> str:
    for message in messages:
        if message.severity == "error" and message.text:
            return message.text
    return ""
