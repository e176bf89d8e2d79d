"""What runs and what is running in the target, read once for many deploys that start together.

Each deploy re-reads both right before it decides (an operation someone else started, a
deploy that finished since resolve). When the ``before-deploy: all`` gate opens, ten or more
deploys start in the same second and each made those two reads on its own: twenty round
trips, one after another per app, on the critical path of the release (0.9 s at 50 apps,
before the first POST). Read for all of them at once, two calls answer every one, and an
answer is as fresh as the per-app read would have been: it is taken when they all start,
handed out once per app, and only for a few seconds (:data:`FRESH_SECONDS`); anything else
reads on its own as before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from odc_pipeline.platforms.base import AssetRef, OperationRef, RunningState

if TYPE_CHECKING:
    from odc_pipeline.engine.context import AssetState, RunContext

# How long a shared read stands in for an app's own (platform seconds): the deploys it was
# taken for start within a second of it; a deploy that comes later reads for itself.
FRESH_SECONDS = 5.0
KINDS = ("Deploy", "ApplyConfigs")  # what a deploy waits out or attaches to first


@dataclass(frozen=True)
class SharedAnswer:
    """One app's part of a shared read: what runs for it (None: nothing) and what is running."""

    taken_at: float
    running: RunningState | None
    operations: list[OperationRef]


@dataclass
class StageReads:
    """The shared answers of one read, per app key; each taken at most once."""

    _answers: dict[str, SharedAnswer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read_for(self, ctx: RunContext, assets: Sequence[AssetState]) -> None:
        """Read both for ``assets`` in as few calls as the platform allows (quietly: a failed
        read leaves each app to read on its own, where an error is reported as always)."""
        if len(assets) < 2 or ctx.target is None:
            return
        refs = [AssetRef(key=a.key, name=a.label) for a in assets]
        try:
            operations = ctx.platform.running_operations_all(ctx.target, refs, KINDS)
            running = ctx.platform.running_all(ctx.target, refs)
        except Exception:
            return
        now = ctx.clock.monotonic()
        with self._lock:
            for ref in refs:
                self._answers[ref.key] = SharedAnswer(now, running.get(ref.key), operations.get(ref.key, []))

    def take(self, ctx: RunContext, key: str) -> SharedAnswer | None:
        """``key``'s answer if one is fresh (once); ``None``: the deploy reads on its own."""
        with self._lock:
            answer = self._answers.pop(key, None)
        if answer is None or ctx.clock.monotonic() - answer.taken_at > FRESH_SECONDS:
            return None
        return answer
