"""One way to wait for every kind of ODC operation.

Builds, analyses, deployments and code analyses all expose "GET the operation until its status
is terminal". This module owns the cadence (fast at first, backing off to a cap, jittered so
parallel waits do not align), the timeout, cancellation and the ~30 s heartbeat, so that the
stages only say *what* they wait for.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from odc_pipeline.clock import Clock
from odc_pipeline.errors import CancelledError, OperationTimeoutError

T = TypeVar("T")

HEARTBEAT_SECONDS = 30.0


@dataclass(frozen=True)
class PollSchedule:
    """Delay before the next status call, given how long we have waited so far.

    ``initial`` seconds between the first calls, multiplied by ``factor`` each call up to
    ``cap``; each delay is jittered by ±``jitter`` (a fraction) so that parallel pollers spread.
    """

    initial: float = 2.0
    factor: float = 1.5
    cap: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.cap, self.initial * (self.factor**attempt))
        spread = base * self.jitter
        return max(0.0, base + rng.uniform(-spread, spread))


DEFAULT_SCHEDULE = PollSchedule()


def wait_for(
    fetch: Callable[[], T],
    is_done: Callable[[T], bool],
    *,
    what: str,
    describe: Callable[[T], str],
    timeout: float,
    clock: Clock,
    schedule: PollSchedule = DEFAULT_SCHEDULE,
    heartbeat: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    rng: random.Random | None = None,
) -> T:
    """Call ``fetch`` until ``is_done`` holds for its result; return that result.

    Raises :class:`OperationTimeoutError` once ``timeout`` seconds (clock time) have passed and
    :class:`CancelledError` when ``cancel`` is set; both name ``what`` so the user can find the
    operation again.
    """
    rng = rng or random.Random()
    started = clock.monotonic()
    last_beat = started
    attempt = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"cancelled while waiting for {what}")
        result = fetch()
        if is_done(result):
            return result
        now = clock.monotonic()
        elapsed = now - started
        if heartbeat is not None and now - last_beat >= HEARTBEAT_SECONDS:
            heartbeat(f"{what}: {describe(result)} after {elapsed:.0f}s")
            last_beat = now
        remaining = timeout - elapsed
        if remaining <= 0:
            raise OperationTimeoutError(
                f"timed out after {timeout:.0f}s waiting for {what} (last status: {describe(result)})"
            )
        _sleep(clock, min(schedule.delay(attempt, rng), remaining), cancel)
        attempt += 1


def _sleep(clock: Clock, seconds: float, cancel: threading.Event | None) -> None:
    """Sleep on the clock in slices so a cancel is noticed within about a second of clock time."""
    slice_seconds = 1.0
    end = clock.monotonic() + seconds
    while True:
        if cancel is not None and cancel.is_set():
            raise CancelledError("cancelled")
        left = end - clock.monotonic()
        if left <= 0:
            return
        clock.sleep(min(slice_seconds, left))
