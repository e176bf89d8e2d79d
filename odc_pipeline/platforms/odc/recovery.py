"""Find-again hooks for every POST that starts an ODC operation.

When a read times out, a connection drops after the request went out, or a gateway answers
502/504, the client cannot know whether ODC started the operation. Re-sending blindly could
deploy twice. The client therefore asks a *find-again* hook, "is the operation I may have
started there?", again and again for a grace window longer than the read timeout (a slow
server records it late); a found operation is used as the answer, and one never found stops
that asset with ``OutcomeUnknownError`` instead of a second POST.

The client's own finders only look at operations still in progress. An operation that
finished between the lost answer and the look-up (instant ApplyConfigs, a short build) would
then be started a second time, so the hooks here also accept a matching operation that ended
after the POST was sent. Analyses change nothing on the platform, so sending them again is
always safe: their hook is ``resend_is_safe``, the one the client re-sends for.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from odc_pipeline.api.http import resend_is_safe
from odc_pipeline.clock import Clock

__all__ = ["build_finder", "deployment_finder", "resend_is_safe"]

FindAgain = Callable[[], Mapping[str, Any] | None]

CLOCK_SKEW = timedelta(seconds=30)
"""How far ODC's clock may lag ours when comparing an operation's start with our send time."""

RECENT_OPERATIONS = 5


def _started_since(value: Any, sent_at: datetime) -> bool:
    if not isinstance(value, datetime):
        return False
    if value.tzinfo is None:
        value = value.replace(tzinfo=sent_at.tzinfo)
    return value >= sent_at - CLOCK_SKEW


def deployment_finder(
    client: Any,
    clock: Clock,
    *,
    env_key: str,
    operation: str,
    asset_key: str,
    revision: int | None,
    build_key: str | None = None,
) -> FindAgain:
    """Our Deploy/ApplyConfigs of this asset on the target: running, or started since sending.

    Created right before the POST, so ``sent_at`` is never later than the real send time.
    """
    deployments = client.deployments
    sent_at = clock.now()
    running = deployments.finder(operation=operation, asset_key=asset_key, environment_key=env_key)

    def matches(op: Any) -> bool:
        revisions = list(getattr(op, "revisions", None) or ())
        if revision is not None and revisions and revision not in revisions:
            return False
        return not (build_key and getattr(op, "build_key", None) and str(op.build_key) != build_key)

    def find() -> Mapping[str, Any] | None:
        found = running()
        if found is not None:
            return found
        for op in deployments.list(
            environment_key=env_key,
            asset_key=asset_key,
            operations=[operation],
            sort="-CreatedAt",
            limit=RECENT_OPERATIONS,
        ):
            if matches(op) and _started_since(getattr(op, "started_date_time", None), sent_at):
                dumped: Mapping[str, Any] = op.model_dump(mode="json", by_alias=True)
                return dumped
        return None

    return find


def build_finder(
    client: Any, *, asset_key: str, revision: int, known: Collection[str] | None = None
) -> FindAgain:
    """Our Release build of this revision: in progress, or a build that was not there before.

    ``known`` holds the keys of the revision's Release builds listed before the POST (when the
    build stage looked for one to reuse); without it only in-progress builds count.
    """
    builds = client.builds
    in_progress = builds.finder(asset_key, revision, build_type="Release")
    before = set(known) if known is not None else None

    def find() -> Mapping[str, Any] | None:
        found = in_progress()
        if found is not None or before is None:
            return found
        for build in builds.list(asset_key, revision=revision, build_type="Release"):
            if str(build.build_key) not in before:
                return {"buildKey": str(build.build_key), "isSuccessful": True}
        return None

    return find
