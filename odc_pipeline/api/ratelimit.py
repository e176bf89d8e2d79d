"""Client-side rate limiter for ODC's per-organization limits (odc-api-notes §5.1).

ODC allows 100 requests/min per API domain and 10/min per POST endpoint on builds,
deployments, external libraries and code analyses (those POSTs also count toward the domain).
Because the limits are per organization, parallel work inside one run (several assets being
polled and deployed at once) would provoke 429s without coordination. Each limit is a sliding
60-second window: a request is admitted when every window it belongs to has room, and all of
them record it atomically; when the answer arrives the record moves to that moment
(:meth:`RateLimiter.settle`), because ODC counts arrivals. Waiting goes through the injected
Clock, so tests with ManualClock never sleep.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from odc_pipeline.clock import Clock

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Limit:
    """``capacity`` requests per ``window`` seconds for everything sharing ``key``."""

    key: str
    capacity: int
    window: float = WINDOW_SECONDS


class RateLimiter:
    """Thread-safe sliding-window limiter over named buckets."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._events: dict[str, deque[float]] = {}
        self.waited: float = 0.0  # total seconds callers spent blocked (for reports/benchmarks)

    def acquire(self, limits: Sequence[Limit]) -> float:
        """Block until every limit has room, record the request in all of them, return the time.

        The check-and-record is one critical section; the sleep happens outside the lock so
        other callers (and other buckets) keep moving.
        """
        while True:
            with self._lock:
                now = self._clock.monotonic()
                wait = 0.0
                for limit in limits:
                    events = self._events.setdefault(limit.key, deque())
                    while events and events[0] <= now - limit.window:
                        events.popleft()
                    if len(events) >= limit.capacity:
                        # Room appears when the oldest event in the window leaves it.
                        wait = max(wait, events[len(events) - limit.capacity] + limit.window - now)
                if wait <= 0:
                    for limit in limits:
                        self._events[limit.key].append(now)
                    return now
                self.waited += wait
            self._clock.sleep(wait)

    def settle(self, limits: Sequence[Limit], admitted_at: float) -> None:
        """Move a request admitted at ``admitted_at`` to *now*, once its answer (or failure) is in.

        ODC counts a request when it arrives, which is some latency after admission; counting
        it from admission would reopen its slot up to that latency too early, and the next
        request could be the server's 11th of the minute (a 429). The moment the answer came
        back is never earlier than the server's count, so slots reopen 60 s after *that*.
        Appending keeps each window sorted: every recorded time is <= now.
        """
        with self._lock:
            now = self._clock.monotonic()
            for limit in limits:
                events = self._events.get(limit.key)
                if events is None:
                    continue
                try:
                    events.remove(admitted_at)
                except ValueError:
                    continue  # already left the window
                events.append(now)

    def in_window(self, key: str) -> int:
        """How many requests of ``key`` the current window holds (diagnostics and tests)."""
        with self._lock:
            now = self._clock.monotonic()
            return sum(1 for t in self._events.get(key, ()) if t > now - WINDOW_SECONDS)
