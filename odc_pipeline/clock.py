"""Time as an injectable dependency.

Every wait in the product (HTTP retry backoff, rate limiting, polling, the simulator's
operation durations) reads and spends time through a :class:`Clock`, so that:

* tests drive time by hand (:class:`ManualClock`) and never sleep;
* the embedded simulator and the engine can share one :class:`ScaledClock`, which makes a
  90-second deploy take 0.9 s of real time at ``scale=0.01`` while every component still
  reasons in platform seconds (poll intervals, 10-per-minute limits, stage timeouts).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What every time-aware component needs: a monotonic reading, a sleep and a wall time."""

    def monotonic(self) -> float:
        """Seconds on this clock's own time line (only differences are meaningful)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this clock's time pass."""
        ...

    def now(self) -> datetime:
        """Timezone-aware UTC wall time on this clock's time line."""
        ...


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Real time, sped up: one clock second lasts ``scale`` real seconds.

    Used by ``--simulate`` and the benchmarks so that the simulator and the engine agree on
    how long things take while a whole promotion runs in seconds.
    """

    def __init__(self, scale: float, *, start: datetime | None = None) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._real_origin = time.monotonic()
        self._wall_origin = start or datetime.now(UTC)

    def monotonic(self) -> float:
        return (time.monotonic() - self._real_origin) / self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds * self.scale)

    def now(self) -> datetime:
        return self._wall_origin + timedelta(seconds=self.monotonic())


class ManualClock:
    """A clock that only moves when told to; ``sleep`` moves it instantly.

    Thread-safe, so concurrent callers (rate limiter tests, parallel pollers) can share it.
    ``sleeps`` records every requested sleep so tests can assert on backoff schedules.
    """

    def __init__(self, start: float = 0.0, *, wall_start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._t = start
        self._start = start
        self._wall_origin = wall_start or datetime(2026, 1, 1, tzinfo=UTC)
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self._t += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds

    def now(self) -> datetime:
        with self._lock:
            return self._wall_origin + timedelta(seconds=self._t - self._start)


class LockstepClock:
    """Virtual time shared by a known number of threads, advanced only when all of them sleep.

    :class:`ManualClock` lets each sleeper jump time alone, so concurrent waits on it do not
    overlap the way they would in real time. Here every participant's ``sleep`` blocks until
    it is the earliest wake-up among participants that are all asleep; time then jumps to that
    moment (a discrete-event simulation). Ties wake in the order the sleeps were requested, so
    a run is deterministic. Each participant calls :meth:`leave` when it is done, otherwise
    the others would wait for it forever. For tests and benchmarks of concurrent waits.
    """

    def __init__(self, participants: int, *, start: float = 0.0, wall_start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._t = start
        self._start = start
        self._wall_origin = wall_start or datetime(2026, 1, 1, tzinfo=UTC)
        self._awake = participants
        self._wakes: dict[int, tuple[float, int, threading.Event]] = {}
        self._order = 0

    def monotonic(self) -> float:
        with self._lock:
            return self._t

    def now(self) -> datetime:
        with self._lock:
            return self._wall_origin + timedelta(seconds=self._t - self._start)

    def sleep(self, seconds: float) -> None:
        woken = threading.Event()
        with self._lock:
            self._order += 1
            self._wakes[self._order] = (self._t + max(0.0, seconds), self._order, woken)
            self._awake -= 1
            self._wake_next()
        woken.wait()

    def leave(self) -> None:
        """The calling participant is done: time no longer waits for it."""
        with self._lock:
            self._awake -= 1
            self._wake_next()

    def _wake_next(self) -> None:
        """With every participant asleep, move time to the earliest wake-up and wake that one
        (called with the lock held)."""
        if self._awake > 0 or not self._wakes:
            return
        order, (wake, _, woken) = min(self._wakes.items(), key=lambda item: item[1][:2])
        self._t = max(self._t, wake)
        del self._wakes[order]
        self._awake += 1
        woken.set()
