"""The cadences a team would otherwise use, as schedules the real poller accepts.

Each implements :class:`odc_pipeline.engine.poller.Schedule`, so every strategy runs through
the same ``wait_for`` loop and only the cadence differs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from odc_pipeline.clock import Clock
from odc_pipeline.engine.poller import (
    DEFAULT_SCHEDULE,
    PRIORS,
    DurationHint,
    PollBudget,
    Schedule,
    duration_hint,
    wait_for,
)

if TYPE_CHECKING:
    from bench.workload import Operation

TIMEOUT_SECONDS = 2 * 3600.0


@dataclass(frozen=True)
class DocsSchedule:
    """The ODC deploy how-to: "poll every 5 seconds during the first 30 seconds, then switch
    to every 30 seconds" (api notes §6.6); the docs reuse it for builds and configs."""

    fast: float = 5.0
    fast_for: float = 30.0
    slow: float = 30.0

    def first_delay(self, hint: DurationHint | None, rng: random.Random) -> float:
        return self.fast  # the start response carries the first status; the first poll is at 5 s

    def next_delay(
        self, attempt: int, elapsed: float, hint: DurationHint | None, rng: random.Random
    ) -> float:
        return self.fast if elapsed < self.fast_for else self.slow


@dataclass(frozen=True)
class FixedSchedule:
    """A constant interval, what most hand-written scripts do."""

    interval: float

    def first_delay(self, hint: DurationHint | None, rng: random.Random) -> float:
        return self.interval

    def next_delay(
        self, attempt: int, elapsed: float, hint: DurationHint | None, rng: random.Random
    ) -> float:
        return self.interval


@dataclass(frozen=True)
class Strategy:
    """A named cadence, whether it reads the history of earlier runs, and whether it falls back
    to the poller's per-kind prior (:data:`odc_pipeline.engine.poller.PRIORS`) without one."""

    name: str
    schedule: Schedule
    uses_history: bool
    uses_prior: bool = False


OURS = Strategy("ours (with history)", DEFAULT_SCHEDULE, uses_history=True, uses_prior=True)
OURS_NO_HISTORY = Strategy(
    "ours (no history: per-kind prior)", DEFAULT_SCHEDULE, uses_history=False, uses_prior=True
)
BLIND = Strategy("ours, blind back-off (no history, no prior)", DEFAULT_SCHEDULE, uses_history=False)
DOCS = Strategy("docs: 5 s for 30 s, then 30 s", DocsSchedule(), uses_history=False)
STRATEGIES: tuple[Strategy, ...] = (
    OURS,
    OURS_NO_HISTORY,
    BLIND,
    DOCS,
    Strategy("fixed 10 s", FixedSchedule(10.0), uses_history=False),
    Strategy("fixed 20 s", FixedSchedule(20.0), uses_history=False),
)


def wait_out(
    strategy: Strategy,
    operation: Operation,
    fetch: Callable[[], bool],
    *,
    what: str,
    clock: Clock,
    rng: random.Random,
    budget: PollBudget | None = None,
) -> None:
    """Wait for ``operation`` through the real poller with ``strategy``'s cadence, hint and prior.

    ``fetch`` answers True once the operation is done; every benchmark waits this one way.
    """
    wait_for(
        fetch,
        bool,
        what=what,
        describe=lambda done: "Finished" if done else "Running",
        timeout=TIMEOUT_SECONDS,
        clock=clock,
        schedule=strategy.schedule,
        rng=rng,
        hint=duration_hint(operation.history) if strategy.uses_history else None,
        prior=PRIORS.get(operation.kind) if strategy.uses_prior else None,
        budget=budget,
    )
