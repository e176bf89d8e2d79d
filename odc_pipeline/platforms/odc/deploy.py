"""ODC deployments: Deploy, ApplyConfigs and Undeploy operations, started, found and waited for.

All three kinds share one endpoint, one status enum (``FinishedWithError``, singular) and one
way to explain a failure (the ``/messages`` of the operation), so every stage that moves an
app (deploy, configure without a deploy, rollback) uses these rather than polling its own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from odc_pipeline.platforms.base import (
    DeployOutcome,
    DeployRequest,
    EnvironmentRef,
    OperationRef,
    RunServices,
)
from odc_pipeline.platforms.odc.recovery import deployment_finder
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
        return [int(r) for r in revisions if r is not None]
    single = getattr(operation, "revision", None)
    return [int(single)] if single is not None else []


def operation_ref(operation: Any) -> OperationRef:
    asset_key = getattr(operation, "asset_key", None)
    build_key = getattr(operation, "build_key", None)
    return OperationRef(
        key=str(operation.key),
        kind=str(getattr(operation, "operation", "") or ""),
        asset_keys=(str(asset_key),) if asset_key else (),
        revisions=tuple(operation_revisions(operation)),
        unit_key=str(build_key) if build_key else None,
        status=status_of(operation),
        raw=operation,
    )


def outcome(asset_key: str, operation: Any) -> DeployOutcome:
    state = status_of(operation)
    return DeployOutcome(
        asset_key=asset_key,
        operation_key=str(operation.key),
        status=state,
        succeeded=state == FINISHED,
        raw=operation,
    )


def running_operations(
    client: Any, environment: EnvironmentRef, asset_key: str, kinds: Iterable[str]
) -> list[OperationRef]:
    """Deployment operations of ``asset_key`` still running in the stage."""
    return [
        operation_ref(op)
        for op in client.deployments.list(
            environment_key=environment.key, asset_key=asset_key, status=RUNNING, operations=list(kinds)
        )
    ]


def running_operations_of(
    client: Any, environment: EnvironmentRef, asset_keys: Sequence[str], kinds: Iterable[str]
) -> dict[str, list[OperationRef]]:
    """:func:`running_operations` of several assets from one listing of the stage's running
    operations (no ``assetKey``: the filter is optional; the listing pages as usual)."""
    found: dict[str, list[OperationRef]] = {key: [] for key in asset_keys}
    listing = client.deployments.list(environment_key=environment.key, status=RUNNING, operations=list(kinds))
    for op in listing:
        ref = operation_ref(op)
        for key in ref.asset_keys:
            if key in found:
                found[key].append(ref)
    return found


def start(client: Any, run: RunServices, request: DeployRequest) -> OperationRef:
    """POST the operation; a lost answer is looked up (``deployment_finder``), never re-sent."""
    finder = deployment_finder(
        client,
        run.clock,
        env_key=request.target.key,
        operation=request.kind,
        asset_key=request.asset.key,
        revision=request.revision,
        build_key=request.unit_key,
    )
    arguments: dict[str, Any] = {}
    if request.revision is not None:
        arguments["revision"] = request.revision
    if request.unit_key is not None:
        arguments["build_key"] = request.unit_key
    started = client.deployments.start(
        operation=request.kind,
        asset_key=request.asset.key,
        environment_key=request.target.key,
        find_again=finder,
        **arguments,
    )
    return operation_ref(started)


def wait(
    client: Any, run: RunServices, operation: OperationRef, *, what: str, stage: str, hint: Any = None
) -> DeployOutcome:
    """Poll until the operation is no longer Running (a final start answer is not polled)."""
    asset_key = operation.asset_keys[0] if operation.asset_keys else ""
    if operation.raw is not None and operation.status and operation.status != RUNNING:
        return outcome(asset_key, operation.raw)
    final = run.wait(
        lambda: client.deployments.get(operation.key),
        lambda op: status_of(op) != RUNNING,
        what=what,
        describe=status_of,
        stage=stage,
        hint=hint,
    )
    return outcome(asset_key, final)


def history_hint(
    client: Any, run: RunServices, environment: EnvironmentRef, asset_key: str, kind: str
) -> Any:
    """How long the recent Finished ``kind`` operations (Deploy or ApplyConfigs) of
    ``asset_key`` in the stage took, from the deployments list (at most one GET per run and kind).

    Only for operations this run started and waits for from their start: the poller reads
    the hint against the time since the wait began, which for an operation found already
    running (attached to) is not the time since *it* began.
    """
    target = environment.key
    return run.history_hint(
        history_key(environment, asset_key, kind),
        lambda: client.deployments.list(
            environment_key=target,
            asset_key=asset_key,
            status=FINISHED,
            operations=[kind],
            limit=HISTORY_LIMIT,
        ),
    )


def history_key(environment: EnvironmentRef, asset_key: str, kind: str) -> tuple[str, ...]:
    """The run's cache key of one asset's ``kind`` history in ``environment``."""
    return ("deployments", kind, asset_key, environment.key)


def prefetch_history(
    client: Any,
    run: RunServices,
    environment: EnvironmentRef,
    asset_keys: Iterable[str],
    kind: str = "Deploy",
) -> None:
    """Every asset's recent Finished ``kind`` operations in the stage from one listing of the
    stage (newest first), instead of one read per asset.

    An asset whose :data:`HISTORY_LIMIT` newest operations the listing showed gets its hint
    now. When the listing ended before the limit, it showed everything, so every asset's
    history (also an empty one) is known. Otherwise the assets it did not fully show keep
    their own read when their wait begins: the hint is the same either way.
    """
    wanted = list(dict.fromkeys(asset_keys))
    if not wanted:
        return
    limit = HISTORY_LIMIT * len(wanted)
    seen: dict[str, list[Any]] = {key: [] for key in wanted}
    listed = 0
    for operation in client.deployments.list(
        environment_key=environment.key, status=FINISHED, operations=[kind], limit=limit
    ):
        listed += 1
        mine = seen.get(getattr(operation, "asset_key", None) or "")
        if mine is not None and len(mine) < HISTORY_LIMIT:
            mine.append(operation)
        if all(len(v) >= HISTORY_LIMIT for v in seen.values()):
            break
    complete = listed < limit
    for key, operations in seen.items():
        if complete or len(operations) >= HISTORY_LIMIT:
            run.history_hint(history_key(environment, key, kind), lambda ops=operations: ops)


def messages(client: Any, key: str, *, only_problems: bool = False) -> list[Message]:
    """The operation's messages as report messages (errors and warnings first when asked)."""
    found: list[Message] = []
    try:
        for item in client.deployments.messages(key):
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


def _severity(text: str) -> str:
    return {"error": "error", "warning": "warning"}.get(text, "info")
