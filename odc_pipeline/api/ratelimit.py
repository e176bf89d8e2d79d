"""Client-side rate limiter for ODC's per-organization limits (odc-api-notes §5.1).

ODC allows 100 requests/min per API domain and 10/min per POST endpoint on builds,
deployments, external libraries and code analyses (those POSTs also count toward the domain).
Because the limits are per organization, parallel work inside one run (several assets being
polled and deployed at once) would provoke 429s without coordination. Each limit is a sliding
60-second window: a request is admitted when every window it belongs to has room, and all of
them record it atomically; when the answer arrives the record moves to that moment
(:meth:`RateLimiter.settle`), because ODC counts arrivals. Waiting goes through the injected
Clock, so tests with ManualClock never sleep.

Who gets a slot when several wait is the release's critical path: a start POST given to a leaf
app while the head of the longest remaining chain waits costs that chain a minute. So requests
carry the priority of their work (:func:`odc_pipeline.dispatch.current`, set by the engine),
and on a shared bucket a waiting request of higher priority is admitted before a lower one
(ties: arrival order). Reads run at priority 0 and starts at the engine's priority (> 0), so
status polls share a domain's budget without starving the starts waiting on it. A
:class:`Reservation` holds one slot for a start that is not ready yet (its build still
running), so a leaf arriving a moment earlier does not take the slot the critical app will
need (:meth:`RateLimiter.reserve`). The ranking and reservations live in :mod:`.admission`.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from odc_pipeline import dispatch
from odc_pipeline.api.admission import WINDOW_SECONDS, Limit, Reservation, Round, Waiter
from odc_pipeline.clock import Clock

__all__ = ["WINDOW_SECONDS", "Limit", "RateLimiter", "Reservation", "starting"]

# The shortest wait: giving way to a waiter ahead that is due (its sleep is over, it has not
# taken its slot yet), or a wait that rounding made zero (the same instant would spin).
_MIN_WAIT = 1e-6

_STARTING: ContextVar[bool] = ContextVar("odc_pipeline_starting", default=True)


@contextmanager
def starting(is_start: bool) -> Iterator[None]:
    """Whether requests in the block are starts, which may use their owner's reservation.

    A reservation promises a slot to an asset's *start*; the same asset's polls and reads run
    under the same owner (the engine sets the work once per task) and must not use it up —
    on a domain bucket (an analysis start) a poll would otherwise take the promised slot.
    ``HttpClient`` marks every attempt: POSTs are starts, everything else is not. Direct
    callers of :meth:`RateLimiter.acquire` count as starts.
    """
    token = _STARTING.set(is_start)
    try:
        yield
    finally:
        _STARTING.reset(token)


class RateLimiter:
    """Thread-safe sliding-window limiter over named buckets, ordered by priority.

    Diagnostics (benchmarks, tests): ``waited`` (seconds callers spent blocked), ``held_back``
    (acquires that waited although their buckets had room, because a more critical waiter or a
    reservation came first), ``reservations_consumed`` and ``reservations_expired``.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._events: dict[str, deque[float]] = {}
        self._waiting: list[Waiter] = []
        self._reservations: dict[str, list[Reservation]] = {}
        self._arrivals = 0
        self.waited: float = 0.0
        self.held_back = 0
        self.reservations_consumed = 0
        self.reservations_expired = 0

    def acquire(self, limits: Sequence[Limit]) -> float:
        """Block until every limit has room for this request, record it in all, return the time.

        Room is what is left after the waiters ranked ahead (higher priority, or equal and
        earlier) that fit now, and after reservations of higher priority held for someone
        else. The check-and-record is one critical section; the sleep happens outside the lock
        so other callers (and other buckets) keep moving. Without competition (no other
        waiter, no reservation) this is a plain sliding-window check.
        """
        work = dispatch.current()
        waiter = Waiter(work.priority, 0, work.owner, tuple(limits), _STARTING.get())
        counted_held = False
        try:
            while True:
                with self._lock:
                    if not waiter.arrival:  # arrive and look in one critical section
                        self._arrivals += 1
                        waiter.arrival = self._arrivals
                        self._waiting.append(waiter)
                    now = self._clock.monotonic()
                    self._drop_expired(now)
                    turn = Round(self._events, self._reservations, now)
                    for other in sorted(self._waiting, key=Waiter.rank):
                        if other is waiter:
                            break
                        turn.offer(other)
                    if turn.fits(waiter):
                        self._admit(waiter, now)
                        return now
                    if not counted_held and turn.had_room(waiter):
                        counted_held = True
                        self.held_back += 1
                    wait = max(turn.next_chance(waiter) - now, _MIN_WAIT)
                    waiter.wake_at = now + wait
                    self.waited += wait
                self._clock.sleep(wait)
        finally:
            if waiter.arrival and not waiter.admitted:
                with self._lock:
                    self._waiting.remove(waiter)

    def _admit(self, waiter: Waiter, now: float) -> None:
        """Record the request in every window and use up its owner's reservations (lock held)."""
        waiter.admitted = True
        self._waiting.remove(waiter)
        for limit in waiter.limits:
            self._events.setdefault(limit.key, deque()).append(now)
            reservations = self._reservations.get(limit.key, [])
            own = next((r for r in reservations if waiter.consumes(r)), None)
            if own is not None:
                reservations.remove(own)
                own.state = "consumed"
                self.reservations_consumed += 1

    def reserve(
        self,
        key: str,
        *,
        priority: float,
        owner: str,
        at: float,
        grace: float = 10.0,
        window: float = WINDOW_SECONDS,
    ) -> Reservation:
        """Hold one slot of bucket ``key`` for ``owner``'s start, due at clock time ``at``.

        The window slides, so a slot taken at t stays taken until t + ``window``: to have room
        at ``at`` nobody of lower priority may take the last slot from ``at - window`` on. The
        reservation is active in ``[at - window, at + grace)``; while active, requests of lower
        priority than ``priority`` (other than ``owner``'s starts) see one slot less on ``key``
        (n reservations hold n slots). Equal or higher priority requests are not held back. The
        owner's first start admitted on ``key`` uses it up (even before it became active: the
        need is met); after ``at + grace`` it expires, so a start that never comes (a failed
        build) releases the slot. :meth:`Reservation.cancel` releases it earlier.
        """
        if math.isnan(priority) or math.isnan(at):
            raise ValueError("priority and at must be numbers, not NaN")
        if grace < 0 or window <= 0:
            raise ValueError("grace must be >= 0 and window > 0")
        reservation = Reservation(
            self._cancel, key, priority=float(priority), owner=owner, at=at, start=at - window, end=at + grace
        )
        with self._lock:
            bucket = self._reservations.setdefault(key, [])
            bucket.append(reservation)
            bucket.sort(key=lambda r: r.at)
            self._drop_expired(self._clock.monotonic())
        return reservation

    def holding(self, key: str) -> int:
        """How many reservations hold a slot of ``key`` right now (diagnostics and tests)."""
        with self._lock:
            now = self._clock.monotonic()
            self._drop_expired(now)
            return sum(1 for r in self._reservations.get(key, ()) if r.active(now))

    def _cancel(self, reservation: Reservation) -> None:
        with self._lock:
            if reservation.state == "pending":
                reservation.state = "cancelled"
                self._reservations[reservation.key].remove(reservation)

    def _drop_expired(self, now: float) -> None:
        """Forget reservations past their grace (lock held)."""
        for key, reservations in self._reservations.items():
            if any(r.end <= now for r in reservations):
                for r in reservations:
                    if r.end <= now:
                        r.state = "expired"
                        self.reservations_expired += 1
                self._reservations[key] = [r for r in reservations if r.end > now]

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
